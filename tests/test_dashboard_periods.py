"""The dashboard's periods are whole months: two periods a day apart would differ by that day's
few deflections, and their treatment figures (exact from 11 up) by what the partners recorded
of those few clients, which the small-numbers rule exists to hide."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from reports import metrics
from tests.factories.core import UnitFactory, UserFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("America/Phoenix")
TODAY = datetime(2026, 12, 7, 10, 0, tzinfo=TZ)


@pytest.fixture
def autumn(cast):
    """Fifteen deflections in September that reached intake, and one alone on September 20
    that was accepted, reached intake and stayed: a day whose one client the agency knows."""
    officer = OfficerFactory(user=cast.officer_a1)
    days = [d for d in range(2, 30) if d != 20][:15]
    for day in [*days, 20]:
        at = datetime(2026, 9, day, 9, 0, tzinfo=TZ)
        ReferralFactory(
            officer=officer,
            partner=cast.partner_y,
            occurred_at=at,
            status="in_progress",
            accepted_at=at + timedelta(hours=3),
            intake_at=at + timedelta(days=1),
        )


def _figures(client, **query) -> dict:
    response = client.get("/reports/dashboard/", query)
    assert response.status_code == 200
    charts = response.context["charts"]
    return {
        "funnel": charts["funnel_rows"],
        "figures": [(f.key, f.value, f.previous) for f in response.context["figures"]],
        "changes": [(f.key, f.change) for f in response.context["figures"]],
        "period": response.content.decode().split("data-period>")[1].split("</span>")[0],
    }


def test_two_periods_a_day_apart_give_nothing_of_that_day_away(cast, autumn):
    """What a walker did: the dashboard from September 20 and from September 21 differed by the
    one client of September 20 (accepted, intake, retained), exact because the counts were 11 or
    more. A date in a month now stands for the whole month."""
    with time_machine.travel(TODAY, tick=False):
        client = cast.login("command_a")
        from_20th = _figures(client, start="2026-09-20", end="2026-11-30")
        from_21st = _figures(client, start="2026-09-21", end="2026-11-30")
        from_month = _figures(client, start="2026-09", end="2026-11")
    assert from_20th == from_21st == from_month
    assert ("Accepted", "16") in from_month["funnel"] and ("Intake", "16") in from_month["funnel"]
    assert "September 2026 to November 2026, compared with June 2026 to August 2026." in from_month["period"]


def test_the_default_is_the_last_three_months_to_date_without_a_change_against_whole_ones(cast, autumn):
    with time_machine.travel(TODAY, tick=False):
        client = cast.login("command_a")
        default = _figures(client)
        running = _figures(client, start="2026-10", end="2026-12")
        whole = _figures(client, start="2026-09", end="2026-11")
        september = _figures(client, start="2026-09", end="2026-09")
    assert default == running
    assert running["period"].startswith("October 2026 to December 2026, compared with July 2026 to September 2026.")
    assert "The month still running is counted to date" in running["period"]
    # Part of a month against a whole one would read as a fall: no change is worked out.
    assert all(change == "" for _key, change in running["changes"])
    assert "counted to date" not in whole["period"]
    assert dict(whole["changes"])["deflections"] == "new"  # 16 against none from June to August
    # One month, compared with the one before.
    assert september["period"].startswith("September 2026, compared with August 2026.")


def test_the_period_before_whole_months_is_as_many_whole_months(cast):
    def month(year: int, number: int) -> datetime:
        return datetime(year, number, 1, tzinfo=TZ)

    quarter = metrics.Scope(cast.agency_a.pk, month(2026, 9), month(2026, 12), unit_id=7)
    before = quarter.previous()
    assert (before.start, before.end, before.unit_id) == (month(2026, 6), month(2026, 9), 7)
    # Across a year's end, and a month of 31 days before one of 28.
    assert metrics.Scope(cast.agency_a.pk, month(2026, 1), month(2026, 3)).previous().start == month(2025, 11)
    # A week (the digest's) stays seven days.
    monday = datetime(2026, 11, 30, tzinfo=TZ)
    week = metrics.Scope(cast.agency_a.pk, monday, monday + timedelta(days=7)).previous()
    assert (week.start, week.end) == (monday - timedelta(days=7), monday)


# --- groups too small to show the partners' records ------------------------------------------


def _deflect(officer, partner, month: int, n: int, **fields) -> None:
    for i in range(n):
        at = datetime(2026, month, 2 + i, 9, 0, tzinfo=TZ)
        ReferralFactory(officer=officer, partner=partner, occurred_at=at, **fields)


@pytest.fixture
def units(cast):
    """MHST (cast.unit_a) and Eastside: 12 accepted deflections each in October, MHST 12 in
    September too; and one client of Eastside alone in August, accepted, never reached intake."""
    mhst = OfficerFactory(user=cast.officer_a1)
    east_unit = UnitFactory(agency=cast.agency_a, name="Eastside")
    east = OfficerFactory(user=UserFactory(agency=cast.agency_a, unit=east_unit))
    accepted = {"status": "accepted", "accepted_at": datetime(2026, 10, 30, tzinfo=TZ)}
    _deflect(mhst, cast.partner_y, 9, 12, **accepted)
    _deflect(mhst, cast.partner_y, 10, 12, **accepted)
    _deflect(east, cast.partner_y, 10, 12, **accepted)
    _deflect(east, cast.partner_y, 8, 1, **accepted)
    return {"east": east_unit}


def _funnel(client, **query) -> dict:
    response = client.get("/reports/dashboard/", query)
    assert response.status_code == 200
    withheld = "data-treatment-withheld" in response.content.decode()
    return {**dict(response.context["charts"]["funnel_rows"]), "note": withheld}


def test_a_page_narrowed_to_a_few_known_clients_shows_nothing_the_partners_recorded(cast, units):
    """What a walker read off one page: a month, a pathway and a partner with one deflection
    ("Logged 1"), where "<11" accepted could only be 1 and "0" intake no."""
    with time_machine.travel(TODAY, tick=False):
        client = cast.login("command_a")
        august = _funnel(client, start="2026-08", end="2026-08")
    assert (august["Logged"], august["Accepted"], august["Intake"], august["note"]) == ("1", "—", "—", True)


def test_no_difference_of_two_pages_is_about_a_few_clients(cast, units):
    """A walker took August to November less September to November for a unit whose August had
    one client. A page is shown only where every month, split by what the page filters, holds
    none or at least 11 deflections: the August pages are withheld, with a unit or without."""
    with time_machine.travel(TODAY, tick=False):
        client = cast.login("command_a")
        pages = {
            (start, unit): _funnel(client, start=start, end="2026-10", **({"unit": unit} if unit else {}))
            for start in ("2026-08", "2026-09")
            for unit in (None, cast.unit_a.pk, units["east"].pk)
        }
    for (start, _unit), page in pages.items():
        assert page["note"] == (start == "2026-08")
        assert (page["Accepted"] == "—") == (start == "2026-08")
    # September to October, by unit: MHST 24 accepted, Eastside 12; the whole agency 36.
    assert [pages["2026-09", u]["Accepted"] for u in (None, cast.unit_a.pk, units["east"].pk)] == ["36", "24", "12"]


def test_the_scorecard_and_the_units_held_charges_are_withheld_where_a_partner_or_unit_has_few(cast, units):
    """September to October stays shown for the agency, but a Westside officer's one deflection
    in October, to another partner, is a partner's month and a unit's month of one client: the
    scorecard's figures and the held charges by unit are withheld."""
    west = OfficerFactory(user=UserFactory(agency=cast.agency_a, unit=UnitFactory(agency=cast.agency_a)))
    ReferralFactory(
        officer=west,
        partner=cast.partner_x,
        occurred_at=datetime(2026, 10, 20, 9, 0, tzinfo=TZ),
        status="rejected",
        status_reason="no_capacity",
    )
    with time_machine.travel(TODAY, tick=False):
        client = cast.login("command_a")
        response = client.get("/reports/dashboard/", {"start": "2026-09", "end": "2026-10"})
    page = response.content.decode()
    assert response.context["treatment_shown"] and "data-treatment-withheld" not in page
    assert dict(response.context["charts"]["funnel_rows"])["Accepted"] == "36"
    assert "data-scorecard-withheld" in page
    assert all(row["acceptance_shown"] == "—" and not row["rejections_shown"] for row in response.context["scorecard"])
    # The held charges by unit follow the same check by unit.
    scope = metrics.Scope(cast.agency_a.pk, datetime(2026, 9, 1, tzinfo=TZ), datetime(2026, 11, 1, tzinfo=TZ))
    assert not metrics.cohorts_large_enough(scope, zone=TZ, by=["unit"])
    assert metrics.cohorts_large_enough(scope, zone=TZ) and not metrics.cohorts_large_enough(
        scope, zone=TZ, by=["partner"]
    )


def test_the_weekly_series_stop_at_today_not_at_the_end_of_the_running_month(cast, autumn):
    """Weeks still to come were drawn as no deflections, and participation as falling to none."""
    with time_machine.travel(TODAY, tick=False):
        response = cast.login("command_a").get("/reports/dashboard/")
    charts = response.context["charts"]
    mondays = [monday for monday, _rate in charts["participation_rows"]]
    assert mondays and max(mondays) <= TODAY.date()
    assert max(monday for monday, _cells, _total in charts["pathway_table"]) <= TODAY.date()
