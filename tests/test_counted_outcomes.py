"""A month's figures from the partners' records are counted once, on the month's count day (the
first of the month after next, on the agency's calendar), and never move after it. Police see
each referral they made turn "Closed" on the day it closes: a decline count that rose by one
that day would tell them how it closed (42 CFR Part 2). So what the lifecycle records after the
count day is on the referral, and counted nowhere."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from referrals import services
from referrals.models import Referral, count_day
from referrals.police_disclosure import officer_view
from reports.rollups import rollups_rebuild, rollups_refresh
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db
PHOENIX = ZoneInfo("America/Phoenix")  # the cast agencies' zone
DECEMBER_8 = datetime(2026, 12, 8, 12, 0, tzinfo=PHOENIX)


def test_a_deflections_count_day_is_the_first_of_the_month_after_next_on_the_agencys_calendar():
    assert count_day(datetime(2026, 11, 30, 23, 30, tzinfo=PHOENIX), PHOENIX) == datetime(2027, 1, 1, tzinfo=PHOENIX)
    assert count_day(datetime(2026, 11, 1, 0, 0, tzinfo=PHOENIX), PHOENIX) == datetime(2027, 1, 1, tzinfo=PHOENIX)
    assert count_day(datetime(2026, 12, 31, 9, tzinfo=PHOENIX), PHOENIX) == datetime(2027, 2, 1, tzinfo=PHOENIX)
    # 03:00 UTC on December 1 is November 30 in Phoenix: November's deflection.
    utc = datetime(2026, 12, 1, 3, 0, tzinfo=ZoneInfo("UTC"))
    assert count_day(utc, PHOENIX) == datetime(2027, 1, 1, tzinfo=PHOENIX)
    assert count_day(utc, ZoneInfo("UTC")) == datetime(2027, 2, 1, tzinfo=ZoneInfo("UTC"))


def _counted(referral: Referral) -> tuple:
    referral.refresh_from_db()
    return tuple(getattr(referral, f"counted_{name}") for name in Referral.COUNTED)


def _live(referral: Referral) -> tuple:
    referral.refresh_from_db()
    return tuple(getattr(referral, name) for name in Referral.COUNTED)


def test_the_lifecycle_keeps_what_is_counted_until_the_count_day_and_leaves_it_after(cast):
    """November's referral: accepted and at intake in December (counted), completed on January
    5 (on the record, not counted: November is counted on January 1)."""
    officer = OfficerFactory(user=cast.officer_a1)
    referral = ReferralFactory(
        officer=officer, partner=cast.partner_y, occurred_at=datetime(2026, 11, 20, 9, tzinfo=PHOENIX)
    )
    manager = cast.case_manager_y
    with time_machine.travel(DECEMBER_8, tick=False):
        services.referral_accept(referral_id=referral.pk, actor=manager)
        services.referral_record_intake(referral_id=referral.pk, actor=manager)
    assert _counted(referral) == _live(referral)
    assert referral.counted_status == "in_progress" and referral.counted_intake_at is not None
    with time_machine.travel(datetime(2027, 1, 5, 9, tzinfo=PHOENIX), tick=False):
        services.referral_complete(referral_id=referral.pk, actor=manager)
    referral.refresh_from_db()
    assert referral.status == "completed" and referral.closed_at is not None
    assert referral.counted_status == "in_progress"


def test_an_intake_recorded_after_the_count_day_is_not_counted_whatever_day_it_says(cast):
    """Recorded on January 3, back-dated to December 20: November was counted on January 1."""
    officer = OfficerFactory(user=cast.officer_a1)
    referral = ReferralFactory(
        officer=officer, partner=cast.partner_y, occurred_at=datetime(2026, 11, 20, 9, tzinfo=PHOENIX)
    )
    with time_machine.travel(DECEMBER_8, tick=False):
        services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    with time_machine.travel(datetime(2027, 1, 3, 9, tzinfo=PHOENIX), tick=False):
        services.referral_record_intake(
            referral_id=referral.pk, actor=cast.case_manager_y, intake_at=datetime(2026, 12, 20, 9, tzinfo=PHOENIX)
        )
    referral.refresh_from_db()
    assert referral.intake_at == datetime(2026, 12, 20, 9, tzinfo=PHOENIX)
    assert (referral.counted_status, referral.counted_intake_at) == ("accepted", None)
    assert referral.counted_accepted_at == referral.accepted_at


@pytest.fixture
def september(cast):
    """September, partner Y: 12 clients at intake, 12 accepted without intake yet, 12 not yet
    accepted; every part of the month 11 or more, so its figures are shown (counted from
    November 1)."""
    officer = OfficerFactory(user=cast.officer_a1)
    waiting = []
    for i in range(36):
        at = datetime(2026, 9, 2 + i % 25, 9, i, tzinfo=PHOENIX)
        fields = {}
        if i < 24:
            fields = {"status": "accepted", "accepted_at": at + timedelta(hours=3)}
        if i < 12:
            fields = {**fields, "status": "in_progress", "intake_at": at + timedelta(days=1)}
        referral = ReferralFactory(officer=officer, partner=cast.partner_y, occurred_at=at, created_at=at, **fields)
        if not fields:
            waiting.append(referral)
    # Counted by the worker an hour before the tests' casework (whatever today's date is).
    with time_machine.travel(DECEMBER_8 - timedelta(hours=1), tick=False):
        rollups_rebuild(agency=cast.agency_a)
    return waiting


def _what_is_shown(cast, who: str) -> dict:
    client = cast.login(who)
    dashboard = client.get("/reports/dashboard/", {"start": "2026-09", "end": "2026-09"})
    assert dashboard.status_code == 200 and dashboard.context["treatment_shown"]
    shown = {
        "funnel": dashboard.context["charts"]["funnel_rows"],
        "figures": [(f.key, f.value) for f in dashboard.context["figures"]],
        "scorecard": dashboard.context["scorecard"],
    }
    if who == "command_a":
        body = client.get("/reports/command/", {"days": "90"}).content.decode()
        shown["standing"] = body[body.index("Where the referrals stand") : body.index("</table>", body.index("Where"))]
    return shown


def test_a_referral_police_see_close_after_the_count_day_moves_no_figure(cast, september):
    """The supervisor watches one of September's referrals: on December 8 it turns "Closed".
    Had September's declines risen by one that day, the supervisor would know the partner
    declined that client. Every page of September reads as it did the day before."""
    with time_machine.travel(DECEMBER_8, tick=False):
        before = {who: _what_is_shown(cast, who) for who in ("command_a", "supervisor_a")}
        watched = september[0]
        assert officer_view(Referral.objects.get(pk=watched.pk)).is_open
        services.referral_reject(referral_id=watched.pk, actor=cast.case_manager_y, reason="client_declined")
        services.referral_accept(referral_id=september[1].pk, actor=cast.case_manager_y)
        assert rollups_refresh(agency=cast.agency_a) >= 1
        view = officer_view(Referral.objects.get(pk=watched.pk))
        assert not view.is_open and view.label == "Closed"
        after = {who: _what_is_shown(cast, who) for who in ("command_a", "supervisor_a")}
    assert after == before
    scorecard = {row["name"]: row for row in after["command_a"]["scorecard"]}
    assert not scorecard[cast.partner_y.name]["rejections_shown"]
    assert ("Accepted", "24") in after["command_a"]["funnel"]


def test_referrals_that_close_before_their_count_day_are_counted_on_it(cast, september):
    """The 12 waiting declined in October, before September's count day (November 1): counted."""
    with time_machine.travel(datetime(2026, 10, 20, 9, tzinfo=PHOENIX), tick=False):
        for referral in september:
            services.referral_reject(referral_id=referral.pk, actor=cast.case_manager_y, reason="client_declined")
    # Counted again from the referrals: the fixture's rollups are counted up to today.
    rollups_rebuild(agency=cast.agency_a)
    with time_machine.travel(DECEMBER_8, tick=False):
        shown = _what_is_shown(cast, "command_a")
    scorecard = {row["name"]: row for row in shown["scorecard"]}
    assert "Client declined" in str(scorecard[cast.partner_y.name]["rejections_shown"])
    assert "12" in str(scorecard[cast.partner_y.name]["rejections_shown"])
