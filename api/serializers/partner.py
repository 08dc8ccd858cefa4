"""What a partner's record system is shown and sends: its referrals as its case managers see
them on the casework page (the client's identity included: the partner treats them), and
the steps of the lifecycle with what each takes."""

from __future__ import annotations

from rest_framework import serializers

from referrals.models import Client, FollowUp, Pathway, Referral

# The API's names for the lifecycle's moves (referrals.services.TRANSITIONS).
STEPS = {
    "accept": "accept",
    "decline": "reject",
    "intake": "record_intake",
    "hold": "hold",
    "resume": "resume",
    "complete": "complete",
    "fail": "fail",
}
API_STEP = {action: step for step, action in STEPS.items()}


class ClientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    aliases = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    phone = serializers.CharField()
    preferred_language = serializers.ChoiceField(choices=Client.Language.choices)


class FollowUpSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=FollowUp.Kind.choices)
    due_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField(
        help_text="Empty until completed; then one of engaged, not_engaged, no_contact, other."
    )
    note = serializers.CharField()
    recordable_on = serializers.DateField(
        allow_null=True,
        help_text="A retention check's outcome is taken from this day (the agency's calendar), the day it is due; "
        "null: at once.",
    )


class PartnerReferralSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Referral.Status.choices)
    status_label = serializers.CharField()
    status_reason = serializers.CharField()
    status_changed_at = serializers.DateTimeField(allow_null=True)
    next_steps = serializers.ListField(
        child=serializers.ChoiceField(choices=list(STEPS)), help_text="The steps this referral takes now."
    )
    created_at = serializers.DateTimeField()
    occurred_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    intake_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    agency_id = serializers.IntegerField()
    agency_name = serializers.CharField()
    officer_name = serializers.CharField()
    pathway = serializers.ChoiceField(choices=Pathway.choices)
    presenting_needs = serializers.ListField(child=serializers.CharField())
    substances = serializers.ListField(child=serializers.CharField())
    naloxone_administered = serializers.BooleanField()
    warm_handoff = serializers.BooleanField()
    charge_deflected = serializers.CharField()
    location = serializers.CharField()
    note = serializers.CharField()
    client = ClientSerializer()


class PartnerReferralDetailSerializer(PartnerReferralSerializer):
    follow_ups = FollowUpSerializer(many=True)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DeclineSerializer(NoteSerializer):
    reason = serializers.ChoiceField(choices=Referral.RejectReason.choices)


class FailSerializer(NoteSerializer):
    reason = serializers.ChoiceField(choices=Referral.FailReason.choices)


class IntakeSerializer(NoteSerializer):
    intake_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the client attended; default now."
    )


STEP_BODIES: dict[str, type[serializers.Serializer] | None] = {
    "accept": None,
    "decline": DeclineSerializer,
    "intake": IntakeSerializer,
    "hold": NoteSerializer,
    "resume": NoteSerializer,
    "complete": NoteSerializer,
    "fail": FailSerializer,
}


class FollowUpCompleteSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=FollowUp.Outcome.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


def partner_referral_data(referral: Referral, next_steps: list[str]) -> dict:
    client = referral.client
    return {
        "id": referral.pk,
        "status": referral.status,
        # From the enum, not get_status_display(), which rebuilds the choices on every row.
        "status_label": str(Referral.Status(referral.status).label),
        "status_reason": referral.status_reason,
        "status_changed_at": referral.status_changed_at,
        "next_steps": [API_STEP[action] for action in next_steps if action in API_STEP],
        "created_at": referral.created_at,
        "occurred_at": referral.occurred_at,
        "accepted_at": referral.accepted_at,
        "intake_at": referral.intake_at,
        "closed_at": referral.closed_at,
        "agency_id": referral.agency_id,
        "agency_name": referral.agency.name,
        "officer_name": referral.officer.display_name,
        "pathway": referral.pathway,
        "presenting_needs": referral.presenting_needs,
        "substances": referral.substances,
        "naloxone_administered": referral.naloxone_administered,
        "warm_handoff": referral.warm_handoff,
        "charge_deflected": referral.charge_deflected,
        "location": referral.location,
        "note": referral.note,
        "client": {
            "id": client.pk,
            "first_name": client.first_name,
            "last_name": client.last_name,
            "aliases": client.aliases,
            "date_of_birth": client.date_of_birth,
            "phone": client.phone,
            "preferred_language": client.preferred_language,
        },
    }


def follow_up_data(follow_up: FollowUp) -> dict:
    return {
        "id": follow_up.pk,
        "kind": follow_up.kind,
        "due_at": follow_up.due_at,
        "completed_at": follow_up.completed_at,
        "outcome": follow_up.outcome,
        "note": follow_up.note,
        "recordable_on": follow_up.recordable_on,
    }
