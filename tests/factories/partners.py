from __future__ import annotations

from datetime import time, timedelta

import factory
from django.utils import timezone

from partners.models import PartnerContact, PartnerOpening, ServicePartner


class ServicePartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServicePartner
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Partner {n} Recovery Services")
    kind = ServicePartner.Kind.MAT_CLINIC
    is_24_7 = False

    @factory.post_generation
    def agencies(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.agencies.add(*extracted)


class PartnerContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerContact

    partner = factory.SubFactory(ServicePartnerFactory)
    contact_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=3))
    kind = PartnerContact.Kind.MEETING
    what = factory.Faker("sentence")
    met_with = factory.Faker("name")


class PartnerOpeningFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerOpening

    partner = factory.SubFactory(ServicePartnerFactory)
    weekday = PartnerOpening.Weekday.MONDAY
    opens_at = time(8, 0)
    closes_at = time(17, 0)


def open_on(partner: ServicePartner, days: range | list[int], opens: time, closes: time) -> None:
    """The partner opens on these days (0 is Monday) from `opens` to `closes`."""
    for day in days:
        PartnerOpeningFactory(partner=partner, weekday=day, opens_at=opens, closes_at=closes)
