from __future__ import annotations

from reports.models import SuccessStory
from reports.services import success_story_create, success_story_review
from tests.factories.referrals import OfficerFactory, ReferralFactory


def story_told(
    cast, text: str, *, share: bool = True, review: bool | None = True, referral=None, source: str = "client"
) -> SuccessStory:
    """A story through the services, as partner Y's case manager records it about officer A1's
    deflection (unless given): shared or not, then approved (True), declined (False) or left pending."""
    referral = referral or ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    story = success_story_create(
        referral=referral, actor=cast.case_manager_y, source=source, text=text, consent_to_share=share
    )
    if review is not None:
        story = success_story_review(story_id=story.pk, actor=cast.admin, approve=review)
    return story
