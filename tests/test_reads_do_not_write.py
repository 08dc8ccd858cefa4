"""Reads never write: the dashboard reads what the worker counted and says up to when; the
sign-in form's address check only asks, and the refusal is put on record where it is made."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.db import connection
from django.test import Client as HttpClient
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.forms import address_paused
from referrals import services
from reports import metrics
from reports.rollups import rollups_rebuild
from reports.tasks import refresh_rollups
from tests.factories.api import api_client, integration_client
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db
WRITES = ("INSERT", "UPDATE", "DELETE")


def _writes(captured) -> list[str]:
    """The statements that write or lock, but the session's (its last-activity time is kept
    on every request, for the idle sign-out)."""
    return [
        q["sql"][:120]
        for q in captured.captured_queries
        if (q["sql"].lstrip().upper().startswith(WRITES) or "FOR UPDATE" in q["sql"].upper())
        and "django_session" not in q["sql"]
    ]


@pytest.fixture
def counted(cast):
    """A week of deflections, counted by the worker; then a referral logged a minute ago."""
    officer = OfficerFactory(user=cast.officer_a1)
    now = timezone.now()
    for day in range(1, 13):
        ReferralFactory(officer=officer, partner=cast.partner_x, occurred_at=now - timedelta(days=day))
    rollups_rebuild(agency=cast.agency_a)
    return services.referral_create(
        officer_user=cast.officer_a1,
        partner=cast.partner_x,
        pathway="self_referral",
        officer_minutes=20,
        occurred_at=timezone.now() - timedelta(minutes=1),
        new_client=services.NewClient(first_name="Ana", last_name="Quiroga"),
    )


def test_a_dashboard_load_writes_nothing_and_says_up_to_when_it_counted(cast, counted):
    client = cast.login("command_a")
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/reports/dashboard/").content.decode()
    assert _writes(captured) == []
    assert "data-counted-at" in page and "Casework counted up to" in page
    # Counted before the referral of a minute ago: the page shows the 12 it counted.
    assert 'data-figure="deflections">12<' in page


def test_a_count_that_stopped_is_said_at_the_top_not_only_in_the_fold(cast, counted):
    """The worker counts every minute; a quarter of an hour without a count, the dashboard and
    the process evaluation say their figures stop there, where a chief reads them."""
    client = cast.login("command_a")
    for page in ("/reports/dashboard/", "/reports/process/"):
        assert "data-counting-late" not in client.get(page).content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        for page in ("/reports/dashboard/", "/reports/process/"):
            body = client.get(page).content.decode()
            assert "data-counting-late" in body and "has not run since" in body


def test_the_workers_count_brings_a_referral_of_a_minute_ago_onto_the_dashboard(cast, counted):
    refresh_rollups()  # the worker's periodic task
    page = cast.login("command_a").get("/reports/dashboard/").content.decode()
    assert 'data-figure="deflections">13<' in page


def test_before_the_first_count_the_dashboard_reads_the_referrals(cast):
    officer = OfficerFactory(user=cast.officer_a1)
    for day in range(1, 13):
        ReferralFactory(officer=officer, partner=cast.partner_x, occurred_at=timezone.now() - timedelta(days=day))
    assert metrics.counted_until(cast.agency_a.pk) is None
    client = cast.login("command_a")
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/reports/dashboard/").content.decode()
    assert _writes(captured) == []
    assert 'data-figure="deflections">12<' in page and "data-counted-at" not in page


@override_settings(AXES_ENABLED=True, SIGN_IN_ADDRESS_LIMIT=3)
def test_asking_whether_an_address_is_paused_writes_nothing(cast):
    AccessAttempt.objects.create(
        username="nobody", ip_address="10.1.2.3", failures_since_start=3, attempt_time=timezone.now()
    )
    request = RequestFactory().post("/accounts/login/", {"username": "officer_a1"}, REMOTE_ADDR="10.1.2.3")
    with CaptureQueriesContext(connection) as captured:
        assert address_paused(request)
    assert _writes(captured) == []
    assert not AccessFailureLog.objects.exists()
    # Refused by the form: the refusal is on record, under the username tried.
    response = HttpClient(REMOTE_ADDR="10.1.2.3").post(
        "/accounts/login/", {"username": "officer_a1", "password": "whatever"}
    )
    assert "paused" in response.content.decode()
    assert AccessFailureLog.objects.filter(username="officer_a1", ip_address="10.1.2.3", locked_out=True).exists()


def test_reading_and_printing_a_briefing_writes_nothing(cast, counted):
    client = cast.login("supervisor_a")
    client.get("/reports/briefing/")  # the session's first request
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/reports/briefing/")
        pdf = client.get("/reports/briefing/print.pdf")
    assert page.status_code == 200 and pdf.status_code == 200
    assert _writes(captured) == []


# What an API read may write besides the access record: the integration client's last use
# (when and from where), at most once a minute (api.services.integration_client_note_use).
API_READ_ALLOWANCE = ("api_integrationclient", "deflection_accessevent")


def test_an_api_read_writes_only_the_clients_last_use_and_the_access_record(cast):
    _client, token = integration_client(cast, partner=cast.partner_y)
    http = api_client(token)
    with CaptureQueriesContext(connection) as first:
        assert http.get("/api/v1/me/").status_code == 200
    written = _writes(first)
    assert written and all(any(table in sql for table in API_READ_ALLOWANCE) for sql in written), written
    assert all(sql.startswith("UPDATE") and "api_integrationclient" in sql for sql in written)
    # Within the minute: nothing at all.
    with CaptureQueriesContext(connection) as again:
        assert http.get("/api/v1/me/").status_code == 200
    assert _writes(again) == []


def test_fhir_reads_write_only_the_access_record_and_the_clients_last_use(cast):
    from tests.factories.fhir import Ehr

    ehr = Ehr(cast, cast.partner_y)
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    reads = [
        "/fhir/metadata",
        "/fhir/Task",
        f"/fhir/Task/{referral.pk}",
        f"/fhir/ServiceRequest/{referral.pk}",
        f"/fhir/Patient/{referral.client_id}",
        f"/fhir/Organization/partner-{cast.partner_y.pk}",
    ]
    with CaptureQueriesContext(connection) as captured:
        for path in reads:
            assert ehr.get(path).status_code == 200, path
    written = _writes(captured)
    assert written and all(any(table in sql for table in API_READ_ALLOWANCE) for sql in written), written
