"""The per-day rollups give the same figures as the referrals themselves, and stay so as
casework changes them."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from referrals import services
from referrals.models import FollowUp, OfficerCheckIn, Pathway, Referral
from reports import metrics
from reports.dashboard import unit_roster
from reports.metrics import check_ins, cohorts
from reports.rollup_models import DailyRollup, HoursHistogram, OfficerMonth, RejectionRollup, RetentionRollup
from reports.rollups import LEVELS, WEEKLY, hours_bin, rollups_rebuild, rollups_refresh
from tests.factories.core import UserFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory, officers_of_every_unit

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("America/Phoenix")  # the cast agencies' zone (the factory's default)


@pytest.fixture
def history(cast):
    rnd = random.Random(7)
    patrol, officers = officers_of_every_unit(cast)
    officers += [
        # Gone from the force: their deflections count, they are not among the active.
        OfficerFactory(user=UserFactory(agency=cast.agency_a, unit=patrol), is_active=False),
    ]
    start = datetime(2026, 8, 1, tzinfo=TZ)
    referrals = []
    for _ in range(160):
        # Around midnight too: the day is the agency's, not UTC's.
        when = start + timedelta(days=rnd.randrange(75), hours=rnd.choice([0, 1, 9, 16, 23]), minutes=rnd.randrange(60))
        status = rnd.choice(["requested", "accepted", "in_progress", "completed", "rejected", "cancelled"])
        # Hours of every kind for the medians: whole hours many referrals share, any
        # minute, anything up to weeks (HoursHistogram's bins widen with the hours).
        to_accept = rnd.choice(
            [timedelta(hours=rnd.choice([0, 1, 3, 12, 13])), timedelta(minutes=rnd.randrange(1, 3000))]
        )
        to_intake = rnd.choice([timedelta(hours=rnd.choice([12, 24, 42])), timedelta(minutes=rnd.randrange(1, 30000))])
        accepted = when + to_accept if status in ("accepted", "in_progress", "completed") else None
        referral = ReferralFactory(
            officer=rnd.choice(officers[:3]) if rnd.random() < 0.95 else officers[3],
            partner=rnd.choice([cast.partner_x, cast.partner_y]),
            pathway=rnd.choice(Pathway.values),
            occurred_at=when,
            # Logged when it happened; closed within days: a later referral of the client may
            # come before or after the close (the re-engagement definition tells them apart).
            created_at=when,
            closed_at=when + timedelta(days=len(referrals) % 7) if status in ("completed", "rejected") else None,
            status=status,
            # Half the cancellings the officer's own (no deflection), half the partner's (one).
            cancelled_by_officer=status == "cancelled" and len(referrals) % 2 == 0,
            accepted_at=accepted,
            intake_at=accepted + to_intake if status in ("in_progress", "completed") else None,
            naloxone_administered=rnd.random() < 0.2,
            charge_deflected=rnd.choice(["", "", "Trespass"]),
            officer_minutes=rnd.randrange(0, 90),
            status_reason=rnd.choice(Referral.RejectReason.values) if status == "rejected" else "",
        )
        if referral.intake_at is not None:
            for days in metrics.RETENTION_DAYS:
                # Done and engaged, done and not, still open, or never scheduled.
                outcome = rnd.choice(["engaged", "engaged", "not_engaged", "open", None])
                if outcome is None:
                    continue
                due = referral.intake_at + timedelta(days=days)
                done = outcome != "open"
                FollowUp.objects.create(
                    referral=referral,
                    kind=f"retention_{days}",
                    due_at=due,
                    completed_at=due if done else None,
                    outcome=outcome if done else "",
                )
        if referrals and rnd.random() < 0.3:
            referral.reengagement_of = referrals[-1]
            referral.save(update_fields=["reengagement_of"])
        referrals.append(referral)
    # Officers' check-ins, counted on their own day (up to three weeks after the encounter,
    # some past the quarter's end), not their referral's.
    later = random.Random(11)
    for referral in later.sample(referrals, 60):
        day = referral.occurred_at.astimezone(TZ).date() + timedelta(days=later.randrange(0, 21))
        kind = later.choice(OfficerCheckIn.Kind.values)
        OfficerCheckIn.objects.create(referral=referral, officer=referral.officer, on=day, kind=kind)
    rollups_rebuild(agency=cast.agency_a)
    return {"patrol": patrol, "referrals": referrals}


def _scopes(cast, patrol):
    a = cast.agency_a.pk
    month = (datetime(2026, 8, 1, tzinfo=TZ), datetime(2026, 9, 1, tzinfo=TZ))
    quarter = (datetime(2026, 8, 1, tzinfo=TZ), datetime(2026, 11, 1, tzinfo=TZ))
    return [
        metrics.Scope(a, *quarter),
        metrics.Scope(a, *month),
        metrics.Scope(a, *quarter, unit_id=patrol.pk),
        metrics.Scope(a, *quarter, pathway="naloxone_plus"),
        metrics.Scope(a, *quarter, partner_id=cast.partner_y.pk),
        metrics.Scope(a, *quarter, unit_id=patrol.pk, partner_id=cast.partner_x.pk),
        metrics.Scope(a, datetime(2026, 8, 10, tzinfo=TZ), datetime(2026, 8, 11, tzinfo=TZ)),
    ]


def test_rollup_figures_equal_those_from_the_referrals(cast, history):
    assert DailyRollup.objects.exists()
    for scope in _scopes(cast, history["patrol"]):
        assert metrics.rollups_cover(scope)
        assert metrics.totals_from_rollups(scope, TZ) == metrics.totals_from_referrals(scope)
        raw = {p.name: (p.received, p.accepted, p.intake) for p in metrics.partner_scorecard(scope)}
        rolled = {p.name: (p.received, p.accepted, p.intake) for p in metrics.partner_scorecard(scope, rollups=True)}
        assert raw == rolled
        assert metrics.weekly_by_pathway_from_rollups(scope, TZ) == metrics.weekly_by_pathway(scope, tz=TZ)
        assert metrics.monthly_savings_from_rollups(scope, TZ) == metrics.monthly_savings(scope, tz=TZ)
        assert check_ins.non_enforcement_engagements_from_rollups(scope, TZ) == check_ins.non_enforcement_engagements(
            scope
        )
        for by in ([], ["unit"], ["partner"], ["pathway"], ["unit", "partner"]):
            counts = cohorts.cohort_counts(scope, zone=TZ, by=by)
            assert cohorts.cohort_counts(scope, zone=TZ, by=by, rollups=True) == counts, (scope, by)
            # As of a month's first midnight (the dashboard's) and of a moment within a day.
            for now in (datetime(2026, 11, 1, tzinfo=TZ), datetime(2026, 10, 17, 15, 40, tzinfo=TZ)):
                retained = cohorts.retention_counts(scope, zone=TZ, now=now, by=by)
                assert cohorts.retention_counts(scope, zone=TZ, now=now, by=by, rollups=True) == retained, (scope, by)
    # Not a trivial equality: the quarter's months split by unit and partner hold several groups.
    quarter = _scopes(cast, history["patrol"])[0]
    assert len(metrics.cohort_sizes(quarter, zone=TZ, by=["unit", "partner"])) > 6
    retained = cohorts.retention_counts(quarter, zone=TZ, now=datetime(2026, 11, 1, tzinfo=TZ))
    assert any(0 < cell["retained_30"] < cell["due_30"] < cell["intake"] for cell in retained.values())
    # Not a trivial equality: the quarter has check-ins, and some fall after it.
    quarter = _scopes(cast, history["patrol"])[0]
    assert 0 < check_ins.non_enforcement_engagements(quarter) < OfficerCheckIn.objects.count()


# Moments the figures are asked for: whole days, and moments in the middle of a day, where
# retention checkpoints come due and the 30-day participation window starts part-way.
MOMENTS = [
    # Every retention checkpoint of the quarter's intakes come due, recorded or not.
    datetime(2027, 3, 1, tzinfo=TZ),
    datetime(2026, 12, 1, tzinfo=TZ),
    datetime(2026, 9, 14, 13, 37, tzinfo=TZ),
    datetime(2026, 10, 3, 0, 30, tzinfo=TZ),
    datetime(2026, 11, 12, 23, 59, tzinfo=TZ),
]


def test_headlines_from_the_rollups_equal_those_from_the_referrals(cast, history):
    assert RetentionRollup.objects.exists()
    # Not a trivial equality: checkpoints have come due and some were kept.
    retained = metrics.retention_from_rollups(_scopes(cast, history["patrol"])[0], TZ, now=MOMENTS[0])
    assert all(r.due > r.retained > 0 for r in retained.values())
    for scope in _scopes(cast, history["patrol"]):
        for now in MOMENTS:
            rolled = metrics.headlines(scope, now=now, rollups=True)
            assert rolled == metrics.headlines(scope, now=now), (scope, now)
        assert metrics.weekly_participation_from_rollups(scope=scope, tz=TZ) == metrics.weekly_participation(
            scope=scope, tz=TZ
        )
        assert metrics.partner_scorecard(scope, rollups=True) == metrics.partner_scorecard(scope)


def test_participation_from_the_rollups_at_any_moment(cast, history):
    for unit_id in (None, history["patrol"].pk):
        for day in range(0, 110, 3):
            at = datetime(2026, 8, 1, tzinfo=TZ) + timedelta(days=day, hours=day % 24, minutes=7 * day % 60)
            expected = metrics.officer_participation(agency_id=cast.agency_a.pk, at=at, unit_id=unit_id)
            assert metrics.participation_from_rollups(agency_id=cast.agency_a.pk, at=at, unit_id=unit_id) == expected


def test_participation_of_an_officer_seen_only_on_the_part_days_at_the_window_ends(cast, history):
    """An officer whose one deflection falls on the part day at either end of the 30-day
    window: counted when it is inside the window to the minute, not when it is outside."""
    rare = OfficerFactory(user=UserFactory(agency=cast.agency_a, unit=history["patrol"]))
    when = datetime(2026, 9, 20, 14, 0, tzinfo=TZ)
    ReferralFactory(officer=rare, partner=cast.partner_x, occurred_at=when, status="requested")
    rollups_rebuild(agency=cast.agency_a)
    a = cast.agency_a.pk
    for at in (
        when + timedelta(minutes=1),  # today's part: in
        when - timedelta(minutes=1),  # not yet
        when + timedelta(days=30) - timedelta(minutes=1),  # the first day's part: still in
        when + timedelta(days=30) + timedelta(minutes=1),  # out by a minute
        when + timedelta(days=15),  # a whole day of the window
    ):
        for unit_id in (None, history["patrol"].pk):
            expected = metrics.officer_participation(agency_id=a, at=at, unit_id=unit_id)
            assert metrics.participation_from_rollups(agency_id=a, at=at, unit_id=unit_id) == expected, at
        recent = metrics.officers_deflecting_from_rollups(agency_id=a, since=at - timedelta(days=30), until=at)
        assert (rare.pk in recent) == (at - timedelta(days=30) <= when < at), at


def test_the_supervisors_roster_reads_the_officer_months(cast, history):
    unit = history["patrol"]
    seen = set()
    for now in MOMENTS:
        recent = set(
            metrics.deflections_qs(metrics.Scope(cast.agency_a.pk, now - timedelta(days=30), now, unit.pk)).values_list(
                "officer__display_name", flat=True
            )
        )
        roster = unit_roster(agency_id=cast.agency_a.pk, unit_id=unit.pk, now=now)
        assert roster == [(name, name in recent) for name, _deflected in roster]
        seen |= {deflected for _name, deflected in roster}
    assert seen == {True, False}  # both answers occur at these moments


def test_the_rollups_follow_casework_as_it_happens(cast, history):
    scope = _scopes(cast, history["patrol"])[0]
    requested = [r for r in history["referrals"] if r.status == "requested"]
    services.referral_accept(
        referral_id=requested[0].pk,
        actor=cast.case_manager_y if requested[0].partner == cast.partner_y else cast.case_manager_x,
    )
    services.referral_cancel(
        referral_id=requested[1].pk, actor=requested[1].officer.user or cast.admin, reason="entered_in_error"
    )
    before = metrics.totals_from_rollups(scope, TZ)
    assert before != metrics.totals_from_referrals(scope)  # not refreshed yet
    assert rollups_refresh(agency=cast.agency_a) >= 1
    assert metrics.totals_from_rollups(scope, TZ) == metrics.totals_from_referrals(scope)
    # Within the margin the same events come back: counted already, nothing is recounted.
    assert rollups_refresh(agency=cast.agency_a) == 0
    # A retention check done: the day of its referral is recounted, retention follows.
    check = FollowUp.objects.filter(completed_at__isnull=True, kind="retention_30").select_related("referral").first()
    services.follow_up_complete(follow_up_id=check.pk, actor=cast.admin, outcome="engaged")
    assert rollups_refresh(agency=cast.agency_a) == 1
    now = datetime(2026, 12, 1, tzinfo=TZ)
    assert metrics.headlines(scope, now=now, rollups=True) == metrics.headlines(scope, now=now)
    # A check-in recorded weeks after the encounter: its own day is recounted too.
    referral = next(r for r in history["referrals"] if r.officer.user and r.occurred_at.astimezone(TZ).day < 10)
    before = check_ins.non_enforcement_engagements_from_rollups(scope, TZ)
    services.check_in_record(
        user=referral.officer.user,
        referral=referral,
        on=referral.occurred_at.astimezone(TZ).date() + timedelta(days=12),
        kind="offered_help",
    )
    assert rollups_refresh(agency=cast.agency_a) == 2  # the referral's day and the check-in's
    assert check_ins.non_enforcement_engagements_from_rollups(scope, TZ) == before + 1
    assert before + 1 == check_ins.non_enforcement_engagements(scope)


def test_the_rebuild_command_recounts_everything(cast, history):
    scope = _scopes(cast, history["patrol"])[0]
    # An edit that wrote no event (as from the admin): only a rebuild takes it in.
    Referral.objects.filter(pk=history["referrals"][0].pk).update(naloxone_administered=True, status="requested")
    call_command("rollups_rebuild", stdout=open("/dev/null", "w"))
    assert metrics.totals_from_rollups(scope, TZ) == metrics.totals_from_referrals(scope)


def test_the_dashboard_reads_the_rollups(cast, history):
    page = (
        cast.login("command_a")
        .get("/reports/dashboard/", {"start": "2026-08-01", "end": "2026-10-31"})
        .content.decode()
    )
    expected = metrics.totals_from_referrals(_scopes(cast, history["patrol"])[0]).deflections
    # Deflections are the agency's own police work: exact for its command staff.
    assert f'data-figure="deflections">{expected:,}<' in page


def _histograms_from_the_referrals(agency) -> tuple[Counter, Counter, Counter]:
    """What HoursHistogram (over everything; per partner for accepting) and RejectionRollup
    should hold, counted from the referrals without the rollups code."""
    intake, accept, rejected = Counter(), Counter(), Counter()
    for r in Referral.objects.filter(agency=agency).exclude(cancelled_by_officer=True):
        day = r.occurred_at.astimezone(TZ).date()
        # As counted on the referral's count day (Referral.counted_status).
        if r.counted_intake_at is not None:
            intake[day, hours_bin((r.counted_intake_at - r.occurred_at).total_seconds() / 3600)] += 1
        if r.counted_accepted_at is not None:
            hours = (r.counted_accepted_at - r.occurred_at).total_seconds() / 3600
            accept[day, r.partner_id, hours_bin(hours)] += 1
        if r.counted_status == "rejected":
            rejected[day, r.partner_id, r.counted_status_reason] += 1
    return intake, accept, rejected


def _histograms_from_the_rollups(agency) -> tuple[Counter, Counter, Counter]:
    rows = HoursHistogram.objects.filter(agency=agency, span=1)
    everything = rows.filter(measure="intake", unit_key=DailyRollup.ALL_UNITS, pathway="", partner=None)
    return (
        Counter({(day, b): n for day, b, n in everything.values_list("day", "bin", "n")}),
        Counter(
            {(d, p, b): n for d, p, b, n in rows.filter(measure="accept").values_list("day", "partner", "bin", "n")}
        ),
        Counter(
            {
                (d, p, r): n
                for d, p, r, n in RejectionRollup.objects.filter(span=1).values_list("day", "partner", "reason", "n")
            }
        ),
    )


def test_the_hour_bins_and_rejections_equal_those_counted_from_the_referrals(cast, history):
    expected = _histograms_from_the_referrals(cast.agency_a)
    assert all(expected)  # there are intakes, acceptances and rejections
    assert _histograms_from_the_rollups(cast.agency_a) == expected
    # Every level holds the same values: per unit, pathway and partner they add up to all.
    intake = HoursHistogram.objects.filter(agency=cast.agency_a, measure="intake", span=1)
    total = sum(expected[0].values())
    assert sum(intake.exclude(unit_key=DailyRollup.ALL_UNITS).values_list("n", flat=True)) == total
    assert sum(intake.exclude(pathway="").values_list("n", flat=True)) == total
    assert sum(intake.filter(partner__isnull=False).values_list("n", flat=True)) == total
    # And after casework: an acceptance and a rejection of October's, before its count day (1
    # December), counted (by a rebuild: the fixture's rollups are counted up to today).
    requested = [r for r in history["referrals"] if r.status == "requested"]
    october = [r for r in requested if r.occurred_at.astimezone(TZ).month == 10]
    manager = {cast.partner_x.pk: cast.case_manager_x, cast.partner_y.pk: cast.case_manager_y}
    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=TZ), tick=False):
        services.referral_accept(referral_id=october[0].pk, actor=manager[october[0].partner_id])
        services.referral_reject(referral_id=october[1].pk, actor=manager[october[1].partner_id], reason="no_capacity")
    rollups_rebuild(agency=cast.agency_a)
    counted = _histograms_from_the_rollups(cast.agency_a)
    assert counted == _histograms_from_the_referrals(cast.agency_a) != expected
    # After its count day the same casework is on record, and taken in by a refresh, but counted
    # no more: a figure that moved the day a referral closed would say how it closed.
    late = [r for r in requested if r not in october[:2]]
    services.referral_accept(referral_id=late[0].pk, actor=manager[late[0].partner_id])
    services.referral_reject(referral_id=late[1].pk, actor=manager[late[1].partner_id], reason="no_capacity")
    assert rollups_refresh(agency=cast.agency_a) >= 1
    assert _histograms_from_the_rollups(cast.agency_a) == counted == _histograms_from_the_referrals(cast.agency_a)


def test_medians_from_the_hour_bins_are_exact(cast, history):
    """The median of every week and month, all of them and per unit, pathway and partner:
    equal to statistics.median over the referrals' own hours to the last bit, whether the
    count is odd or even and the two middle values share a bin or not."""
    a = cast.agency_a.pk
    odd_even, split = set(), 0
    for first in range(0, 80, 4):
        for length in (7, 30):
            start = datetime(2026, 8, 1, tzinfo=TZ) + timedelta(days=first)
            for filters in ({}, {"unit_id": history["patrol"].pk}, {"pathway": "naloxone_plus"}):
                scope = metrics.Scope(a, start, start + timedelta(days=length), **filters)
                pairs = (
                    metrics.deflections_qs(scope)
                    .filter(intake_at__isnull=False)
                    .values_list("occurred_at", "intake_at")
                )
                hours = sorted((intake - occurred).total_seconds() / 3600 for occurred, intake in pairs)
                expected = statistics.median(hours) if hours else None
                assert metrics.median_hours_to_intake_from_rollups(scope, TZ) == expected, scope
                assert metrics.median_hours_to_intake(scope) == expected
                if hours:
                    odd_even.add(len(hours) % 2)
                    low, high = metrics._middle_positions(len(hours))
                    split += hours_bin(hours[low]) != hours_bin(hours[high])
            scope = metrics.Scope(a, start, start + timedelta(days=length))
            raw = {p.name: p.median_hours_to_accept for p in metrics.partner_scorecard(scope)}
            assert {p.name: p.median_hours_to_accept for p in metrics.partner_scorecard(scope, rollups=True)} == raw
    assert odd_even == {0, 1} and split > 0  # both kinds of count, and middles in two bins, occurred


def _officer_months_from_the_referrals(agency) -> dict:
    """Who deflected in which month (agency time), and on which of its days, as bits."""
    months: dict = {}
    deflections = Referral.objects.filter(agency=agency).exclude(cancelled_by_officer=True)
    for officer_id, occurred in deflections.values_list("officer_id", "occurred_at"):
        day = occurred.astimezone(TZ).date()
        key = (day.replace(day=1), officer_id)
        months[key] = months.get(key, 0) | 1 << (day.day - 1)
    return months


def _officer_months_from_the_rollups(agency) -> dict:
    rows = OfficerMonth.objects.filter(agency=agency).values_list("month", "officer_id", "days")
    return {(month, officer): days for month, officer, days in rows}


def test_the_officer_months_equal_those_counted_from_the_referrals(cast, history):
    expected = _officer_months_from_the_referrals(cast.agency_a)
    # Officers on the 31st (the highest bit) and on several days of a month occur.
    assert len(expected) > 5 and any(bits >= 1 << 30 for bits in expected.values())
    assert any(bin(bits).count("1") > 5 for bits in expected.values())
    assert _officer_months_from_the_rollups(cast.agency_a) == expected
    # Casework on a Sunday: the other days of its month keep their bits.
    sunday = next(
        r for r in history["referrals"] if r.status == "requested" and r.occurred_at.astimezone(TZ).weekday() == 6
    )
    services.referral_cancel(referral_id=sunday.pk, actor=sunday.officer.user or cast.admin, reason="entered_in_error")
    assert rollups_refresh(agency=cast.agency_a) >= 1
    assert _officer_months_from_the_rollups(cast.agency_a) == _officer_months_from_the_referrals(cast.agency_a)


def test_weekly_participation_from_the_officer_months_for_periods_ending_on_any_weekday(cast, history):
    """The chart's period may start and end on any day, in any month."""
    a = cast.agency_a.pk
    for first in range(0, 60, 5):
        for length in (14, 30, 61):
            start = datetime(2026, 8, 10, tzinfo=TZ) + timedelta(days=first)
            for unit_id in (None, history["patrol"].pk):
                scope = metrics.Scope(a, start, start + timedelta(days=length), unit_id=unit_id)
                assert metrics.weekly_participation_from_rollups(scope=scope, tz=TZ) == metrics.weekly_participation(
                    scope=scope, tz=TZ
                ), scope


