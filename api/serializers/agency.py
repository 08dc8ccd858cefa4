"""What an agency's records or dispatch system sends and is shown.

It sends a deflection as the log form does; it is shown the agency's referrals as police
see them (referrals.police_disclosure): that the partner received it, whether it is open,
and more only within the client's consent to share with the agency. Never the client's
identity: the system knew the person when it logged them; it gets the client's id back.
"""

from __future__ import annotations

from rest_framework import serializers

from referrals.models import Client, Need, Pathway, Referral, Substance
from referrals.police_disclosure import OfficerView


class NewClientSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, allow_blank=True)
    last_name = serializers.CharField(max_length=100, allow_blank=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    aliases = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    preferred_language = serializers.ChoiceField(
        choices=Client.Language.choices, required=False, default=Client.Language.ENGLISH
    )


class DeflectionCreateSerializer(serializers.Serializer):
    submission_key = serializers.UUIDField(
        help_text="A UUID the system makes for this deflection. Sent again (a retry), it saves nothing new and "
        "answers the deflection it saved, as the log form's token does for a double tap."
    )
    officer_badge = serializers.CharField(max_length=20, help_text="The badge number of the officer, in your agency.")
    incident_number = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="", help_text="Your agency's incident number."
    )
    partner_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="A partner serving your agency.")
    pathway = serializers.ChoiceField(choices=Pathway.choices)
    occurred_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When it happened (within 30 days); default now."
    )
    officer_minutes = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Minutes spent; default the agency's."
    )
    client_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=2**63 - 1,
        help_text="A client your agency knows (an id given back before). Or new_client; not both.",
    )
    new_client = NewClientSerializer(required=False, allow_null=True, default=None)
    confirm_new = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The new client may be someone known (422 lists possible_matches): true if none of them is.",
    )
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    presenting_needs = serializers.ListField(
        child=serializers.ChoiceField(choices=Need.choices), required=False, default=list, max_length=len(Need.choices)
    )
    substances = serializers.ListField(
        child=serializers.ChoiceField(choices=Substance.choices),
        required=False,
        default=list,
        max_length=len(Substance.choices),
    )
    naloxone_administered = serializers.BooleanField(required=False, default=False)
    charge_deflected = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    warm_handoff = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class OutcomeSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    text = serializers.CharField()


class PoliceStatusSerializer(serializers.Serializer):
    label = serializers.CharField(
        help_text="What police may know: received and open, closed, or cancelled by its officer; more with consent."
    )
    is_open = serializers.BooleanField()
    consent_scope = serializers.CharField(help_text="The client's consent to share with the agency, if any.")
    consent_active = serializers.BooleanField()
    changed_at = serializers.DateTimeField(allow_null=True)
    check_72h = serializers.CharField()
    outcomes = OutcomeSerializer(many=True)


class AgencyReferralSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_id = serializers.IntegerField()
    incident_number = serializers.CharField()
    officer_badge = serializers.CharField()
    partner_id = serializers.IntegerField()
    partner_name = serializers.CharField()
    pathway = serializers.ChoiceField(choices=Pathway.choices)
    occurred_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    status = PoliceStatusSerializer()


class DeflectionLoggedSerializer(AgencyReferralSerializer):
    created = serializers.BooleanField(help_text="False: this submission_key was saved before; nothing new was made.")
    officer_contact = serializers.BooleanField(
        help_text="True: the client's referral to this partner was still open; the encounter was added to it."
    )


class PossibleMatchSerializer(serializers.Serializer):
    client_id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)


def agency_referral_data(referral: Referral, view: OfficerView) -> dict:
    """A referral as the agency's records system is shown it: as its officers see it."""
    return {
        "id": referral.pk,
        "client_id": referral.client_id,
        "incident_number": referral.incident_number,
        "officer_badge": referral.officer.badge_number,
        "partner_id": referral.partner_id,
        "partner_name": referral.partner.name,
        "pathway": referral.pathway,
        "occurred_at": referral.occurred_at,
        "created_at": referral.created_at,
        "status": {
            "label": view.label,
            "is_open": view.is_open,
            "consent_scope": view.scope,
            "consent_active": view.consent_active,
            "changed_at": view.changed_at,
            "check_72h": view.check_72h,
            "outcomes": [{"at": item.when, "text": item.text} for item in view.items],
        },
    }
