"""The held charge's forms: its fields on the log form (officer intervention pathway only) and
the small form of a charge's decision (the criminal-justice consent's is in forms.py, beside
the other consent's). They validate; the views hand clean data to referrals.services."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _

from deflection.widgets import DateInput
from referrals.held_charges import deciders_for_agency
from referrals.models import HeldCharge, Pathway
from referrals.services import HeldChargeData
from referrals.services.charges import LONGEST_DEADLINE

# The deadline the log form offers, in days from today (agency time): time to reach intake,
# and to stay engaged N days (counted from intake) N more, so that the date offered is one the
# condition can be met by (static/js/app.js moves it as the days are typed, never further than
# LONGEST_DEADLINE). The officer changes it.
DEFAULT_DEADLINE_DAYS = 30
CHARGE_FIELDS = (
    "charge_description",
    "charge_statute",
    "charge_case_number",
    "charge_condition",
    "charge_engaged_days",
    "charge_deadline",
    "charge_decider",
)


class _ReadOnce(BaseChoiceIterator):
    """Choices read from the database when first needed (the form shown), then kept."""

    def __init__(self, read) -> None:
        self.read = read
        self.found: list | None = None

    def __iter__(self):
        if self.found is None:
            self.found = list(self.read())
        yield from self.found

    def __bool__(self) -> bool:
        return any(True for _choice in self)


class HeldChargeFields(forms.Form):
    """The charge held in abeyance, on the log form: shown for the officer intervention pathway
    (app.css reveals them when it is picked; without that, they stay in sight), optional like
    the rest, and recorded only on that pathway when the charge is described."""

    charge_description = forms.CharField(label=_("Charge held"), max_length=200, required=False)
    charge_statute = forms.CharField(label=_("Statute or ordinance"), max_length=100, required=False)
    charge_case_number = forms.CharField(
        label=_("Case or citation number"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    charge_condition = forms.ChoiceField(
        label=_("Condition"),
        choices=HeldCharge.Condition.choices,
        initial=HeldCharge.Condition.INTAKE,
        required=False,
        widget=forms.RadioSelect,
    )
    charge_engaged_days = forms.IntegerField(
        label=_("Days engaged"),
        min_value=1,
        max_value=365,
        required=False,
        help_text=_("Counted from intake."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    charge_deadline = forms.DateField(label=_("Deadline"), required=False, widget=DateInput())
    # An id, looked up only for a charge recorded (held_charge_clean): the select posts its
    # value with every deflection, and a save on another pathway must not pay for a query.
    charge_decider = forms.CharField(label=_("Deciding office or court"), required=False, widget=forms.Select)

    def held_charge_setup(self, *, agency_id: int | None, today: date, deciders: list | None = None) -> None:
        """The offices and courts deciding the agency's charges (`deciders` as (id, name), or
        read when the form is shown), and the defaults the officer changes."""
        self.charge_agency_id = agency_id
        if deciders is not None:
            self.charge_deciders = _ReadOnce(lambda: deciders)
        else:
            self.charge_deciders = _ReadOnce(lambda: [(d.pk, d.name) for d in deciders_for_agency(agency_id)])
        self.fields["charge_decider"].widget.choices = self.charge_deciders
        # What app.js needs to offer the same date as the days change: the agency's today,
        # not the phone's.
        self.fields["charge_deadline"].widget.attrs.update(
            {
                "data-first-day": today.isoformat(),
                "data-intake-days": DEFAULT_DEADLINE_DAYS,
                "data-longest-days": LONGEST_DEADLINE.days,
            }
        )
        if not self.is_bound:
            self.initial.setdefault("charge_deadline", today + timedelta(days=DEFAULT_DEADLINE_DAYS))

    def held_charge_clean(self, data: dict) -> None:
        """On the officer intervention pathway, a described charge needs its case number, deadline
        and decider (and the days, to stay engaged); on any other pathway the fields are ignored."""
        if data.get("pathway") != Pathway.OFFICER_INTERVENTION or not data.get("charge_description"):
            return
        required = {
            "charge_case_number": _("Enter the case or citation number."),
            "charge_deadline": _("Enter the deadline."),
            "charge_decider": _("Choose the office or court deciding the charge."),
        }
        if data.get("charge_condition") == HeldCharge.Condition.ENGAGED_DAYS:
            required["charge_engaged_days"] = _("Enter the days the person is to stay engaged.")
        for name, message in required.items():
            if not data.get(name) and not self.has_error(name):
                self.add_error(name, message)
        picked = str(data.get("charge_decider") or "")
        if picked:
            found = deciders_for_agency(self.charge_agency_id).filter(pk=picked).first() if picked.isdigit() else None
            if found is None:
                self.add_error("charge_decider", _("Choose one of the offices and courts listed."))
            else:
                data["charge_decider"] = found

    def held_charge_data(self) -> HeldChargeData | None:
        data = self.cleaned_data
        if data.get("pathway") != Pathway.OFFICER_INTERVENTION or not data.get("charge_description"):
            return None
        condition = data.get("charge_condition") or HeldCharge.Condition.INTAKE
        return HeldChargeData(
            description=data["charge_description"],
            statute=data["charge_statute"],
            case_number=data["charge_case_number"],
            condition=condition,
            engaged_days=data.get("charge_engaged_days") if condition == HeldCharge.Condition.ENGAGED_DAYS else None,
            deadline=data["charge_deadline"],
            decider=data["charge_decider"],
        )

    @property
    def charge_errors(self) -> bool:
        return self.is_bound and any(name in self.errors for name in CHARGE_FIELDS)


class ChargeDecisionForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), max_length=300, required=False)
