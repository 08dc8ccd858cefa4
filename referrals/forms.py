"""Forms only validate; the views hand clean data to the services."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from django import forms
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from deflection.models import User
from deflection.widgets import DateInput, DateTimeLocalInput
from partners.models import ServicePartner
from partners.selectors import AgencyPartners, partner_list_for_agency
from referrals import log_choices
from referrals.charge_forms import DEFAULT_DEADLINE_DAYS, HeldChargeFields
from referrals.models import (
    Client,
    Consent,
    FollowUp,
    HeldCharge,
    Need,
    OfficerCheckIn,
    Pathway,
    Referral,
    Substance,
)
from referrals.search import possible_duplicates
from referrals.selectors import consent_signing_window, partner_ids_used_recently
from referrals.services import (
    CLIENT_NOT_KNOWN,
    FIRST_NAME_NEEDED,
    LAST_NAME_NEEDED,
    MAX_MINUTES,
    POSSIBLY_KNOWN,
    NewClient,
    validate_date_of_birth,
    validate_occurred_at,
)
from referrals.submission import Submission, submission_read, submission_token_new

# The partners the log form shows at once; the rest wait behind "More partners". With one
# more than this, all are shown: a summary line to tap would take the room of the partner.
LIKELY_PARTNERS = 3


@dataclass(frozen=True)
class PartnerGroups:
    likely: list[ServicePartner]  # shown at once
    more: list[ServicePartner]  # behind "More partners"
    more_open: bool  # the partner picked, or an error, is among the more


NAME_ATTRS = {"autocomplete": "off", "autocapitalize": "words", "spellcheck": "false"}


class PartnerChoiceField(forms.ModelChoiceField):
    # The partners the form has already listed for the officer (set by the form): picking
    # one of them needs no second query.
    listed: dict[str, ServicePartner] | None = None

    def label_from_instance(self, obj: ServicePartner) -> str:
        return f"{obj.name} · 24/7" if obj.is_24_7 else obj.name

    def to_python(self, value):
        if self.listed and isinstance(value, str | int) and str(value) in self.listed:
            return self.listed[str(value)]
        # Any other active partner is still looked up, so that one not serving the agency
        # gets its own message (see LogDeflectionForm.clean).
        return super().to_python(value)


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """Several records picked by id; an id no database column can hold is an invalid choice.

    (Django checks each id's type but hands ids beyond 64 bits to the database's IN (...),
    where SQLite fails with an OverflowError: a server error for a tampered form.)
    """

    LARGEST = 2**63 - 1

    def _check_values(self, value):
        for pk in value if isinstance(value, list | tuple) else []:
            text = str(pk).strip()
            if text.lstrip("-").isdigit() and abs(int(text)) > self.LARGEST:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": text[:20]}
                )
        return super()._check_values(value)


class SubmissionTokenField(forms.CharField):
    """The form's submission token (referrals.submission), cleaned to a Submission."""

    widget = forms.HiddenInput

    def to_python(self, value) -> Submission | None:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        submission = submission_read(text)
        if submission is None:
            raise forms.ValidationError(_("This form is damaged; open it again."), code="invalid")
        return submission


