"""The dashboard's periods are whole months: two periods a day apart would differ by that day's
few deflections, and their treatment figures (exact from 11 up) by what the partners recorded
of those few clients, which the small-numbers rule exists to hide."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from referrals.models import Referral
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


def test_months_entered_the_wrong_way_round_count_the_months_between_them(cast, autumn):
    """From November to September reads as September to November: the page goes to its URL
    with the months in order (the fields then say so), not an error above the figures of some
    third period. A month that has not begun is refused on its field: no period in the future."""
    with time_machine.travel(TODAY, tick=False):
        client = cast.login("command_a")
        for page in ("/reports/dashboard/", "/reports/process/"):
            response = client.get(page, {"start": "2026-11", "end": "2026-09", "unit": ""})
            assert response.status_code == 302
            assert response["Location"] == f"{page}?start=2026-09&end=2026-11&unit="
        page = client.get("/reports/dashboard/", {"start": "2026-11", "end": "2026-09"}, follow=True)
        assert page.redirect_chain and "comes before" not in page.content.decode()
        in_order = _figures(client, start="2026-09", end="2026-11")
        assert 'name="start" value="2026-09"' in page.content.decode()
        assert (
            page.context["scope"]
            == client.get("/reports/dashboard/", {"start": "2026-09", "end": "2026-11"}).context["scope"]
        )
        future = [
            client.get("/reports/dashboard/", query)
            for query in (
                {"start": "2027-06"},
                {"start": "2027-02", "end": "2027-02"},
                {"start": "2027-03", "end": "2027-01"},
            )
        ]
        default = _figures(client)
    assert in_order["period"].startswith("September 2026 to November 2026")
    # Months that have not begun: said on their field, and the default period shown instead.
    for response in future:
        assert response.status_code == 200 and "This month has not begun yet." in response.content.decode()
        assert response.context["scope"] == future[0].context["scope"]
        assert "comes before the first" not in response.content.decode()
    assert default["period"] in future[0].content.decode()


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
        status="accepted",
        accepted_at=datetime(2026, 10, 21, tzinfo=TZ),
    )
    with time_machine.travel(TODAY, tick=False):
        client = cast.login("command_a")
        response = client.get("/reports/dashboard/", {"start": "2026-09", "end": "2026-10"})
    page = response.content.decode()
    assert response.context["treatment_shown"] and "data-treatment-withheld" not in page
    assert dict(response.context["charts"]["funnel_rows"])["Accepted"] == "37"
    assert "data-scorecard-withheld" in page
    # The note names the month, so the reader can leave it out.
    note = page.split("data-scorecard-withheld>")[1].split("</p>")[0]
    assert "The month with so few: October 2026." in note
    assert all(row["acceptance_shown"] == "—" and not row["rejections_shown"] for row in response.context["scorecard"])
    # What the agency logged to each partner is its own police work: still shown, exactly.
    received = {row["name"]: row["received_shown"] for row in response.context["scorecard"]}
    assert received[cast.partner_y.name] == "36" and received[cast.partner_x.name] == "1"
    # The held charges by unit follow the same check by unit.
    scope = metrics.Scope(cast.agency_a.pk, datetime(2026, 9, 1, tzinfo=TZ), datetime(2026, 11, 1, tzinfo=TZ))
    assert not metrics.cohorts_large_enough(scope, zone=TZ, by=["unit"])
    assert metrics.cohorts_large_enough(scope, zone=TZ) and not metrics.cohorts_large_enough(
        scope, zone=TZ, by=["partner"]
    )


def test_a_unit_page_less_the_agency_page_gives_no_partners_few_clients_away(cast, units):
    """Partner X: 12 of MHST's deflections in October and one of Eastside's. The agency's page
    (X: 13) and MHST's (X: 12) each look big enough, but the first less the second is the one
    Eastside client at X. A breakdown is checked over the whole agency, by unit and partner."""
    mhst = OfficerFactory(user=cast.officer_a2)
    _deflect(mhst, cast.partner_x, 10, 12, status="accepted", accepted_at=datetime(2026, 10, 30, tzinfo=TZ))
    east = Referral.objects.filter(officer__unit=units["east"]).first().officer
    ReferralFactory(
        officer=east,
        partner=cast.partner_x,
        occurred_at=datetime(2026, 10, 21, 9, 0, tzinfo=TZ),
        status="accepted",
        accepted_at=datetime(2026, 10, 22, tzinfo=TZ),
    )
    with time_machine.travel(TODAY, tick=False):
        client = cast.login("command_a")
        agency = client.get("/reports/dashboard/", {"start": "2026-09", "end": "2026-10"})
        unit = client.get("/reports/dashboard/", {"start": "2026-09", "end": "2026-10", "unit": cast.unit_a.pk})
    assert agency.context["treatment_shown"] and not agency.context["scorecard_withheld"]
    assert unit.context["treatment_shown"] and unit.context["scorecard_withheld"]
    assert "data-scorecard-withheld" in unit.content.decode()


def test_the_weekly_series_stop_at_today_not_at_the_end_of_the_running_month(cast, autumn):
    """Weeks still to come were drawn as no deflections, and participation as falling to none."""
    with time_machine.travel(TODAY, tick=False):
        response = cast.login("command_a").get("/reports/dashboard/")
    charts = response.context["charts"]
    mondays = [monday for monday, _rate in charts["participation_rows"]]
    assert mondays and max(mondays) <= TODAY.date()
    assert max(monday for monday, _cells, _total in charts["pathway_table"]) <= TODAY.date()


def test_the_participation_chart_ends_on_the_headline_s_figure(cast):
    """The last week has not ended: its point is the index now, as the headline says, not one
    over 30 days cut short (an officer who deflected 29 days ago counted in one, not the other)."""
    officer = OfficerFactory(user=cast.officer_a1)
    OfficerFactory(user=cast.officer_b)
    with time_machine.travel(TODAY, tick=False):
        ReferralFactory(officer=officer, partner=cast.partner_y, occurred_at=TODAY - timedelta(days=29, hours=12))
        response = cast.login("command_a").get("/reports/dashboard/")
    headline = next(f for f in response.context["figures"] if f.key == "participation")
    charts = response.context["charts"]
    assert charts["participation_rows"][-1][1] == headline.value != "0 of 1"
    assert charts["data"]["participation"]["data"][-1] > 0


# --- the month still running --------------------------------------------------------------


@pytest.fixture
def running_month(cast):
    """Twelve deflections in October that reached intake (counted from November 1), twelve in
    December's first days that did not (yet), and then one on December 8 that reached intake
    that same day."""
    officer = OfficerFactory(user=cast.officer_a1)
    for month, days in ((10, range(2, 14)), (12, [1, 2, 3, 4, 5, 6] * 2)):
        for day in days:
            at = datetime(2026, month, day, 9, 0, tzinfo=TZ)
            intake = {"status": "in_progress", "accepted_at": at, "intake_at": at + timedelta(hours=5)}
            ReferralFactory(officer=officer, partner=cast.partner_y, occurred_at=at, **(intake if month == 10 else {}))
    return officer


def _at_intake_that_day(officer, partner, at: datetime):
    """One deflection whose client the partner accepted at once and saw at intake two hours later."""
    return ReferralFactory(
        officer=officer,
        partner=partner,
        occurred_at=at,
        status="in_progress",
        accepted_at=at,
        intake_at=at + timedelta(hours=2),
    )


def test_pages_a_day_apart_in_the_running_month_give_nothing_of_that_day_away(cast, running_month):
    """Yesterday's page less today's was the day's deflections, and what the partners recorded
    of them: December 8's one client, at intake the same day. The partners' records now cover
    the months counted (October, on December 8); police work still counts to date."""
    with time_machine.travel(datetime(2026, 12, 8, 7, 0, tzinfo=TZ), tick=False):
        before = _figures(cast.login("command_a"))
        _at_intake_that_day(running_month, cast.partner_y, datetime(2026, 12, 8, 9, 0, tzinfo=TZ))
    with time_machine.travel(datetime(2026, 12, 8, 20, 0, tzinfo=TZ), tick=False):
        client = cast.login("command_a")
        after = _figures(client)
        page = client.get("/reports/dashboard/").content.decode()
    police = {key: value for key, value, _before in after["figures"]}
    assert police["deflections"] == "25"
    assert (
        after["funnel"]
        == before["funnel"]
        == [
            ("Logged", "12"),
            ("Accepted", "12"),
            ("Intake", "12"),
            # None of October's intakes had come due on December 1 (30 days, and the month the
            # partner has to record the check): no figure, not "0".
            *[(f"Retained {d} days", "—") for d in metrics.RETENTION_DAYS],
        ]
    )
    treated = [row for row in after["figures"] if row[0] in {"engagement", "reengagements"}]
    assert treated == [row for row in before["figures"] if row[0] in {"engagement", "reengagements"}]
    assert dict((k, v) for k, v, _b in after["figures"])["engagement"] == "100%"
    note = page.split("data-treated-period>")[1].split("</p>")[0]
    assert "covers October 2026, compared with September 2026" in note
    # Said at the funnel too, whose "Logged" (12) is not the headline's deflections (25).
    assert "Of the deflections of October 2026: the months counted." in page


def test_retention_of_months_that_have_ended_does_not_move_from_day_to_day(cast, autumn):
    """Retention's checkpoints came due day by day (30 days after each intake): pages of the
    same months a few days apart differed by the few clients who came due between them. The
    partners' records are counted as of the running month's first day."""
    from referrals.models import FollowUp

    for referral in Referral.objects.filter(intake_at__isnull=False):
        FollowUp.objects.create(
            referral=referral,
            kind="retention_30",
            due_at=referral.intake_at + timedelta(days=30),
            completed_at=referral.intake_at + timedelta(days=30),
            outcome=FollowUp.Outcome.ENGAGED,
        )
    funnels = []
    for day in (15, 20):
        with time_machine.travel(datetime(2026, 11, day, 10, 0, tzinfo=TZ), tick=False):
            funnels.append(_figures(cast.login("command_a"), start="2026-09", end="2026-09")["funnel"])
    assert funnels[0] == funnels[1]
    # As of November 1: no check of September's intakes had come due with the month the
    # partner has to record it (no figure, not "0"); as of December 1, all 16.
    assert ("Retained 30 days", "—") in funnels[0]
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=TZ), tick=False):
        december = _figures(cast.login("command_a"), start="2026-09", end="2026-09")["funnel"]
    assert ("Retained 30 days", "16") in december


def test_the_running_month_alone_shows_nothing_the_partners_recorded(cast, running_month):
    with time_machine.travel(datetime(2026, 12, 8, 7, 0, tzinfo=TZ), tick=False):
        client = cast.login("command_a")
        december = _funnel(client, start="2026-12", end="2026-12")
        page = client.get("/reports/dashboard/", {"start": "2026-12", "end": "2026-12"}).content.decode()
    assert (december["Logged"], december["Accepted"], december["Intake"], december["note"]) == ("12", "—", "—", True)
    assert "no month of this period is counted yet" in page
    assert 'data-figure="deflections">12<' in page


def test_the_partners_records_stop_where_the_months_not_yet_counted_start():
    """On December 8 October is counted (from November 1); November is not (until January 1)."""
    start, counted = datetime(2026, 9, 1, tzinfo=TZ), datetime(2026, 11, 1, tzinfo=TZ)
    now = datetime(2026, 12, 8, 7, 0, tzinfo=TZ)
    scope = metrics.Scope(1, start, datetime(2027, 1, 1, tzinfo=TZ), unit_id=3)
    assert metrics.counted_months(scope, zone=TZ, now=now) == metrics.Scope(1, start, counted, unit_id=3)
    whole = metrics.Scope(1, start, counted)
    assert metrics.counted_months(whole, zone=TZ, now=now) == whole
    assert metrics.counted_months(metrics.Scope(1, counted, datetime(2027, 1, 1, tzinfo=TZ)), zone=TZ, now=now) is None
    # The agency's calendar: 05:00 UTC on December 1 is still November in Phoenix, so October
    # is not counted yet there.
    late_november = datetime(2026, 12, 1, 5, 0, tzinfo=ZoneInfo("UTC"))
    assert metrics.running_month_start(late_november, TZ) == datetime(2026, 11, 1, tzinfo=TZ)
    assert metrics.records_counted_until(late_november, TZ) == datetime(2026, 10, 1, tzinfo=TZ)


# --- the weekly digest ----------------------------------------------------------------------


def _digest(cast, monday: datetime) -> str:
    from reports.digest import digest_render

    return digest_render(agency=cast.agency_a, week_start=monday.date(), now=monday + timedelta(days=7, hours=8)).text


def _partners_recorded(text: str) -> str:
    return text[text.index("What the partners recorded") : text.index("own police work")]


def test_two_weeks_digests_give_nothing_of_a_weeks_few_clients_away(cast, running_month):
    """The digest's 90 days moved a week at a time: one digest less the next was two weeks'
    few clients. The partners' records now cover the months counted before the week ended."""
    _at_intake_that_day(running_month, cast.partner_y, datetime(2026, 12, 9, 9, 0, tzinfo=TZ))
    first = _digest(cast, datetime(2026, 11, 30, tzinfo=TZ))
    second = _digest(cast, datetime(2026, 12, 7, tzinfo=TZ))
    assert "Deflections this week: 12" in first and "Deflections this week: 1 " in second
    assert _partners_recorded(first) == _partners_recorded(second)
    recorded = _partners_recorded(second)
    assert "What the partners recorded, August 2026 to October 2026" in recorded
    assert "- Logged: 12\n- Accepted by a partner: 12\n- Reached intake: 12" in recorded
    assert "- Y 24/7 MAT Clinic: 12 / 12" in recorded


