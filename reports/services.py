"""Writes for quick wins."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deflection.models import User
from referrals.models import Referral
from referrals.selectors import may_add_story
from reports.models import SuccessStory


@transaction.atomic
def success_story_create(
    *, referral: Referral, actor: User, source: str, text: str, consent_to_share: bool
) -> SuccessStory:
    if not may_add_story(user=actor, referral=referral):
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
