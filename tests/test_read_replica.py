"""The read replica: dashboards, exports and the digest read from it; every page that must be
current, every write and the access record use the primary. A second PostgreSQL database
stands in for the replica: a copy of the primary taken at one moment, so that what was
written after is on the primary only, as on a replica that is behind."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from deflection.models import AccessEvent
from deflection.replica import from_replica
from referrals import services
from referrals.models import Pathway, Referral
from reports.digest import digest_send, reported_week
from reports.models import Digest, ExportRecord

# The replica is defined on PostgreSQL only (tests/settings.py): elsewhere these tests skip
# (below), and the database fixture must not ask for a database that is not there.
_DATABASES = ["default", "replica"] if "replica" in settings.DATABASES else ["default"]
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=_DATABASES),
]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if "replica" not in connections.settings:
        pytest.skip("the replica stand-in is a second PostgreSQL database")


def replicate() -> None:
    """Make the replica a copy of the primary as it is now (CREATE DATABASE ... TEMPLATE)."""
    primary, replica = (connections[alias].settings_dict for alias in ("default", "replica"))
    connections.close_all()  # a template database may have no other session
    maintenance = psycopg2.connect(
        dbname="postgres",
        user=primary["USER"],
        password=primary["PASSWORD"],
        host=primary["HOST"],
        port=primary["PORT"],
    )
    maintenance.autocommit = True
    with maintenance.cursor() as cursor:
        # Sessions other tests left open (a live server's thread) would block the copy.
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname IN (%s, %s) AND pid <> pg_backend_pid()",
            [primary["NAME"], replica["NAME"]],
        )
        cursor.execute(f'DROP DATABASE IF EXISTS "{replica["NAME"]}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{replica["NAME"]}" TEMPLATE "{primary["NAME"]}"')
    maintenance.close()


def _log(cast, *, first_name: str, occurred_at: datetime | None = None) -> Referral:
    return services.referral_create(
        officer_user=cast.officer_a1,
        partner=cast.partner_y,
        pathway=Pathway.OFFICER_PREVENTION,
        officer_minutes=30,
        occurred_at=occurred_at,
        new_client=services.NewClient(first_name=first_name, last_name="Replica"),
    ).referral


def _last_week(cast, day: int) -> datetime:
    week_start, _due = reported_week(cast.agency_a, timezone.now())
    zone = ZoneInfo(cast.agency_a.timezone)
    return datetime.combine(week_start + timedelta(days=day), clock(10), tzinfo=zone)


@pytest.fixture
def behind(cast, settings):
    """One deflection on both databases, then one more logged on the primary only."""
    settings.READ_REPLICA = "replica"
    replicated = _log(cast, first_name="Copied", occurred_at=_last_week(cast, 1))
    replicate()
    latest = _log(cast, first_name="Latest", occurred_at=_last_week(cast, 2))
    assert Referral.objects.using("replica").filter(pk=latest.pk).exists() is False
    return replicated, latest


def test_the_officers_and_the_case_managers_pages_show_what_was_just_logged(cast, behind):
    _replicated, latest = behind
    assert f"/referrals/{latest.pk}/" in cast.login("officer_a1").get("/mine/").content.decode()
    assert f"/referrals/{latest.pk}/" in cast.login("case_manager_y").get("/queue/").content.decode()
    assert cast.login("officer_a1").get(f"/referrals/{latest.pk}/").status_code == 200


def test_the_access_record_of_a_page_read_is_written_to_the_primary(cast, behind):
    _replicated, latest = behind
    before = AccessEvent.objects.count(), AccessEvent.objects.using("replica").count()
    assert cast.login("officer_a1").get(f"/referrals/{latest.pk}/").status_code == 200
    after = AccessEvent.objects.count(), AccessEvent.objects.using("replica").count()
    assert after[0] > before[0] and after[1] == before[1]


def test_the_dashboard_counts_what_the_replica_has(cast, behind, settings):
    command = cast.login("command_a")
    week = {"start": _last_week(cast, 0).date().isoformat(), "end": _last_week(cast, 6).date().isoformat()}

    def deflections() -> str:
        response = command.get("/reports/dashboard/", week)
        assert response.status_code == 200
        return next(f.value for f in response.context["figures"] if f.key == "deflections")

    assert deflections() == "1"
    settings.READ_REPLICA = "default"
    assert deflections() == "2"


def test_the_export_reads_the_replica_and_records_itself_on_the_primary(cast, behind):
    form = {
        "start": (_last_week(cast, 0) - timedelta(days=40)).date().isoformat(),
        "end": timezone.localdate().isoformat(),
        "file_format": "csv",
        "dataset": "referrals",
    }
    response = cast.login("command_a").post("/reports/export/", form)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = response.content.decode().strip().splitlines()
    # The disclosure notice, the header and the one deflection the replica has.
    assert len(rows) == 3 and rows[0].lstrip("\ufeff").startswith('"# This information has been disclosed')
    assert ExportRecord.objects.get().rows == 1
    assert not ExportRecord.objects.using("replica").exists()


def test_the_digest_counts_from_the_replica_and_is_marked_sent_on_the_primary(cast, behind):
    week_start, _due = reported_week(cast.agency_a, timezone.now())
    digest = digest_send(agency_id=cast.agency_a.pk, week_start=week_start)
    assert digest is not None and digest.subject.endswith(": 1 deflections")
    assert Digest.objects.get(pk=digest.pk).sent_at is not None
    assert not Digest.objects.using("replica").exists()


def test_writes_inside_a_replica_read_go_to_the_primary(cast, behind):
    with from_replica():
        assert Referral.objects.count() == 1
        written = _log(cast, first_name="Written")
    assert Referral.objects.filter(pk=written.pk).exists()
    assert not Referral.objects.using("replica").filter(pk=written.pk).exists()


def test_the_program_digest_reads_the_month_it_just_published_on_the_primary(cast, settings):
    """The replica a moment behind has no published month yet: the digest, composed right
    after publishing, still holds the month's figures."""
    from reports.models import ProgramDigest, PublishedMonth
    from reports.program_digest import program_digest_send, reported_month

    settings.READ_REPLICA = "replica"
    month_start, _due = reported_month(cast.program_1, timezone.now())
    zone = ZoneInfo(cast.program_1.timezone)
    from tests.factories.referrals import OfficerFactory, ReferralFactory

    officer = OfficerFactory(user=cast.officer_a1)
    for day in range(12):
        when = datetime.combine(month_start, clock(10), tzinfo=zone) + timedelta(days=day)
        ReferralFactory(officer=officer, partner=cast.partner_y, occurred_at=when, created_at=when)
    replicate()
    digest = program_digest_send(program_id=cast.program_1.pk, month_start=month_start)
    assert not PublishedMonth.objects.using("replica").exists()
    assert digest is not None and "Deflections: whole program 12; Agency A Police Department 12" in digest.text
    assert ProgramDigest.objects.get(pk=digest.pk).sent_at is not None