def test_the_digest_withholds_the_partners_records_of_a_month_of_a_few_clients(cast, units):
    """August: one Eastside client, accepted, never at intake."""
    recorded = _partners_recorded(_digest(cast, datetime(2026, 11, 2, tzinfo=TZ)))
    assert "What the partners recorded, July 2026 to September 2026" in recorded
    assert "- Logged: 13\n- Accepted by a partner: —\n- Reached intake: —" in recorded
    assert "Withheld (—): in one of these months there were between 1 and 10 deflections" in recorded
    # Without August (September to November, counted from January 1): shown, and the
    # partner's row with it.
    recorded = _partners_recorded(_digest(cast, datetime(2027, 1, 4, tzinfo=TZ)))
    assert "- Logged: 36\n- Accepted by a partner: 36\n- Reached intake: 0" in recorded
    assert "- Y 24/7 MAT Clinic: 36 / 0" in recorded and "Withheld" not in recorded


def test_the_digest_withholds_intakes_per_partner_where_a_partner_had_a_few(cast, units):
    """September to November holds 36 deflections to partner Y, and one to partner X in October:
    the agency's figures stand, the partners' intakes are withheld (X's alone would be one
    client's, and Y's less the total too)."""
    officer = OfficerFactory(user=cast.officer_a2)
    _deflect(officer, cast.partner_x, 10, 1, status="accepted", accepted_at=datetime(2026, 10, 9, tzinfo=TZ))
    recorded = _partners_recorded(_digest(cast, datetime(2027, 1, 4, tzinfo=TZ)))
    assert "- Logged: 37\n- Accepted by a partner: 37" in recorded
    assert f"- {cast.partner_y.name}: 36 / —" in recorded and f"- {cast.partner_x.name}: 1 / —" in recorded
    assert "Intakes per partner are withheld" in recorded


