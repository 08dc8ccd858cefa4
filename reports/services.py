"""Writes for quick wins."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deflection.models import User
from referrals.models import Referral
from reports.models import SuccessStory


def may_record_story(*, user: User, referral: Referral) -> bool:
    """The referring officer, the partner's case managers, or a program administrator."""
    if user.is_superuser or user.is_program_admin:
        return True
    if user.is_case_manager:
        return user.partner_id == referral.partner_id
    return user.is_field_officer and referral.officer.user_id == user.pk


@transaction.atomic
def success_story_create(
    *, referral: Referral, actor: User, source: str, text: str, consent_to_share: bool
) -> SuccessStory:
    if not may_record_story(user=actor, referral=referral):
        raise ValidationError(_("You cannot add a story to this referral."))
    story = SuccessStory(
        referral=referral,
        agency_id=referral.agency_id,
        source=source,
        text=text.strip(),
        consent_to_share=consent_to_share,
        consent_recorded_at=timezone.now() if consent_to_share else None,
        recorded_by=actor,
    )
    story.full_clean()
    story.save()
    return story