def _week_rows_from_the_day_rows(model, agency) -> Counter:
    """What the whole-week rows of a table should hold: its level day rows summed by week."""
    keys, counts = WEEKLY[model]
    expected = Counter()
    for row in model.objects.filter(LEVELS, agency=agency, span=1).values("day", *keys, *counts):
        monday = row["day"] - timedelta(days=row["day"].weekday())
        for name in counts:
            if row[name]:
                expected[(monday, *(row[key] for key in keys), name)] += row[name]
    return expected


def _week_rows(model, agency) -> Counter:
    keys, counts = WEEKLY[model]
    found = Counter()
    for row in model.objects.filter(agency=agency, span=7).values("day", *keys, *counts):
        assert row["day"].weekday() == 0
        for name in counts:
            if row[name]:
                found[(row["day"], *(row[key] for key in keys), name)] += row[name]
    return found


def test_the_week_rows_are_the_sums_of_their_days(cast, history):
    for model in WEEKLY:
        assert model.objects.filter(agency=cast.agency_a, span=7).exists(), model
        assert _week_rows(model, cast.agency_a) == _week_rows_from_the_day_rows(model, cast.agency_a), model
    # Casework on a referral of a Wednesday: its week is made again from its other days too,
    # and the figures of periods that hold the whole week follow.
    wednesday = next(
        r for r in history["referrals"] if r.status == "requested" and r.occurred_at.astimezone(TZ).weekday() == 2
    )
    manager = {cast.partner_x.pk: cast.case_manager_x, cast.partner_y.pk: cast.case_manager_y}
    services.referral_reject(referral_id=wednesday.pk, actor=manager[wednesday.partner_id], reason="no_capacity")
    assert rollups_refresh(agency=cast.agency_a) == 1
    for model in WEEKLY:
        assert _week_rows(model, cast.agency_a) == _week_rows_from_the_day_rows(model, cast.agency_a), model
    now = datetime(2026, 12, 1, tzinfo=TZ)
    for scope in _scopes(cast, history["patrol"]):
        assert metrics.totals_from_rollups(scope, TZ) == metrics.totals_from_referrals(scope)
        assert metrics.headlines(scope, now=now, rollups=True) == metrics.headlines(scope, now=now)
        assert metrics.partner_scorecard(scope, rollups=True) == metrics.partner_scorecard(scope)


