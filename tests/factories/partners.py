from __future__ import annotations

import factory

from partners.models import ServicePartner


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
