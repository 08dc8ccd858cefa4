from __future__ import annotations

import factory
from django.utils import timezone

from buyin.models import OfficerFeedback
from tests.factories.referrals import ReferralFactory


class OfficerFeedbackFactory(factory.django.DjangoModelFactory):
    """An officer's answer to the question after a deflection (the referral's own officer)."""

    class Meta:
        model = OfficerFeedback

    referral = factory.SubFactory(ReferralFactory)
    officer = factory.LazyAttribute(lambda f: f.referral.created_by)
    ease = OfficerFeedback.Ease.EASIER
    answered_at = factory.LazyFunction(timezone.now)
