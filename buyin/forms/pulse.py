"""The pulse survey's two forms: a new wave (program administration) and one person's answer."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buyin.models.pulse import MAX_STATEMENTS, MIN_STATEMENTS, SCALE, PulseSurvey
from buyin.services.pulse import DEFAULT_OPEN_QUESTION, DEFAULT_STATEMENTS
from deflection.models import Agency, Unit, User
from deflection.permissions import agencies_of_program, in_program
from deflection.widgets import DateInput
from partners.models import ServicePartner


class UnitChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.agency} · {obj.name}"


class PulseSurveyForm(forms.Form):
    """A new wave: 5 to 8 statements (the talk's six to start with), one open question, an audience and dates."""

    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.all())
    title = forms.CharField(label=_("Title"), max_length=120, initial=_("Pulse survey"))
    open_question = forms.CharField(label=_("Open question"), max_length=200, initial=DEFAULT_OPEN_QUESTION)
    units = UnitChoice(
        label=_("Units asked (their officers and supervisors)"),
        queryset=Unit.objects.select_related("agency"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("Partners asked (their case managers)"),
        queryset=ServicePartner.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    opens_on = forms.DateField(
        label=_("Opens on"),
        help_text=_("At midnight, the agency's time; invitations go out when it opens."),
        widget=DateInput(),
    )
    days_open = forms.IntegerField(label=_("Days open"), min_value=1, max_value=60, initial=14)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The program's agencies, units and partners only: another program's are not offered.
        self.fields["agency"].queryset = agencies_of_program(user)
        self.fields["units"].queryset = in_program(Unit.objects.select_related("agency"), user)
        self.fields["partners"].queryset = in_program(ServicePartner.objects.filter(is_active=True), user)
        self.fields["opens_on"].initial = timezone.localdate()
        for i in range(MAX_STATEMENTS):
            self.fields[f"statement_{i}"] = forms.CharField(
                label=_("Statement %(n)d") % {"n": i + 1},
                max_length=200,
                required=False,
                initial=DEFAULT_STATEMENTS[i] if i < len(DEFAULT_STATEMENTS) else "",
            )

    def statement_fields(self) -> list[forms.BoundField]:
        return [self[f"statement_{i}"] for i in range(MAX_STATEMENTS)]

    def wave(self) -> dict:
        """What pulse_survey_create takes, from the cleaned form."""
        names = ("agency", "title", "statements", "open_question", "units", "partners", "opens_on", "days_open")
        return {name: self.cleaned_data[name] for name in names}

    def clean(self) -> dict:
        data = super().clean()
        statements = [data.get(f"statement_{i}", "").strip() for i in range(MAX_STATEMENTS)]
        data["statements"] = [s for s in statements if s]
        if not MIN_STATEMENTS <= len(data["statements"]) <= MAX_STATEMENTS:
            self.add_error(
                "statement_0",
                _("Write %(min)d to %(max)d statements.") % {"min": MIN_STATEMENTS, "max": MAX_STATEMENTS},
            )
        if not data.get("units") and not data.get("partners"):
            self.add_error("units", _("Choose at least one unit or partner to ask."))
        return data


class PulseAnswerForm(forms.Form):
    """One answer to a wave: each statement on the five-point scale (each may be left blank),
    and the open question (optional)."""

    def __init__(self, *args, survey: PulseSurvey, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.survey = survey
        for i, statement in enumerate(survey.statements):
            self.fields[f"s{i}"] = forms.TypedChoiceField(
                label=statement,
                # "No answer" is a choice too: a radio button, once tapped, cannot be untapped.
                choices=[*SCALE, ("", _("No answer"))],
                coerce=int,
                required=False,
                empty_value=None,
                initial="",
                widget=forms.RadioSelect,
            )
        self.fields["open_text"] = forms.CharField(
            label=survey.open_question,
            max_length=1000,
            required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_("Optional. Please name no client and no colleague."),
        )

    def scores(self) -> list[int | None]:
        return [self.cleaned_data.get(f"s{i}") for i in range(len(self.survey.statements))]

    def statement_fields(self) -> list[forms.BoundField]:
        return [self[f"s{i}"] for i in range(len(self.survey.statements))]
