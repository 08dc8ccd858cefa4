"""The relationship forms: they validate; partners.services makes the change."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import PartnerContact, ServicePartner


class PartnerContactForm(forms.Form):
    contact_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=PartnerContact.Kind.choices)
    met_with = forms.CharField(
        label=_("Who from the partner (optional)"),
        max_length=200,
        required=False,
        help_text=_("Names and roles, as you like."),
    )
    what = forms.CharField(
        label=_("What was said or agreed"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_step = forms.CharField(label=_("Next step (optional)"), max_length=300, required=False)
    next_step_due = forms.DateField(
        label=_("Next step due (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The program administrators are reminded by email that morning."),
    )

    def __init__(self, *args, today=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if today is not None and not self.is_bound:
            self.initial.setdefault("contact_on", today)


class TierChangeForm(forms.Form):
    tier = forms.ChoiceField(label=_("New engagement tier"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Why"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the partner's tier history with your name and the date."),
    )

    def __init__(self, *args, partner: ServicePartner, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The tiers the partner can move to: staying put is not a change.
        self.fields["tier"].choices = [
            (value, label) for value, label in ServicePartner.Tier.choices if value != partner.engagement_tier
        ]
