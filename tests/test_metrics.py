"""Exact numbers for every metric on a small hand-built data set (DESIGN.md's definitions)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals.models import FollowUp, Referral
from reports import metrics
from reports.rollups import rollups_rebuild, rollups_refresh
from tests.conftest import has_word
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("America/Phoenix")  # the cast agencies' zone (the factory's default)
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=TZ)
SEPTEMBER = (datetime(2026, 9, 1, tzinfo=TZ), datetime(2026, 10, 1, tzinfo=TZ))


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TZ)


def _ref(officer, partner, occurred, **fields) -> Referral:
    return ReferralFactory(officer=officer, partner=partner, occurred_at=occurred, created_at=occurred, **fields)


def _check(referral, kind, outcome):
    due = referral.intake_at + timedelta(days=int(kind.split("_")[1]))
    FollowUp.objects.create(referral=referral, kind=kind, due_at=due, completed_at=due, outcome=outcome)


@pytest.fixture
def september(cast):
    a1 = OfficerFactory(user=cast.officer_a1)
    a2 = OfficerFactory(user=cast.officer_a2)
    y, x = cast.partner_y, cast.partner_x
    r1 = _ref(
        a1,
        y,
        at(9, 2),
        status="in_progress",
        accepted_at=at(9, 2, 12),
        intake_at=at(9, 3),
        charge_deflected="Trespass",
        officer_minutes=30,
        naloxone_administered=True,
    )
    _check(r1, "retention_30", "engaged")
    _check(r1, "retention_60", "not_engaged")
    r2 = _ref(a1, y, at(9, 5), status="in_progress", accepted_at=at(9, 5, 14), intake_at=at(9, 7), officer_minutes=20)
    _check(r2, "retention_30", "engaged")
    r3 = _ref(
        a1, x, at(9, 10), status="rejected", status_reason="no_capacity", charge_deflected="Theft", officer_minutes=60
    )
    officers_own = {"status": "cancelled", "cancelled_by_officer": True}
    _ref(a1, y, at(9, 12), **officers_own, charge_deflected="Theft", naloxone_administered=True)
    r5 = _ref(a2, y, at(9, 20), client=r1.client, reengagement_of=r1)
    r6 = _ref(a1, y, at(9, 28), status="in_progress", accepted_at=at(9, 28, 16), intake_at=at(11, 20))
    _ref(a1, y, at(10, 3))  # outside the period
    return {"r1": r1, "r2": r2, "r3": r3, "r5": r5, "r6": r6}


def scope(cast) -> metrics.Scope:
    return metrics.Scope(cast.agency_a.pk, *SEPTEMBER)


def test_deflections_exclude_cancelled(cast, september):
    assert metrics.deflections(scope(cast)) == 5


def test_engagement_rate_and_median_time_to_intake(cast, september):
    assert metrics.engagement_rate(scope(cast)) == pytest.approx(3 / 5)
    # 24 h, 48 h and 53 days (1,272 h): the median is 48.
    assert metrics.median_hours_to_intake(scope(cast)) == pytest.approx(48.0)


def test_retention_counts_only_checkpoints_that_came_due(cast, september):
    r30 = metrics.retention(scope(cast), 30, now=NOW)
    r60 = metrics.retention(scope(cast), 60, now=NOW)
    r90 = metrics.retention(scope(cast), 90, now=NOW)
    # A checkpoint counts once its due day and the month the partner has to record it have
    # passed: r1's and r2's 30-day (due 3 and 7 October), not yet their 60-day (2 and 6
    # November, counted from 2 and 6 December). r6's intake (Nov 20) is too recent for any.
    assert (r30.due, r30.retained, r30.rate) == (2, 2, 1.0)
    assert (r60.due, r60.retained, r60.rate) == (0, 0, None)
    assert (r90.due, r90.retained, r90.rate) == (0, 0, None)
    r60 = metrics.retention(scope(cast), 60, now=datetime(2026, 12, 7, tzinfo=TZ))
    assert (r60.due, r60.retained, r60.rate) == (2, 0, 0.0)


def test_a_retention_check_recorded_after_its_month_counts_the_client_as_not_engaged(cast, september):
    """The figure took the client in a month after the check's due day, as not engaged; a check
    recorded later would move it that day, and say whose check it was."""
    r2 = september["r2"]
    due = r2.intake_at + timedelta(days=60)
    late = FollowUp.objects.create(
        referral=r2, kind="retention_60", due_at=due, completed_at=due + timedelta(days=31), outcome="engaged"
    )
    after = datetime(2027, 1, 1, tzinfo=TZ)
    assert metrics.retention(scope(cast), 60, now=after).retained == 0
    FollowUp.objects.filter(pk=late.pk).update(completed_at=due + timedelta(days=29))
    assert metrics.retention(scope(cast), 60, now=after).retained == 1


def test_overdose_reversals_savings_and_reengagements(cast, september):
    assert metrics.overdose_reversals(scope(cast)) == 1  # the cancelled one does not count
    saved = metrics.savings(scope(cast))
    # Two charges deflected (30 and 60 officer minutes) at 180 booking minutes and $1,500 each.
    assert (saved.charges_deflected, saved.minutes_saved, saved.hours_saved) == (2, 270, 4.5)
    assert saved.cost_avoided == 3000
    # r5 was logged to the same partner while r1 was still open: the case of an officer
    # contact, linked before contacts existed; not a re-engagement.
    assert metrics.reengagements(scope(cast)) == 0


def test_a_reengagement_follows_a_close_or_goes_to_another_partner(cast):
    officer = OfficerFactory(user=cast.officer_a1)
    y, x = cast.partner_y, cast.partner_x
    first = _ref(officer, y, at(9, 1), status="completed", closed_at=at(9, 4))
    closed_before = _ref(officer, y, at(9, 6), client=first.client, reengagement_of=first)
    elsewhere = _ref(officer, x, at(9, 8), client=first.client, reengagement_of=closed_before)
    # Logged while `elsewhere` was open at the same partner, which closed only later.
    _ref(officer, x, at(9, 9), client=first.client, reengagement_of=elsewhere)
    Referral.objects.filter(pk=elsewhere.pk).update(status="failed", closed_at=at(9, 15))
    # Cancelled: not a deflection, so not a re-engagement either.
    officers_own = {"status": "cancelled", "cancelled_by_officer": True}
    _ref(officer, y, at(9, 20), client=first.client, reengagement_of=first, **officers_own)
    assert metrics.reengagements(scope(cast)) == 2
    assert metrics.totals_from_referrals(scope(cast)).reengagements == 2
    rollups_rebuild(agency=cast.agency_a)
    assert metrics.totals_from_rollups(scope(cast), TZ).reengagements == 2


def test_officer_participation_is_the_share_of_active_officers_who_deflected_in_30_days(cast, september):
    p = metrics.officer_participation(agency_id=cast.agency_a.pk, at=SEPTEMBER[1])
    assert (p.participating, p.active, p.rate) == (2, 2, 1.0)
    later = metrics.officer_participation(agency_id=cast.agency_a.pk, at=at(10, 25))
    assert (later.participating, later.active) == (1, 2)  # only a1's Oct 3 deflection is in the window


def test_filters_narrow_every_figure(cast, september):
    only_y = metrics.Scope(cast.agency_a.pk, *SEPTEMBER, partner_id=cast.partner_y.pk)
    assert metrics.deflections(only_y) == 4
    prevention = metrics.Scope(cast.agency_a.pk, *SEPTEMBER, pathway="officer_prevention")
    assert metrics.deflections(prevention) == 5
    assert metrics.deflections(metrics.Scope(cast.agency_a.pk, *SEPTEMBER, pathway="naloxone_plus")) == 0


def test_the_partner_scorecard(cast, september):
    cards = {c.name: c for c in metrics.partner_scorecard(scope(cast))}
    y, x = cards["Y 24/7 MAT Clinic"], cards["X Recovery Clinic"]
    assert (y.received, y.accepted, y.intake) == (4, 3, 3)
    assert y.median_hours_to_accept == pytest.approx(4.0)  # 2 h, 4 h and 6 h
    assert (x.received, x.accepted, x.rejections) == (1, 0, [("No capacity", 1)])
    assert list(cards) == ["Y 24/7 MAT Clinic", "X Recovery Clinic"]  # 24/7 partners first


@pytest.mark.parametrize(("n", "shown"), [(0, "0"), (1, "<11"), (10, "<11"), (11, "11"), (1234, "1,234")])
def test_small_cells(n, shown):
    # small_cell is the rule of the partners' treatment records, whoever reads them.
    assert metrics.small_cell(n) == shown
    assert metrics.shown_count(n, kind=metrics.Kind.TREATMENT, audience=metrics.Audience.AGENCY) == shown


def test_the_dashboard_shows_the_same_numbers_and_no_identities(cast, september):
    client = cast.login("command_a")
    response = client.get("/reports/dashboard/", {"start": "2026-09-01", "end": "2026-09-30"})
    page = response.content.decode()
    # 5 deflections: the agency's own police work, exact for its command staff; what the
    # partners recorded of 5 clients is withheld.
    assert 'data-figure="deflections">5<' in page
    assert 'data-figure="overdose_reversals">1<' in page
    assert 'data-figure="engagement">—<' in page
    assert 'data-figure="hours_saved">4 h<' in page or 'data-figure="hours_saved">5 h<' in page
    for r in september.values():
        assert not has_word(page, r.client.last_name)


def test_the_dashboard_costs_the_same_queries_with_more_data(cast, september):
    client = cast.login("command_a")
    client.get("/reports/dashboard/")

    def count() -> int:
        # Once the rollups have taken the new casework in (the periodic refresh, or the
        # first load after it): the load that recounts a day costs its own queries.
        rollups_refresh(agency=cast.agency_a)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/reports/dashboard/", {"start": "2026-09-01", "end": "2026-09-30"}).status_code == 200
        return len(captured)

    before = count()
    officer = OfficerFactory(user=cast.officer_a2)
    for day in range(1, 29):
        _ref(officer, cast.partner_x, at(9, day), status="accepted", accepted_at=at(9, day, 18))
    assert count() == before


def test_an_officer_sees_their_own_time_saved(cast, september):
    page = cast.login("officer_a1").get("/reports/my-record/").content.decode()
    # a1's deflections with a charge: r1 (30 min) and r3 (60 min): 2 x 180 - 90 = 270 min = 4.5 h.
    assert "My record" in page and "in all" in page
    assert "4 h in all" in page or "5 h in all" in page
    assert cast.login("command_a").get("/reports/my-record/").status_code == 404


def test_my_record_says_the_referrals_the_officer_cancelled_are_not_counted_that_my_deflections_lists(cast):
    officer = OfficerFactory(user=cast.officer_a1)
    ReferralFactory(officer=officer, partner=cast.partner_y)
    ReferralFactory(officer=officer, partner=cast.partner_y, status="cancelled", cancelled_by_officer=True)
    # Cancelled by the partner: a closing like a decline, counted, and "Closed" on the list.
    ReferralFactory(officer=officer, partner=cast.partner_y, status="cancelled")
    client = cast.login("officer_a1")
    assert client.get("/mine/").content.decode().count('class="list-group-item"') == 3
    record = client.get("/reports/my-record/").content.decode()
    assert "2 in all, not counting those you cancelled" in record


def test_the_default_period_is_shown_in_the_month_fields(cast):
    """The last three months, the one still running to date."""
    page = cast.login("command_a").get("/reports/dashboard/")
    form = page.context["form"]
    last = timezone.localdate().replace(day=1)
    first = (((last - timedelta(days=1)).replace(day=1)) - timedelta(days=1)).replace(day=1)
    assert form["end"].value() == last and form["start"].value() == first
    assert f'value="{last:%Y-%m}"' in page.content.decode()


@pytest.mark.parametrize(
    ("cells", "shown"),
    [
        ([15, 3, 0], ["15", "<11", "—"]),  # 15 + ? = 18 would tell the 3: the 0 is withheld too
        ([15, 3, 4], ["15", "<11", "<11"]),  # two small cells: neither can be worked out
        ([3, 0, 0], ["<11", "—", "0"]),  # the 3 hides in "<11" plus a withheld cell
        ([15, 12, 0], ["15", "12", "0"]),
        ([15, 1, 1, 12], ["15", "<11", "<11", "—"]),  # 1 + 1 = 2 would tell both: the 12 is withheld
        ([15, 10, 10], ["—", "<11", "<11"]),  # 20 from two cells under 11: both are 10
        ([0, 0, 0], ["0", "0", "0"]),
    ],
)
def test_a_treatment_cell_is_never_given_away_by_the_total(cells, shown):
    assert metrics.shown_parts(cells, kind=metrics.Kind.TREATMENT) == shown


def test_police_counts_need_nothing_withheld_for_the_agency_but_everything_outside(cast):
    assert metrics.shown_parts([15, 3, 0], kind=metrics.Kind.POLICE_WORK) == ["15", "3", "0"]
    outside = metrics.shown_parts([15, 3, 0], kind=metrics.Kind.POLICE_WORK, audience=metrics.Audience.OUTSIDE)
    assert outside == ["15", "<11", "—"]


def test_the_weekly_table_shows_the_agencys_own_deflections_exactly(cast):
    officer = OfficerFactory(user=cast.officer_a1)
    monday = timezone.localtime().replace(hour=12) - timedelta(days=timezone.localdate().weekday() + 7)
    for _ in range(15):
        ReferralFactory(officer=officer, partner=cast.partner_y, pathway="self_referral", occurred_at=monday)
    for _ in range(3):
        ReferralFactory(officer=officer, partner=cast.partner_y, pathway="naloxone_plus", occurred_at=monday)
    page = cast.login("command_a").get("/reports/dashboard/")
    busy = [
        (cells, total)
        for _monday, cells, total in page.context["charts"]["pathway_table"]
        if any(cell != "0" for cell in cells)
    ]
    assert len(busy) == 1
    cells, total = busy[0]
    # Deflections per pathway are the agency's own police work: the 3 and the week's 18 exactly.
    assert "15" in cells and "3" in cells and "<11" not in cells and total == "18"
