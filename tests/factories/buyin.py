from __future__ import annotations

import factory

from buyin.models import FeedbackObstacle, OfficerFeedback
from tests.factories.referrals import ReferralFactory


class OfficerFeedbackFactory(factory.django.DjangoModelFactory):
    """An officer's answer after logging a deflection (ease "" for a skip); `obstacles=[kinds]`
    adds what got in the way."""

    class Meta:
        model = OfficerFeedback
        skip_postgeneration_save = True

    referral = factory.SubFactory(ReferralFactory)
    officer = factory.LazyAttribute(lambda f: f.referral.officer.user)
    ease = OfficerFeedback.Ease.EASIER

    @factory.post_generation
    def obstacles(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            FeedbackObstacle.objects.bulk_create(FeedbackObstacle(feedback=obj, kind=kind) for kind in extracted)