class LogDeflectionForm(HeldChargeFields):
    submission_token = SubmissionTokenField()
    search = forms.CharField(
        label=_("Find the client"),
        required=False,
        max_length=100,
        help_text=_("Name, alias or date of birth; then pick them."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "type": "search", "enterkeyhint": "search"}),
    )
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": CLIENT_NOT_KNOWN},
    )
    # No autofill: the browser would offer the officer's own name and phone.
    first_name = forms.CharField(
        label=_("First name"), max_length=100, required=False, widget=forms.TextInput(NAME_ATTRS)
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=100, required=False, widget=forms.TextInput(NAME_ATTRS)
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=DateInput(),
        validators=[validate_date_of_birth],
    )
    aliases = forms.CharField(
        label=_("Aliases / street names"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=Client.Language.choices, initial=Client.Language.ENGLISH
    )
    confirm_new = forms.BooleanField(label=_("None of these is the person: create a new client"), required=False)

    pathway = forms.ChoiceField(
        label=_("Pathway"),
        choices=Pathway.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a pathway.")},
    )
    partner = PartnerChoiceField(
        label=_("Partner"),
        queryset=ServicePartner.objects.filter(is_active=True),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": _("Choose one of the partners listed."),
            "required": _("Choose the partner you are referring to."),
        },
    )
    presenting_needs = forms.MultipleChoiceField(
        label=_("Presenting needs"), choices=Need.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    naloxone_administered = forms.BooleanField(label=_("Naloxone administered"), required=False)
    warm_handoff = forms.BooleanField(label=_("Warm handoff or transport to the partner"), required=False)
    charge_deflected = forms.CharField(
        # Optional, like every field without a star: no help line needed to say so.
        label=_("Charge deflected"),
        max_length=200,
        required=False,
    )
    officer_minutes = forms.IntegerField(
        # Its own entry, so the label can be shorter than on the deflection's page: on a phone
        # it sits beside the charge's, and a label on two lines pushes its field below the other.
        label=pgettext_lazy("the log form's label, beside another on a phone", "Minutes spent"),
        min_value=0,
        max_value=MAX_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "min_value": _("Minutes cannot be negative."),
            "required": _("Enter the minutes you spent (0 is fine)."),
        },
    )
    note = forms.CharField(
        label=_("Note for the partner"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    occurred_at = forms.DateTimeField(
        label=_("When it happened"),
        required=False,
        help_text=_("Leave empty to use the time now."),
        widget=DateTimeLocalInput(),
        validators=[validate_occurred_at],
    )
    location = forms.CharField(label=_("Location or beat"), max_length=200, required=False)
    substances = forms.MultipleChoiceField(
        label=_("Substances"), choices=Substance.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, user: User, first_offered: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.first_offered = first_offered
        self.possible_matches: list[Client] = []
        # A client whose identity was removed (purge_expired) is no longer someone to pick.
        self.fields["client"].queryset = Client.objects.filter(agency_id=user.agency_id, identity_removed_at=None)
        # Validation accepts any active partner, so that one not serving the agency gets a
        # message that says so (see clean); the officer is offered only those serving it,
        # 24/7 partners first.
        deciders = None
        if self.is_bound:
            self.listed_partners = partner_list_for_agency(agency_id=user.agency_id)
        else:
            # Shown, not yet sent: the agency's kept choices (referrals.log_choices).
            kept = log_choices.for_agency(user.agency_id)
            self.listed_partners = AgencyPartners(agency_id=user.agency_id, partners=kept.partners)
            deciders = kept.deciders
        self.served_partners = self.listed_partners.partners
        partner_field = self.fields["partner"]
        partner_field.widget.choices = [(p.pk, partner_field.label_from_instance(p)) for p in self.served_partners]
        partner_field.listed = {str(p.pk): p for p in self.served_partners}
        today = timezone.localdate(timezone=zoneinfo.ZoneInfo(user.agency.timezone)) if user.agency_id else None
        self.held_charge_setup(agency_id=user.agency_id, today=today or timezone.localdate(), deciders=deciders)
        # An officer working in Spanish most likely spoke with the person in Spanish: the
        # guess they need correct least often.
        if (language := (get_language() or "")[:2]) in (Client.Language.ENGLISH, Client.Language.SPANISH):
            self.fields["preferred_language"].initial = language

    NEW_CLIENT_FIELDS = ("first_name", "last_name", "date_of_birth", "preferred_language", "aliases", "phone")

    @property
    def new_client_errors(self) -> bool:
        """Whether a new-client field has an error: then its fields stay in sight, client picked or not."""
        return self.is_bound and any(name in self.errors for name in self.NEW_CLIENT_FIELDS)

    @cached_property
    def partner_groups(self) -> PartnerGroups:
        """The three likeliest partners, 24/7 ones first, and the rest. Likeliest: those this
        officer referred to most in the last 90 days, then the agency's order (24/7 first, by
        name). Read only when the form is shown: a save that succeeds does not pay for it."""
        served = self.served_partners
        if len(served) <= LIKELY_PARTNERS + 1:
            return PartnerGroups(likely=served, more=[], more_open=False)
        rank = {pk: n for n, pk in enumerate(partner_ids_used_recently(user=self.user, limit=LIKELY_PARTNERS))}
        # sorted() is stable: partners not used lately keep the agency's order after the used ones.
        chosen = sorted(served, key=lambda p: rank.get(p.pk, len(rank)))[:LIKELY_PARTNERS]
        likely = sorted(chosen, key=lambda p: (not p.is_24_7, rank.get(p.pk, len(rank)), served.index(p)))
        more = [p for p in served if p not in chosen]
        picked = str(self["partner"].value() or "")
        more_open = bool(self.errors.get("partner")) if self.is_bound else False
        more_open = more_open or any(str(p.pk) == picked for p in more)
        return PartnerGroups(likely=likely, more=more, more_open=more_open)

    @classmethod
    def offered_to(cls, user: User) -> LogDeflectionForm:
        """The form as an officer opens it: nothing typed yet, the agency's defaults."""
        return cls(initial=cls.initial_for(user), user=user, first_offered=True)

    # All a form as first offered holds: its token (drawn outside what is kept) and defaults.
    FIRST_OFFERED_INITIAL = frozenset({"submission_token", "officer_minutes", "charge_deadline"})

    @cached_property
    def first_offered_key(self) -> str:
        """What the form's fields, as first offered, are drawn from besides the code: the
        reader's language, and the agency's default minutes, deciding offices and today.
        log.html keeps those fields drawn under it ({% cache %}), the same for every officer
        of the agency that day: they were a fifth of the officer's home. Empty for any other
        form: one holding what an officer typed is drawn each time and never kept. (The
        submission token, the partners and the client search are drawn outside these.)"""
        if not self.first_offered or self.is_bound or set(self.initial) - self.FIRST_OFFERED_INITIAL:
            return ""
        return repr(
            (
                get_language(),
                self.user.agency_id,
                self.initial.get("officer_minutes"),
                self.fields["charge_deadline"].widget.attrs.get("data-first-day"),
                str(self.initial.get("charge_deadline")),
                list(self.charge_deciders),
            )
        )

    @classmethod
    def initial_for(cls, user: User) -> dict:
        minutes = user.agency.default_deflection_minutes if user.agency else 30
        return {"submission_token": submission_token_new(), "officer_minutes": minutes}

    def clean(self) -> dict:
        data = super().clean()
        partner = data.get("partner")
        if partner is not None and partner not in self.served_partners:
            self.add_error("partner", _("%(partner)s does not serve your agency.") % {"partner": partner.name})
        self.held_charge_clean(data)
        if data.get("client") is not None:
            return data
        if self.has_error("first_name") or self.has_error("last_name"):
            return data
        # The service refuses these too; said here beside the form's other errors, at once.
        if not data.get("first_name"):
            self.add_error("first_name", FIRST_NAME_NEEDED)
        if not data.get("last_name"):
            self.add_error("last_name", LAST_NAME_NEEDED)
        if data.get("first_name") and data.get("last_name") and not data.get("confirm_new") and self.errors:
            # referral_create refuses a possible duplicate (the view then shows the matches);
            # a form with other errors never reaches it, so the officer sees them all at once.
            self.possible_matches = possible_duplicates(
                user=self.user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                date_of_birth=data.get("date_of_birth"),
            )
            if self.possible_matches:
                self.add_error("confirm_new", POSSIBLY_KNOWN)
        return data

    def new_client(self) -> NewClient | None:
        """The client typed in, when none was picked: what referral_create makes of it."""
        data = self.cleaned_data
        if data["client"] is not None:
            return None
        return NewClient(
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            aliases=data["aliases"],
            phone=data["phone"],
            preferred_language=data["preferred_language"],
        )

    def service_kwargs(self) -> dict:
        """What referral_create needs, from the cleaned data: the client picked or typed in, and the encounter."""
        data = self.cleaned_data
        kwargs = {
            key: data[key]
            for key in (
                "pathway",
                "partner",
                "presenting_needs",
                "substances",
                "naloxone_administered",
                "warm_handoff",
                "charge_deflected",
                "officer_minutes",
                "note",
                "location",
                "occurred_at",
            )
        }
        kwargs["client"] = data["client"]
        kwargs["new_client"] = self.new_client()
        kwargs["submission_token"] = data["submission_token"].token
        kwargs["form_shown_at"] = data["submission_token"].shown_at
        kwargs["confirm_new"] = data["confirm_new"]
        kwargs["listed_partners"] = self.listed_partners
        kwargs["held_charge"] = self.held_charge_data()
        return kwargs


class IncidentSearchForm(forms.Form):
    incident_number = forms.CharField(
        label=_("Find by incident number"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


# ---------------------------------------------------------------------------
# Casework: one small form per transition, follow-ups and consent.
# ---------------------------------------------------------------------------


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _reason_field(choices: list[tuple[str, str]]) -> forms.ChoiceField:
    # Radios with nothing preselected: one tap must not record a reason nobody chose.
    return forms.ChoiceField(
        label=_("Reason"),
        choices=choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason.")},
    )


class RejectForm(NoteForm):
    reason = _reason_field(Referral.RejectReason.choices)
    field_order = ["reason", "note"]


class CancelForm(NoteForm):
    reason = _reason_field(Referral.CancelReason.choices)
    field_order = ["reason", "note"]


class FailForm(NoteForm):
    reason = _reason_field(Referral.FailReason.choices)
    field_order = ["reason", "note"]


class IntakeForm(NoteForm):
    intake_at = forms.DateTimeField(
        label=_("Intake time"),
        required=False,
        help_text=_("Leave empty to use the time now."),
        widget=DateTimeLocalInput(),
    )


# action -> (form, button label)
ACTION_FORMS: dict[str, tuple[type[forms.Form], str]] = {
    "accept": (NoteForm, _("Accept")),
    "reject": (RejectForm, _("Decline")),
    "cancel": (CancelForm, _("Cancel referral")),
    "record_intake": (IntakeForm, _("Record intake")),
    "hold": (NoteForm, _("Put on hold")),
    "resume": (NoteForm, _("Resume")),
    "complete": (NoteForm, _("Complete referral (treatment finished)")),
    "fail": (FailForm, _("Close as not completed")),
}


class FollowUpCompleteForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=FollowUp.Outcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note (optional)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CheckInForm(forms.ModelForm):
    """The referring officer's check-in with the person they referred (the service checks the date)."""

    kind = forms.ChoiceField(
        label=_("What happened"),
        choices=OfficerCheckIn.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what happened.")},
    )

    class Meta:
        model = OfficerCheckIn
        fields = ["on", "kind", "where", "note"]
        error_messages = {"on": {"required": _("Enter the day you saw them.")}}
        widgets = {
            "on": DateInput(),
            "note": forms.Textarea(attrs={"rows": 2, "maxlength": 280}),
        }
        labels = {"where": _("Where (optional)"), "note": _("Short note (optional)")}


class FollowUpCreateForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (k, label)
            for k, label in FollowUp.Kind.choices
            if k in (FollowUp.Kind.CONTACT_ATTEMPT, FollowUp.Kind.INTAKE_CHECK, FollowUp.Kind.OFFICER_CHECK_IN)
        ],
    )
    due_at = forms.DateTimeField(label=_("Due"), widget=DateTimeLocalInput())
    assigned_to = forms.ModelChoiceField(label=_("Assigned to"), queryset=User.objects.none(), required=False)
    assigned_to.label_from_instance = lambda user: user.get_full_name() or user.username
    note = forms.CharField(label=_("Note (optional)"), max_length=2000, required=False)

    def __init__(self, *args, partner_id: int | None, me: User | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # "Me" is the empty choice (the service assigns the one who adds it): not listed twice.
        self.fields["assigned_to"].queryset = User.objects.filter(
            partner_id=partner_id, role=User.Role.CASE_MANAGER, is_active=True
        ).exclude(pk=me.pk if me else None)
        self.fields["assigned_to"].empty_label = _("Me")

    def clean_due_at(self):
        due = self.cleaned_data["due_at"]
        if due < timezone.now() - timedelta(minutes=5):
            raise forms.ValidationError(_("The due time is in the past."))
        return due


class ConsentSignature(forms.Form):
    """What every consent form asks: the client's signature (typed, and drawn on a touch
    screen), the date signed (from the encounter to today, agency time: the service's rule,
    offered by the date picker too) and the language of the form."""

    signature_name = forms.CharField(
        label=_("Client's signature (typed full name)"),
        max_length=200,
        error_messages={"required": _("The client signs by typing their full name here.")},
    )
    signature_drawing = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200_000)
    signed_on = forms.DateField(label=_("Date signed"), widget=DateInput())
    language = forms.ChoiceField(label=_("Language of the form"), choices=Client.Language.choices[:2])

    def __init__(self, *args, referral: Referral, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.first_day, self.today = consent_signing_window(referral=referral)
        self.fields["signed_on"].widget.attrs.update(min=self.first_day.isoformat(), max=self.today.isoformat())
        if not self.is_bound:
            self.initial.setdefault("signed_on", self.today)
            self.initial.setdefault(
                "language",
                referral.client.preferred_language if referral.client.preferred_language in ("en", "es") else "en",
            )


class ConsentForm(ConsentSignature):
    field_order = ["scope", "to_referring_agency", "recipient_partners", "purpose", "expires_on", "expiry_event"]

    scope = forms.ChoiceField(
        label=_("What may be disclosed"),
        # The criminal-justice kind's scope is its own form's.
        choices=[(v, label) for v, label in Consent.Scope.choices if v != Consent.Scope.TREATMENT_ATTENDANCE],
        initial=Consent.Scope.STATUS_OUTCOMES,
        widget=forms.RadioSelect,
    )
    to_referring_agency = forms.BooleanField(label=_("To the referring agency"), required=False, initial=True)
    recipient_partners = IdsChoiceField(
        label=_("To these partners"),
        queryset=ServicePartner.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    purpose = forms.CharField(
        label=_("Purpose of the disclosure"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        initial=_("To let the referring officer know the outcome of the referral and to coordinate care."),
    )
    expires_on = forms.DateField(label=_("Expires on a date"), required=False, widget=DateInput())
    expiry_event = forms.ChoiceField(
        label=_("Or expires when"),
        choices=Consent.ExpiryEvent.choices,
        required=False,
        initial=Consent.ExpiryEvent.END_OF_TREATMENT,
    )

    def __init__(self, *args, referral: Referral, **kwargs) -> None:
        super().__init__(*args, referral=referral, **kwargs)
        self.fields["recipient_partners"].queryset = ServicePartner.objects.filter(
            agencies=referral.agency_id, is_active=True
        ).exclude(pk=referral.partner_id)
        self.fields["to_referring_agency"].label = _("To the referring agency (%(agency)s)") % {
            "agency": referral.agency.name
        }

    def clean(self) -> dict:
        data = super().clean()
        today = self.today
        expires_on = data.get("expires_on")
        if expires_on and expires_on < today:
            self.add_error("expires_on", _("The expiry date is in the past."))
        if (
            not expires_on
            and data.get("expiry_event") != Consent.ExpiryEvent.END_OF_TREATMENT
            and "expires_on" not in self.errors
        ):
            self.add_error("expires_on", _("Give an expiry date or event."))
        if data.get("signed_on") and data["signed_on"] > today:
            self.add_error("signed_on", _("The date signed cannot be in the future."))
        elif data.get("signed_on") and data["signed_on"] < self.first_day:
            self.add_error(
                "signed_on",
                _("The date signed cannot be before the encounter (%(date)s).") % {"date": self.first_day.isoformat()},
            )
        if not data.get("to_referring_agency") and not data.get("recipient_partners"):
            self.add_error("to_referring_agency", _("Name at least one recipient."))
        return data


class RevokeForm(forms.Form):
    note = forms.CharField(
        label=_("How the client revoked"),
        max_length=300,
        help_text=_("For example: by phone to the case manager, in writing."),
    )


class CriminalJusticeConsentForm(ConsentSignature):
    """The criminal-justice consent (42 CFR §2.35): its recipient, what and why come from the
    held charge; the client signs, for a stated period."""

    field_order = ["purpose", "expires_on"]

    purpose = forms.CharField(
        label=_("Purpose of the disclosure"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        widget=DateInput(),
        help_text=_("The period it lasts, stated: long enough for the charge to be decided."),
        error_messages={"required": _("State how long the consent lasts: the date it expires.")},
    )

    def __init__(self, *args, referral: Referral, charge: HeldCharge, **kwargs) -> None:
        super().__init__(*args, referral=referral, **kwargs)
        if not self.is_bound:
            self.initial.update(
                purpose=_("To let %(court)s know whether I entered treatment and stayed in it, for case %(case)s.")
                % {"court": charge.decider.name, "case": charge.case_number},
                # Past the deadline, so that a decision made at it is covered.
                expires_on=max(charge.deadline, self.today) + timedelta(days=DEFAULT_DEADLINE_DAYS),
            )


class PossibleDuplicateForm(forms.Form):
    """The officer's one tap: the same person as one of the clients found, or a different one."""

    same_as = forms.IntegerField(
        required=False, min_value=1, max_value=IdsChoiceField.LARGEST, widget=forms.HiddenInput
    )
    different = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean()
        if (data.get("same_as") is None) == (not data.get("different")):
            raise forms.ValidationError(_("Choose the same person, or a different person."))
        return data