def test_the_partner_pages_scorecard_covers_the_months_counted(cast, running_month):
    """Its 90 days moved a day at a time, like the dashboard's did: now the last three months
    counted, the same on December 8 as on December 31."""
    from django.urls import reverse

    url = reverse("reports:partner", kwargs={"partner_id": cast.partner_y.pk})
    pages = []
    for day in (8, 31):
        with time_machine.travel(datetime(2026, 12, day, 9, 0, tzinfo=TZ), tick=False):
            page = cast.login("command_a").get(url).content.decode()
        scorecard = page[page.index('id="scorecard"') : page.index("</table>", page.index('id="scorecard"'))]
        pages.append(scorecard)
    assert pages[0] == pages[1]
    assert "August 2026 to October 2026" in pages[0]
    assert ">12<" in pages[0] and ">24<" not in pages[0]


def test_the_digests_intakes_per_partner_give_no_small_one_away_from_the_total(cast):
    """September to November: every month of the agency is cut into parts of none or at least
    11 (not accepted, accepted without intake, at intake), so its figures are shown. But in
    November partner X's 11 deflections are 3 at intake and 8 not yet: X's row beside the
    total, or the total less Y's, would give the 3 away. The rows per partner are withheld."""
    officer = OfficerFactory(user=cast.officer_a1)
    for month in (9, 10, 11):
        at = datetime(2026, month, 3, 9, 0, tzinfo=TZ)
        intake = {"status": "in_progress", "accepted_at": at, "intake_at": at + timedelta(hours=4)}
        for i in range(12):
            ReferralFactory(officer=officer, partner=cast.partner_y, occurred_at=at + timedelta(hours=i), **intake)
    at = datetime(2026, 11, 4, 9, 0, tzinfo=TZ)
    for i in range(22):
        # Y: 11 more accepted, not yet at intake; X: 3 at intake, 8 accepted.
        partner = cast.partner_y if i < 11 else cast.partner_x
        fields = {"status": "accepted", "accepted_at": at}
        if i >= 19:
            fields = {"status": "in_progress", "accepted_at": at, "intake_at": at + timedelta(hours=4)}
        ReferralFactory(officer=officer, partner=partner, occurred_at=at + timedelta(hours=i), **fields)
    recorded = _partners_recorded(_digest(cast, datetime(2027, 1, 4, tzinfo=TZ)))
    assert "- Logged: 58\n- Accepted by a partner: 58\n- Reached intake: 39" in recorded
    assert f"- {cast.partner_x.name}: 11 / —" in recorded and f"- {cast.partner_y.name}: 47 / —" in recorded
    assert "Intakes per partner are withheld" in recorded


