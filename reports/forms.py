from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports import metrics
from reports.models import SuccessStory


class SuccessStoryForm(forms.ModelForm):
    class Meta:
        model = SuccessStory
        fields = ["source", "text", "consent_to_share"]
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "consent_to_share": _(
                "Only stories the client agreed to share leave the case record (the weekly digest), "
                "always without their name."
            )
        }


class ExportForm(forms.Form):
    start = forms.DateField(
        label=_("From the month of"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    end = forms.DateField(
        label=_("To the month of (included)"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    file_format = forms.ChoiceField(
        label=_("Format"), choices=[("xlsx", "Excel"), ("csv", "CSV")], initial="xlsx", widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("end", today.replace(day=1))
            self.initial.setdefault("start", (today.replace(day=1) - timedelta(days=330)).replace(day=1))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The last month comes before the first."))
        return data

    def scope(self, agency) -> metrics.Scope:
        zone = zoneinfo.ZoneInfo(agency.timezone)
        first = self.cleaned_data["start"].replace(day=1)
        last = self.cleaned_data["end"].replace(day=1)
        after = (last + timedelta(days=32)).replace(day=1)
        return metrics.Scope(
            agency.pk,
            datetime.combine(first, time.min, tzinfo=zone),
            datetime.combine(after, time.min, tzinfo=zone),
        )

    def filters(self) -> dict:
        return {"from": f"{self.cleaned_data['start']:%Y-%m}", "to": f"{self.cleaned_data['end']:%Y-%m}"}
