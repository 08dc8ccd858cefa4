"""Forms only validate; the views hand clean data to the services."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deflection.models import User
from partners.models import ServicePartner
from partners.selectors import partner_list_for_agency
from referrals.models import Client, Need, Pathway, Substance
from referrals.selectors import client_search_for_officer

MAX_AGE_YEARS = 120
MAX_MINUTES = 24 * 60
# A possible duplicate scores at least this (see selectors.name_similarity).
DUPLICATE_SCORE = 0.8


class PartnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ServicePartner) -> str:
        return f"{obj.name} · 24/7" if obj.is_24_7 else obj.name


class LogDeflectionForm(forms.Form):
    submission_token = forms.UUIDField(widget=forms.HiddenInput)
    search = forms.CharField(
        label=_("Find the client"),
        required=False,
        max_length=100,
        help_text=_("Name, alias or date of birth. Pick them below, or enter a new client."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "type": "search", "enterkeyhint": "search"}),
    )
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("That client is not known to your agency. Search again.")},
    )
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    aliases = forms.CharField(label=_("Aliases / street names"), max_length=300, required=False)
    phone = forms.CharField(
        label=_("Phone"), max_length=30, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=Client.Language.choices, initial=Client.Language.ENGLISH
    )
    confirm_new = forms.BooleanField(label=_("None of these is the person: create a new client"), required=False)

    pathway = forms.ChoiceField(label=_("Pathway"), choices=Pathway.choices, widget=forms.RadioSelect)
    partner = PartnerChoiceField(
        label=_("Partner"),
        queryset=ServicePartner.objects.filter(is_active=True),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the partners listed.")},
    )
    presenting_needs = forms.MultipleChoiceField(
        label=_("Presenting needs"), choices=Need.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    naloxone_administered = forms.BooleanField(label=_("Naloxone administered"), required=False)
    warm_handoff = forms.BooleanField(label=_("Warm handoff or transport to the partner"), required=False)
    charge_deflected = forms.CharField(
        label=_("Charge deflected (optional)"),
        max_length=200,
        required=False,
        help_text=_("The charge you would otherwise have booked, if any."),
    )
    officer_minutes = forms.IntegerField(
        label=_("Minutes spent"),
        min_value=0,
        max_value=MAX_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"min_value": _("Minutes cannot be negative.")},
    )
    note = forms.CharField(
        label=_("Note for the partner"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    occurred_at = forms.DateTimeField(
        label=_("When it happened"),
        required=False,
        help_text=_("Leave empty for now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    location = forms.CharField(label=_("Location or beat"), max_length=200, required=False)
    substances = forms.MultipleChoiceField(
        label=_("Substances"), choices=Substance.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.possible_matches: list[Client] = []
        self.fields["client"].queryset = Client.objects.filter(agency_id=user.agency_id)
        # Validation accepts any active partner, so that one not serving the agency gets a
        # message that says so (see clean); the officer is offered only those serving it,
        # 24/7 partners first.
        self.served_partners = list(partner_list_for_agency(agency_id=user.agency_id))
        partner_field = self.fields["partner"]
        partner_field.widget.choices = [(p.pk, partner_field.label_from_instance(p)) for p in self.served_partners]

    @classmethod
    def initial_for(cls, user: User) -> dict:
        minutes = user.agency.default_deflection_minutes if user.agency else 30
        return {"submission_token": uuid.uuid4(), "officer_minutes": minutes}

    def clean_date_of_birth(self) -> date | None:
        dob = self.cleaned_data.get("date_of_birth")
        if dob is None:
            return None
        today = timezone.localdate()
        if dob > today:
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if dob < today.replace(year=today.year - MAX_AGE_YEARS):
            raise forms.ValidationError(_("The date of birth is more than 120 years ago; check the year."))
        return dob

    def clean_occurred_at(self):
        occurred = self.cleaned_data.get("occurred_at")
        if occurred and occurred > timezone.now() + timedelta(minutes=10):
            raise forms.ValidationError(_("This cannot be in the future."))
        if occurred and occurred < timezone.now() - timedelta(days=30):
            raise forms.ValidationError(_("Deflections are logged within 30 days; ask your supervisor."))
        return occurred

    def clean(self) -> dict:
        data = super().clean()
        partner = data.get("partner")
        if partner is not None and partner not in self.served_partners:
            self.add_error("partner", _("%(partner)s does not serve your agency.") % {"partner": partner.name})
        if data.get("client") is not None:
            return data
        if self.has_error("first_name") or self.has_error("last_name"):
            return data
        if not data.get("first_name"):
            self.add_error("first_name", _("Enter the client's first name, or pick a client found above."))
        if not data.get("last_name"):
            self.add_error("last_name", _("Enter the client's last name, or pick a client found above."))
        if data.get("first_name") and data.get("last_name") and not data.get("confirm_new"):
            query = f"{data['first_name']} {data['last_name']}"
            if data.get("date_of_birth"):
                query += f" {data['date_of_birth']:%Y-%m-%d}"
            matches = client_search_for_officer(user=self.user, query=query)
            self.possible_matches = [m for m in matches if getattr(m, "match_score", 0) >= DUPLICATE_SCORE]
            if self.possible_matches:
                self.add_error(
                    "confirm_new",
                    _(
                        "This person may already be known. Pick them from the list, "
                        "or tick the box to create a new client."
                    ),
                )
        return data

    def service_kwargs(self) -> dict:
        """What referral_create needs, from the cleaned data."""
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
        kwargs["submission_token"] = data["submission_token"]
        return kwargs
