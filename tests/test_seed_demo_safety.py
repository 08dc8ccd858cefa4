"""`manage.py seed_demo` never lands on real data: it refuses to run over a real program,
replaces only its own demo when forced, leaves a database alone when asked to seed only an
empty one, never takes over a real login, and seeds at any hour of the day."""

from __future__ import annotations

import io
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from deflection.models import Agency, User
from referrals.demo.builder import delete_demo_data
from referrals.demo.data import AGENCY_NAME
from referrals.models import OfficerContact, Referral
from tests.factories.core import AgencyFactory, UserFactory


def _encounters(**agency) -> int:
    """The demo's 600 encounters: its referrals and the officer contacts on them."""
    contacts = OfficerContact.objects.filter(**{f"referral__{k}": v for k, v in agency.items()})
    return Referral.objects.filter(**agency).count() + contacts.count()


pytestmark = pytest.mark.django_db


def _seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_it_refuses_to_run_over_real_data(demo):
    real = AgencyFactory(name="Real County Sheriff's Office")
    with pytest.raises(CommandError, match="real program data"):
        _seed()
    assert Agency.objects.filter(pk=real.pk).exists()
    assert _encounters(agency__name=AGENCY_NAME) == 600


def test_with_force_it_replaces_the_demo_and_leaves_real_data_alone(demo):
    real = AgencyFactory(name="Real County Sheriff's Office")
    real_officer = UserFactory(username="real_officer", agency=real)
    before = set(Referral.objects.filter(agency__name=AGENCY_NAME).values_list("pk", flat=True))

    output = _seed(force=True)

    assert "Replaced the demo program" in output and "deflect-demo-2026" in output
    assert Agency.objects.filter(is_demo=True).count() == 2  # the police department and the sheriff's office
    after = set(Referral.objects.filter(agency__name=AGENCY_NAME).values_list("pk", flat=True))
    assert _encounters(agency__name=AGENCY_NAME) == 600 and not before & after
    assert User.objects.filter(pk=real_officer.pk).exists() and Agency.objects.filter(pk=real.pk).exists()


def test_it_never_takes_over_a_real_users_login(demo):
    delete_demo_data()  # rolled back after the test, like every write here
    real = AgencyFactory(name="Real County Sheriff's Office")
    UserFactory(username="admin", agency=real)
    with pytest.raises(CommandError, match="admin"):
        _seed(force=True)


def test_if_empty_leaves_an_existing_database_alone(demo):
    before = list(Referral.objects.filter(agency__name=AGENCY_NAME).values_list("pk", flat=True))
    output = _seed(if_empty=True)
    assert "leaving it as it is" in output
    assert list(Referral.objects.filter(agency__name=AGENCY_NAME).values_list("pk", flat=True)) == before


@pytest.mark.parametrize("hour", range(24))
def test_no_demo_deflection_predates_the_first_officers_on_duty_at_any_hour(hour):
    """Whenever the demo is seeded, every deflection of its history falls after the MHST
    officers came on duty: one in the early hours of the history's first day once found
    nobody on duty, and seeding failed at 16:20 UTC."""
    import random

    from referrals.demo.data import AGENCY_TZ, FIRST_ON_DUTY_DAYS
    from referrals.demo.plans import encounter_moment

    now = timezone.now().replace(hour=hour, minute=20)
    rnd, zone = random.Random(2026), zoneinfo.ZoneInfo(AGENCY_TZ)
    moments = [encounter_moment(rnd, now, zone) for _ in range(3000)]
    assert max(now - m for m in moments) <= timedelta(days=FIRST_ON_DUTY_DAYS)


@pytest.mark.parametrize(
    "hour",
    [
        (2026, 11, 27, 16, 20),
        # The sheriff's office had one encounter in the week before: the officer's "two this
        # week" were drawn from it.
        (2026, 12, 8, 2, 23),
    ],
)
def test_the_demo_seeds_at_the_hours_it_once_failed(hour):
    from datetime import UTC

    from referrals.demo.builder import DemoBuilder

    delete_demo_data()  # the module's demo, back after this test's rollback
    DemoBuilder(seed=2026, now=datetime(*hour, tzinfo=UTC)).build()
    assert _encounters(agency__name="Pima Valley Police Department") == 600
