from __future__ import annotations

from datetime import date, timedelta

import factory
from django.utils import timezone

from buyin.models import Champion, OfficerFeedback, TrainingAttendance, TrainingSession
from tests.factories.core import AgencyFactory, UnitFactory, UserFactory
from tests.factories.referrals import ReferralFactory


class OfficerFeedbackFactory(factory.django.DjangoModelFactory):
    """An officer's answer to the question after a deflection (the referral's own officer)."""

    class Meta:
        model = OfficerFeedback

    referral = factory.SubFactory(ReferralFactory)
    officer = factory.LazyAttribute(lambda f: f.referral.created_by)
    ease = OfficerFeedback.Ease.EASIER
    answered_at = factory.LazyFunction(timezone.now)


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession

    agency = factory.SubFactory(AgencyFactory)
    held_on = factory.LazyFunction(lambda: date.today() - timedelta(days=40))
    topic = TrainingSession.Topic.ADDICTION_MAT
    trainer = factory.Faker("name")


class TrainingAttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingAttendance

    session = factory.SubFactory(TrainingSessionFactory)


class ChampionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Champion

    unit = factory.SubFactory(UnitFactory)
    user = factory.SubFactory(UserFactory, agency=factory.SelfAttribute("..unit.agency"))
    kind = Champion.Kind.FTO
    since = factory.LazyFunction(lambda: date.today() - timedelta(days=30))