def test_the_command_pages_referral_standing_covers_the_months_counted(cast, running_month):
    """Where the referrals stand was of the last 30 days, moving a day at a time."""
    import html
    import re

    tables = []
    for day in (8, 20):
        with time_machine.travel(datetime(2026, 12, day, 9, 0, tzinfo=TZ), tick=False):
            body = cast.login("command_a").get("/reports/command/").content.decode()
        table = body[body.index("Where the referrals stand") :]
        tables.append(re.findall(r"<tr><td>([^<]+)</td><td[^>]*>([^<]*)</td>", table[: table.index("</table>")]))
        assert "Where the referrals stand, October 2026" in html.unescape(body)
        assert "of the deflections of October 2026 (only months counted" in html.unescape(body)
    assert tables[0] == tables[1]
    assert ("In treatment", "12") in tables[0]


def test_the_hours_saved_by_month_add_up_to_the_headline(cast):
    """Three months of one charge deflected each, 90 officer minutes against 180 of booking:
    1.5 hours a month. Rounded one by one they read 2 + 2 + 2 beside a headline of 4 (4.5)."""
    from reports.dashboard import whole_hours

    cast.agency_a.booking_minutes = 180
    cast.agency_a.save()
    officer = OfficerFactory(user=cast.officer_a1)
    for month in (9, 10, 11):
        at = datetime(2026, month, 10, 9, 0, tzinfo=TZ)
        ReferralFactory(
            officer=officer, partner=cast.partner_y, occurred_at=at, charge_deflected="Trespass", officer_minutes=90
        )
    with time_machine.travel(TODAY, tick=False):
        response = cast.login("command_a").get("/reports/dashboard/", {"start": "2026-09-01", "end": "2026-11-30"})
    headline = next(f.value for f in response.context["figures"] if f.key == "hours_saved")
    months = [hours for _month, hours in response.context["charts"]["savings_rows"]]
    assert headline == "4 h" and len(months) == 3
    assert sum(int(h) for h in months) == 4
    # Unrounded months keep their hours; the rounding's hours go where the most was cut off.
    assert whole_hours([2.0, 3.0]) == ["2", "3"]
    assert whole_hours([0.4, 0.4, 0.4]) == ["1", "0", "0"]
    assert whole_hours([10.6, 20.2, 5.7]) == ["10", "20", "6"]  # 36.5 reads 36, as the headline would
    assert whole_hours([1200.5]) == ["1,200"]
