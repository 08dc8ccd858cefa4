from __future__ import annotations

from datetime import date, timedelta

import factory

from buyin.models import Champion, TrainingAttendance, TrainingSession
from tests.factories.core import AgencyFactory, UnitFactory, UserFactory


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