def test_periods_starting_and_ending_on_any_weekday_read_weeks_and_days(cast, history):
    """Whole weeks from the week rows, the days at either end from the day rows: the same
    figures as the referrals give, for periods shorter than a week, of one whole week,
    and of several weeks starting and ending on every weekday."""
    a = cast.agency_a.pk
    now = datetime(2026, 11, 20, 15, 30, tzinfo=TZ)
    for first in range(7):
        for length in (3, 7, 8, 13, 14, 29, 45, 70):
            start = datetime(2026, 8, 3, tzinfo=TZ) + timedelta(days=first)  # a Monday, then each weekday
            for filters in ({}, {"unit_id": history["patrol"].pk}, {"partner_id": cast.partner_x.pk}):
                scope = metrics.Scope(a, start, start + timedelta(days=length), **filters)
                assert metrics.totals_from_rollups(scope, TZ) == metrics.totals_from_referrals(scope), scope
                assert metrics.headlines(scope, now=now, rollups=True) == metrics.headlines(scope, now=now), scope
                assert metrics.weekly_by_pathway_from_rollups(scope, TZ) == metrics.weekly_by_pathway(scope, tz=TZ)
                assert metrics.monthly_savings_from_rollups(scope, TZ) == metrics.monthly_savings(scope, tz=TZ)
            scope = metrics.Scope(a, start, start + timedelta(days=length))
            assert metrics.partner_scorecard(scope, rollups=True) == metrics.partner_scorecard(scope), scope
