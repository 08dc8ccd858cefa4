from __future__ import annotations

import factory

from deflection.models import Agency, Program, Unit, User

PASSWORD = "correct-horse-battery-9"
# Every agency made without naming its program is in this one (get or create by name), as
# every program administrator is: the installation of one program that tests mostly need.
DEFAULT_PROGRAM = "Test County Deflection Program"


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        django_get_or_create = ["name"]

    name = DEFAULT_PROGRAM
    timezone = "America/Phoenix"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Agency {n} Police Department")
    program = factory.SubFactory(ProgramFactory)
    kind = Agency.Kind.POLICE
    timezone = "America/Phoenix"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Unit {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = User.Role.OFFICER
    agency = factory.SubFactory(AgencyFactory)
    badge_number = factory.Sequence(lambda n: f"B{n:04d}")
    # A program administrator runs the agency's program (the default one without an agency).
    program = factory.LazyAttribute(
        lambda u: (u.agency.program if u.agency else ProgramFactory()) if u.role == User.Role.PROGRAM_ADMIN else None
    )
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()
