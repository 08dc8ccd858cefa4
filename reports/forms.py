from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deflection.widgets import MonthInput
from reports import metrics
from reports.models import SuccessStory
from reports.services import story_check_shareable


class SuccessStoryForm(forms.ModelForm):
    class Meta:
        model = SuccessStory
        fields = ["source", "text", "consent_to_share"]
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "consent_to_share": _(
                "Only stories the client agreed to share leave the case record (the weekly digest), "
                "always without their name. A program administrator approves each one first."
            )
        }

    def __init__(self, *args, client=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.client = client

    def clean(self) -> dict:
        data = super().clean()
        if self.client is not None and data.get("consent_to_share") and data.get("text"):
            try:
                story_check_shareable(text=data["text"], client=self.client)
            except ValidationError as error:
                self.add_error(None, error)
        return data


class ExportForm(forms.Form):
    """The evaluation export: a range of months, the format, and the dashboard's filters
    (unit, pathway, partner of the agency), all shown on the export page."""

    start = forms.DateField(
        label=_("From the month of"),
        widget=MonthInput(),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    end = forms.DateField(
        label=_("To the month of (included)"),
        widget=MonthInput(),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None, required=False, empty_label=_("All units"))
    pathway = forms.ChoiceField(label=_("Pathway"), required=False)
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=None, required=False, empty_label=_("All partners"))
    file_format = forms.ChoiceField(
        label=_("Format"), choices=[("xlsx", "Excel"), ("csv", "CSV")], initial="xlsx", widget=forms.RadioSelect
    )
    dataset = forms.ChoiceField(
        label=_("What"),
        choices=[
            ("referrals", _("One row per referral")),
            ("process", _("Process evaluation: officers' feedback and time to log, in aggregate")),
        ],
        initial="referrals",
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, agency=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from deflection.models import Unit
        from partners.models import ServicePartner
        from referrals.models import Pathway

        # Without an agency no unit or partner is offered: the export is of everything.
        self.fields["unit"].queryset = Unit.objects.filter(agency=agency) if agency else Unit.objects.none()
        self.fields["partner"].queryset = (
            ServicePartner.objects.filter(agencies=agency).order_by("-is_24_7", "name")
            if agency
            else ServicePartner.objects.none()
        )
        self.fields["pathway"].choices = [("", _("All pathways")), *Pathway.choices]
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("end", today.replace(day=1))
            self.initial.setdefault("start", (today.replace(day=1) - timedelta(days=330)).replace(day=1))

    def clean(self) -> dict:
        data = super().clean()
        # Entered the wrong way round: the months between the two, as the dashboard takes them
        # (the file's name then says them in order).
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            data["start"], data["end"] = data["end"], data["start"]
        return data

    def scope(self, agency) -> metrics.Scope:
        zone = zoneinfo.ZoneInfo(agency.timezone)
        first = self.cleaned_data["start"].replace(day=1)
        last = self.cleaned_data["end"].replace(day=1)
        after = (last + timedelta(days=32)).replace(day=1)
        unit, partner = self.cleaned_data.get("unit"), self.cleaned_data.get("partner")
        return metrics.Scope(
            agency.pk,
            datetime.combine(first, time.min, tzinfo=zone),
            datetime.combine(after, time.min, tzinfo=zone),
            unit_id=unit.pk if unit else None,
            pathway=self.cleaned_data.get("pathway") or None,
            partner_id=partner.pk if partner else None,
        )

    def filters(self) -> dict:
        """The filters as the export's record keeps them."""
        filters = {"from": f"{self.cleaned_data['start']:%Y-%m}", "to": f"{self.cleaned_data['end']:%Y-%m}"}
        if self.cleaned_data.get("dataset") == "process":
            filters["dataset"] = "process"
        unit, partner = self.cleaned_data.get("unit"), self.cleaned_data.get("partner")
        if unit:
            filters["unit"] = {"id": unit.pk, "name": unit.name}
        if self.cleaned_data.get("pathway"):
            filters["pathway"] = self.cleaned_data["pathway"]
        if partner:
            filters["partner"] = {"id": partner.pk, "name": partner.name}
        return filters


def _month_field(label):
    return forms.DateField(
        label=label,
        required=False,
        widget=MonthInput(),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )


class DashboardFilterForm(forms.Form):
    """The dashboard's filters; they live in the URL so a view can be bookmarked.

    Whole months of the agency's calendar, never a range of days: two ranges a day apart
    would differ by one day's few deflections, and their treatment figures (exact from 11
    up) by what the partners recorded of those few clients, which the small-numbers rule
    hides. By default the last three months, the one still running counted to date."""

    MONTHS = 3
    months_reversed = False

    start = _month_field(_("From the month of"))
    end = _month_field(_("To the month of (included)"))
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None, required=False, empty_label=_("All units"))
    pathway = forms.ChoiceField(label=_("Pathway"), required=False)
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=None, required=False, empty_label=_("All partners"))

    def __init__(self, data, *, agency, fixed_unit=None) -> None:
        super().__init__(data)
        from deflection.models import Unit
        from partners.models import ServicePartner
        from referrals.models import Pathway

        self.agency = agency
        self.fixed_unit = fixed_unit
        self.fields["unit"].queryset = Unit.objects.filter(agency=agency)
        self.fields["partner"].queryset = ServicePartner.objects.filter(agencies=agency).order_by("-is_24_7", "name")
        self.fields["pathway"].choices = [("", _("All pathways")), *Pathway.choices]
        for name, field in self.fields.items():
            field.widget.attrs["class"] = (
                "form-control form-control-sm" if name in ("start", "end") else "form-select form-select-sm"
            )
        if fixed_unit is not None:
            # A supervisor sees their own unit.
            self.fields["unit"].disabled = True
            self.fields["unit"].initial = fixed_unit
        if not self.is_bound:
            # The default period, shown in the month fields as well as in the summary line.
            end, start = self._default_months()
            self.initial.update(start=start, end=end)

    def _default_months(self, end=None):
        """(the last month, the first month) of the default period ending with `end`'s month
        (this month's by default)."""
        end = (end or timezone.localdate()).replace(day=1)
        return end, metrics.months_before(end, self.MONTHS - 1)

    def clean(self) -> dict:
        data = super().clean()
        this_month = timezone.localdate().replace(day=1)
        for name in ("start", "end"):
            if data.get(name) and data[name].replace(day=1) > this_month:
                # Nothing to count yet: the default period instead, and the field says why.
                self.add_error(name, _("This month has not begun yet."))
                data[name] = None
        end, start = self._default_months(data.get("end"))
        start = data["start"].replace(day=1) if data.get("start") else start
        if start > end and data.get("start") and data.get("end"):
            # Both entered, the wrong way round: the months between the two (the view puts them
            # in order in the URL, which then says what the page shows).
            start, end = end, start
            self.months_reversed = True
        elif start > end:
            self.add_error("end", _("The last month comes before the first."))
            end, start = self._default_months(end)
        data["start"], data["end"] = start, end
        return data

    def scope(self) -> metrics.Scope:
        data = getattr(self, "cleaned_data", {})
        end, start = self._default_months(data.get("end"))
        start = data.get("start") or start
        zone = zoneinfo.ZoneInfo(self.agency.timezone)
        after = metrics.months_before(end, -1)
        unit = self.fixed_unit or data.get("unit")
        partner = data.get("partner")
        return metrics.Scope(
            self.agency.pk,
            datetime.combine(start, time.min, tzinfo=zone),
            datetime.combine(after, time.min, tzinfo=zone),
            unit_id=unit.pk if unit else None,
            pathway=data.get("pathway") or None,
            partner_id=partner.pk if partner else None,
        )


class ProcessFilterForm(DashboardFilterForm):
    """The process evaluation's filters, in the URL like the dashboard's: whole months (its
    figures are monthly; the last 12 by default, this one included) and the same unit,
    pathway and partner."""

    MONTHS = 12
