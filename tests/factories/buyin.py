from __future__ import annotations

import factory
from django.utils import timezone

from buyin.models import Commendation, OfficerFeedback, RecognitionKind
from tests.factories.core import UserFactory
from tests.factories.referrals import ReferralFactory


class OfficerFeedbackFactory(factory.django.DjangoModelFactory):
    """An officer's answer to the question after a deflection (the referral's own officer)."""

    class Meta:
        model = OfficerFeedback

    referral = factory.SubFactory(ReferralFactory)
    officer = factory.LazyAttribute(lambda f: f.referral.created_by)
    ease = OfficerFeedback.Ease.EASIER
    answered_at = factory.LazyFunction(timezone.now)


class RecognitionKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecognitionKind
        django_get_or_create = ["agency", "name"]

    agency = factory.SubFactory("tests.factories.core.AgencyFactory")
    name = "Commendation"


class CommendationFactory(factory.django.DjangoModelFactory):
    """A commendation as commendation_create leaves it (its notice not yet sent)."""

    class Meta:
        model = Commendation

    officer = factory.SubFactory(UserFactory)
    agency = factory.LazyAttribute(lambda c: c.officer.agency)
    commended_by = factory.SubFactory(UserFactory, role="supervisor", agency=factory.SelfAttribute("..agency"))
    kind = factory.SubFactory(RecognitionKindFactory, agency=factory.SelfAttribute("..agency"))
    text = "Stayed with a man in crisis for forty minutes and got him to the crisis centre."
