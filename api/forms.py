"""The program admin's form for a new integration client: it validates; api.services makes it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deflection.models import Agency, User
from deflection.permissions import agencies_of_program, in_program
from partners.models import ServicePartner

DEFAULT_VALIDITY = timedelta(days=365)


class IntegrationClientForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("The system and who runs it, e.g. “Y clinic's EHR (vendor name)”."),
    )
    acts_for = forms.ChoiceField(
        label=_("Acts for"),
        help_text=_(
            "A partner's system works that partner's referrals; an agency's records or dispatch system logs "
            "deflections for its officers and reads their status."
        ),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The token stops working at the end of this day. Two years at most."),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The partners and agencies of the program administrator's program.
        partners = in_program(ServicePartner.objects.filter(is_active=True), user).order_by("name")
        agencies = agencies_of_program(user)
        self.fields["acts_for"].choices = [
            ("", _("Choose a partner or an agency")),
            (_("Partners"), [(f"partner:{p.pk}", p.name) for p in partners]),
            (_("Agencies"), [(f"agency:{a.pk}", a.name) for a in agencies]),
        ]
        if not self.is_bound:
            self.initial.setdefault("expires_on", timezone.localdate() + DEFAULT_VALIDITY)

    def scope(self) -> dict:
        """The service's partner= or agency= argument, from the choice made."""
        kind, pk = self.cleaned_data["acts_for"].split(":")
        if kind == "partner":
            return {"partner": ServicePartner.objects.get(pk=pk)}
        return {"agency": Agency.objects.get(pk=pk)}

    def expires_at(self) -> datetime:
        day: date = self.cleaned_data["expires_on"]
        return timezone.make_aware(datetime.combine(day, time.max), timezone.get_current_timezone())
