"""Highlights: the program's wins for every officer and supervisor, below the log form, and
each officer's own milestones, seen by that officer alone and only within consent."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from buyin.models import ChangeMade
from referrals import services
from referrals.models import Referral
from reports.highlights import personal_milestones, week_totals
from reports.milestones import milestones_detect
from tests.factories.referrals import (
    OfficerFactory,
    ReferralFactory,
    accepted_referral,
    consent_given,
    retention_check_recorded,
)
from tests.factories.reports import story_told

pytestmark = pytest.mark.django_db

WINS = "/reports/wins/"


def _figure(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert found, f"no {name} on the page"
    return found.group(1).strip()


def _wins(cast, who: str = "officer_a1") -> str:
    response = cast.login(who).get(WINS, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def _intake(cast, referral: Referral) -> Referral:
    return services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)


def test_the_log_form_loads_the_wins_only_once_they_scroll_into_view(cast):
    officer = cast.login("officer_a1")
    officer.get("/log/")  # the first request of a session does its one-time work
    with CaptureQueriesContext(connection) as before:
        assert officer.get("/log/").status_code == 200
    story_told(cast, "They came back to say the night shift saved their life.")
    ReferralFactory.create_batch(3, officer=OfficerFactory(user=cast.officer_a2), partner=cast.partner_y)
    milestones_detect()
    with CaptureQueriesContext(connection) as after:
        page = officer.get("/log/").content.decode()
    assert len(after) == len(before)
    assert "saved their life" not in page
    assert 'hx-get="/reports/wins/"' in page and 'hx-trigger="revealed"' in page
    # Without JavaScript, a link to the same wins as a page.
    assert 'href="/reports/wins/"' in page


def test_without_javascript_the_wins_are_a_page_with_the_log_button(cast):
    story_told(cast, "A thank-you card from a mother.")
    page = cast.login("supervisor_a").get(WINS).content.decode()
    assert "<html" in page and "A thank-you card from a mother." in page
    assert 'href="/log/"' in page
    fragment = _wins(cast, "supervisor_a")
    assert "<html" not in fragment and "A thank-you card from a mother." in fragment


def test_it_shows_approved_stories_and_never_unapproved_or_private_ones(cast):
    story_told(cast, "Approved and shared: back at work.")
    story_told(cast, "Awaiting review: doing better.", review=None)
    story_told(cast, "Declined: too much detail.", review=False)
    story_told(cast, "Private: the client said no.", share=False, review=None)
    b_referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_b), partner=cast.partner_y)
    story_told(cast, "A story from the other agency.", referral=b_referral)
    page = _wins(cast)
    assert "Approved and shared: back at work." in page
    for hidden in ("Awaiting review", "Declined", "Private", "A story from the other agency"):
        assert hidden not in page
    assert "A story from the other agency." in _wins(cast, "officer_b")


def test_the_department_milestones_leave_each_officers_first_to_that_officer(cast):
    ReferralFactory(officer=OfficerFactory(user=cast.officer_a2), partner=cast.partner_y)
    milestones_detect()
    page = _wins(cast)
    assert "MHST logged its first deflection" in page
    assert "Agency&#x27;s first deflection" in page or "Agency's first deflection" in page
    assert "Pinecrest" not in page  # officer_a2's first deflection is theirs alone


@pytest.fixture
def week(cast):
    """Agency A's week: two deflections with a charge deflected (30 and 60 minutes), one of
    them with naloxone, a third without a charge; one the minute before Monday, one cancelled,
    and one of agency B."""
    now = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    monday = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # Monday 00:00 in Phoenix (UTC-7 all year)
    mine = OfficerFactory(user=cast.officer_a1)
    charge = "Possession of drug paraphernalia"
    ReferralFactory(officer=mine, occurred_at=monday, charge_deflected=charge, officer_minutes=30)
    ReferralFactory(
        officer=mine,
        occurred_at=now - timedelta(minutes=5),
        charge_deflected=charge,
        officer_minutes=60,
        naloxone_administered=True,
    )
    ReferralFactory(officer=OfficerFactory(user=cast.officer_a2), occurred_at=now - timedelta(hours=1))
    ReferralFactory(officer=mine, occurred_at=monday - timedelta(minutes=1), naloxone_administered=True)
    earlier = now - timedelta(minutes=5)
    ReferralFactory(
        officer=mine,
        occurred_at=earlier,
        status=Referral.Status.CANCELLED,
        cancelled_by_officer=True,
        naloxone_administered=True,
    )
    ReferralFactory(officer=OfficerFactory(user=cast.officer_b), occurred_at=earlier, naloxone_administered=True)
    return now


def test_the_weeks_totals_count_the_agencys_deflections_since_monday_exactly(cast, week):
    totals = week_totals(agency=cast.agency_a, now=week)
    assert totals.since == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert (totals.deflections, totals.overdose_reversals) == (3, 1)
    # Two charges deflected: 2 x 180 booking minutes, less the 90 the officers spent.
    assert totals.hours_saved == (2 * 180 - 90) / 60


def test_the_wins_show_small_counts_as_they_are(cast):
    now = timezone.now() - timedelta(seconds=1)
    mine = OfficerFactory(user=cast.officer_a1)
    ReferralFactory(
        officer=mine, occurred_at=now, naloxone_administered=True, charge_deflected="Trespass", officer_minutes=60
    )
    ReferralFactory(officer=mine, occurred_at=now)
    page = _wins(cast, "officer_a2")
    assert _figure(page, "week-deflections") == "2"
    assert _figure(page, "week-reversals") == "1"
    assert _figure(page, "week-hours") == "2 h"  # 180 booking minutes less the 60 spent
    assert "&lt;11" not in page


def test_the_latest_change_made_from_suggestions_is_shown(cast):
    ChangeMade.objects.create(
        topic="process",
        what="Older change.",
        changed_on=date(2026, 1, 5),
        published_by=cast.program_admin,
        program=cast.program_1,
    )
    ChangeMade.objects.create(
        topic="process",
        what="A second van on nights.",
        changed_on=date(2026, 2, 5),
        published_by=cast.program_admin,
        program=cast.program_1,
    )
    page = _wins(cast)
    assert "A second van on nights." in page and "Older change." not in page
    assert 'href="/buyin/you-said-we-did/"' in page


def test_personal_milestones_count_intake_and_retention_only_within_consent(cast):
    shared = accepted_referral(cast, occurred_at=timezone.now() - timedelta(days=40))
    consent_given(shared, cast.case_manager_y)
    _intake(cast, shared)
    retention_check_recorded(shared, 30, actor=cast.case_manager_y)
    # The same outcomes without a consent to the agency: police may not know, so not counted.
    unshared = accepted_referral(cast, occurred_at=timezone.now() - timedelta(days=50))
    _intake(cast, unshared)
    retention_check_recorded(unshared, 30, actor=cast.case_manager_y)
    mine = personal_milestones(user=cast.officer_a1)
    assert (mine.deflections, mine.reached_intake, mine.retained) == (2, 1, 1)
    assert mine.first_deflection_at == unshared.occurred_at
    page = cast.login("officer_a1").get("/reports/my-record/").content.decode()
    assert "1 client you referred reached intake" in page
    assert "1 client you referred was still engaged at 30 days or later" in page


def test_an_officers_milestones_are_shown_to_them_alone(cast):
    shared = accepted_referral(cast)
    consent_given(shared, cast.case_manager_y)
    _intake(cast, shared)
    assert "reached intake" in _wins(cast, "officer_a1")
    for who in ("officer_a2", "supervisor_a"):
        page = _wins(cast, who)
        assert "reached intake" not in page
        assert "Your first deflection will be a quick win" in page
        assert "reached intake" not in cast.login(who).get("/reports/my-record/").content.decode()


def _win(cast, n: int) -> None:
    story_told(cast, f"Story number {n}.")
    shared = accepted_referral(cast)
    consent_given(shared, cast.case_manager_y)
    _intake(cast, shared)
    milestones_detect()


def test_the_wins_cost_the_same_queries_however_many_wins_there_are(cast, django_assert_max_num_queries):
    officer = cast.login("officer_a1")
    _win(cast, 0)
    officer.get(WINS, HTTP_HX_REQUEST="true")  # the session's one-time work
    # Each win makes the agency's wins be counted afresh at the next read: both reads count.
    _win(cast, 1)
    with CaptureQueriesContext(connection) as few:
        officer.get(WINS, HTTP_HX_REQUEST="true")
    for n in range(2, 8):
        _win(cast, n)
    with django_assert_max_num_queries(len(few)):
        page = officer.get(WINS, HTTP_HX_REQUEST="true").content.decode()
    assert page.count("data-story") == 3


def test_reading_the_wins_writes_nothing(cast):
    _win(cast, 0)
    officer = cast.login("officer_a1")
    officer.get(WINS)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        with CaptureQueriesContext(connection) as captured:
            assert officer.get(WINS, **headers).status_code == 200
        writes = [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
        assert [sql for sql in writes if "django_session" not in sql] == []
