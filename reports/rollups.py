"""Per-day rollups of referrals, so that dashboards cost the same at a million referrals.

Tables kept by the day a deflection happened (agency time): DailyRollup (counts per unit,
pathway and partner), OfficerDay (who deflected: distinct officers do not add across days;
OfficerMonth, made from it, holds the same as day bits per officer and month), ReferralFact
(a narrow row per accepted, rejected or intake referral, for retention checkpoints that come
due by the minute and the exact hours inside one bin), RetentionRollup, HoursHistogram
(hours to intake and to accept in bins, for medians), RejectionRollup and CheckInRollup
(officers' check-ins, by the check-in's own day); the levels of the
last four and of DailyRollup also by whole weeks. When casework changes
a referral it writes a CaseEvent (always: it is the house rule), so the days to recount
are found from the events since the last refresh; recounting a day from the referrals is
idempotent, so a refresh can overlap the last one (a margin covers transactions that
committed late). The worker refreshes every minute (reports.tasks.refresh_rollups);
dashboards only read, and say up to when casework is counted. `manage.py rollups_rebuild`
rebuilds everything (after imports, or admin edits, which write no events).
"""

from __future__ import annotations

import zoneinfo
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from buyin.models import FeedbackObstacle, OfficerFeedback
from deflection.models import Agency
from referrals.models import IS_DEFLECTION, CaseEvent, Referral
from reports.metrics.check_ins import CELL, check_ins_of_agency
from reports.metrics.definitions import COUNTS, engaged_at, referral_counts
from reports.metrics.process import log_time_bin
from reports.metrics.process_from_rollups import FEEDBACK_COLUMNS
from reports.rollup_models import (
    CheckInRollup,
    DailyRollup,
    FeedbackRollup,
    HoursHistogram,
    LogTimeHistogram,
    OfficerDay,
    OfficerMonth,
    ReferralFact,
    RejectionRollup,
    RetentionRollup,
    RollupState,
)

MARGIN = timedelta(minutes=10)
ROLLUPS = (
    DailyRollup,
    OfficerDay,
    ReferralFact,
    RetentionRollup,
    HoursHistogram,
    RejectionRollup,
    FeedbackRollup,
    LogTimeHistogram,
    CheckInRollup,
)


def _bin_edges() -> tuple[float, ...]:
    # Each bin about 15% of its hours, from six minutes up to two years (87 bins): partners
    # accept in one to forty hours, intakes take days, and a bin an hour wide at two hours
    # held a quarter of a partner's acceptances (the rows a median then reads).
    edges = [0.0, 0.1]
    while edges[-1] < 2 * 365 * 24:
        edges.append(edges[-1] * 1.15)
    return tuple(edges)


BIN_EDGES = _bin_edges()


def hours_bin(hours: float) -> int:
    """The HoursHistogram bin of a number of hours. Bins are ordered as the hours are (every
    value of a bin is below every value of the next), which is all a median needs of them:
    a comparison with fixed edges, so no rounding can put a value out of order."""
    return bisect_right(BIN_EDGES, hours)


def _day_ranges(days: set[date], zone) -> Q:
    """The moments of the given days (agency time), consecutive days merged into one range:
    recounting a Monday and a Friday reads two days, not five."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and ranges[-1][1] + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    q = Q()
    for first, last in ranges:
        q |= Q(
            occurred_at__gte=datetime.combine(first, time.min, tzinfo=zone),
            occurred_at__lt=datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
        )
    return q


def _hours(start: datetime, end: datetime | None) -> float | None:
    # The same arithmetic as the definitions in reports/metrics/definitions.py, so medians agree exactly.
    return None if end is None else (end - start).total_seconds() / 3600


def _levels(row) -> tuple[tuple[int, str, int | None], ...]:
    """The (unit, pathway, partner) keys of the levels a cell or fact is summed into: every
    unit, pathway and partner; its unit alone; its pathway alone; its partner alone."""
    return (
        (DailyRollup.ALL_UNITS, "", None),
        (row.unit_key, "", None),
        (DailyRollup.ALL_UNITS, row.pathway, None),
        (DailyRollup.ALL_UNITS, "", row.partner_id),
    )


def _row(sums: dict, model, **fields):
    """The row of `model` with these fields in `sums`, made the first time they are seen."""
    key = tuple(fields.values())
    row = sums.get(key)
    if row is None:
        row = sums[key] = model(**fields)
    return row


def _level_rows(sums: dict, model, source, **fields) -> list:
    """The rows of `model` in `sums` at each level a cell or fact (`source`) is summed into."""
    return [
        _row(sums, model, agency_id=source.agency_id, day=source.day, unit_key=u, pathway=p, partner_id=pa, **fields)
        for u, p, pa in _levels(source)
    ]


def _summed_over_dimensions(cells: list, model=DailyRollup, names: tuple[str, ...] = COUNTS) -> list:
    """Each day's cells summed over every unit, pathway and partner, and per each alone."""
    sums: dict[tuple, object] = {}
    for cell in cells:
        for total in _level_rows(sums, model, cell):
            for name in names:
                setattr(total, name, getattr(total, name) + getattr(cell, name))
    return list(sums.values())


def _retention_sums(facts: list[ReferralFact], zone) -> list[RetentionRollup]:
    """Intakes and retention by day and intake day, at the levels of DailyRollup."""
    sums: dict[tuple, RetentionRollup] = {}
    for fact in facts:
        if fact.intake_at is None:
            continue
        for row in _level_rows(sums, RetentionRollup, fact, intake_day=fact.intake_at.astimezone(zone).date()):
            row.intake += 1
            row.retained_30 += fact.retained_30
            row.retained_60 += fact.retained_60
            row.retained_90 += fact.retained_90
    return list(sums.values())


def _histograms(facts: list[ReferralFact]) -> list[HoursHistogram]:
    """Hours to intake at the levels of DailyRollup but the cells; hours to accept per partner."""
    sums: dict[tuple, HoursHistogram] = {}
    for fact in facts:
        if fact.intake_bin is not None:
            for row in _level_rows(
                sums, HoursHistogram, fact, measure=HoursHistogram.Measure.INTAKE, bin=fact.intake_bin
            ):
                row.n += 1
        if fact.accept_bin is not None:
            _row(
                sums,
                HoursHistogram,
                agency_id=fact.agency_id,
                day=fact.day,
                unit_key=DailyRollup.ALL_UNITS,
                pathway="",
                partner_id=fact.partner_id,
                measure=HoursHistogram.Measure.ACCEPT,
                bin=fact.accept_bin,
            ).n += 1
    return list(sums.values())


def _rejections(facts: list[ReferralFact]) -> list[RejectionRollup]:
    """Rejections by day, partner and reason."""
    sums: dict[tuple, RejectionRollup] = {}
    for fact in facts:
        if fact.reject_reason is not None:
            fields = {"agency_id": fact.agency_id, "day": fact.day, "partner_id": fact.partner_id}
            _row(sums, RejectionRollup, **fields, reason=fact.reject_reason).n += 1
    return list(sums.values())


@dataclass(frozen=True)
class _Encounter:
    """Where a referral is counted: its agency, day (agency time), unit, pathway and partner."""

    agency_id: int
    day: date
    unit_key: int
    pathway: str
    partner_id: int


ENCOUNTER = ("occurred_at", "officer__unit_id", "pathway", "partner_id")


def _encounter(agency: Agency, zone, occurred: datetime, unit_id: int | None, pathway: str, partner_id: int):
    return _Encounter(agency.pk, occurred.astimezone(zone).date(), unit_id or 0, pathway, partner_id)


def _feedback(agency: Agency, referrals, zone) -> list[FeedbackRollup]:
    """The officers' feedback on these referrals, per day and cell, and at the levels."""
    feedback = OfficerFeedback.objects.filter(referral__in=referrals.values("pk"))
    named: dict[int, list[str]] = {}
    for feedback_id, kind in FeedbackObstacle.objects.filter(feedback__in=feedback.values("pk")).values_list(
        "feedback_id", "kind"
    ):
        named.setdefault(feedback_id, []).append(kind)
    cells: dict[tuple, FeedbackRollup] = {}
    rows = feedback.values_list("pk", "ease", *(f"referral__{name}" for name in ENCOUNTER)).order_by()
    for pk, ease, *where in rows:
        at = _encounter(agency, zone, *where)
        cell = _row(
            cells,
            FeedbackRollup,
            agency_id=agency.pk,
            day=at.day,
            unit_key=at.unit_key,
            pathway=at.pathway,
            partner_id=at.partner_id,
        )
        cell.asked += 1
        if ease:
            setattr(cell, ease, getattr(cell, ease) + 1)
            for kind in named.get(pk, []):
                name = f"obstacle_{kind}"
                setattr(cell, name, getattr(cell, name) + 1)
    found = list(cells.values())
    return found + _summed_over_dimensions(found, FeedbackRollup, FEEDBACK_COLUMNS)


def _log_times(agency: Agency, referrals, zone) -> list[LogTimeHistogram]:
    """How long these referrals took to log, in bins per day, at the levels (not the cells)."""
    sums: dict[tuple, LogTimeHistogram] = {}
    for seconds, *where in referrals.filter(seconds_to_log__isnull=False).values_list("seconds_to_log", *ENCOUNTER):
        for row in _level_rows(sums, LogTimeHistogram, _encounter(agency, zone, *where), seconds=log_time_bin(seconds)):
            row.n += 1
    return list(sums.values())


def _check_ins(agency: Agency, days: set[date]) -> list[CheckInRollup]:
    """The officers' check-ins of these days (their own day, not their referral's), per cell and at the levels."""
    rows = check_ins_of_agency(agency.pk).filter(on__in=days).values_list(*CELL).annotate(n=Count("id"))
    cells = [
        CheckInRollup(
            agency_id=agency.pk, day=day, unit_key=unit_id or 0, pathway=pathway, partner_id=partner_id, check_ins=n
        )
        for day, unit_id, pathway, partner_id, n in rows
    ]
    return cells + _summed_over_dimensions(cells, CheckInRollup, ("check_ins",))


def _officer_months(agency: Agency, days: set[date], officer_days: list[OfficerDay]) -> None:
    """Make the OfficerMonth rows of the months of these days again: the bits of the other
    days as they were, those of these days from their officer-days (inside the recount's
    transaction)."""
    recounted: dict[date, int] = {}
    for day in days:
        month = day.replace(day=1)
        recounted[month] = recounted.get(month, 0) | 1 << (day.day - 1)
    masks: dict[tuple[date, int], int] = {}
    for month, officer_id, bits in OfficerMonth.objects.filter(agency=agency, month__in=recounted).values_list(
        "month", "officer_id", "days"
    ):
        masks[month, officer_id] = bits & ~recounted[month]
    for officer_day in officer_days:
        key = (officer_day.day.replace(day=1), officer_day.officer_id)
        masks[key] = masks.get(key, 0) | 1 << (officer_day.day.day - 1)
    OfficerMonth.objects.filter(agency=agency, month__in=recounted).delete()
    OfficerMonth.objects.bulk_create(
        [
            OfficerMonth(agency=agency, month=month, officer_id=officer_id, days=bits)
            for (month, officer_id), bits in masks.items()
            if bits
        ],
        batch_size=2000,
    )


# The tables with whole-week rows (span 7, `day` the Monday): per table, what a row is
# counted by besides the day, and what it counts. Only the levels (every unit, pathway and
# partner, or one of them alone) have weeks; the cells of DailyRollup are read by day.
WEEKLY = {
    DailyRollup: (("unit_key", "pathway", "partner_id"), COUNTS),
    RetentionRollup: (
        ("unit_key", "pathway", "partner_id", "intake_day"),
        ("intake", "retained_30", "retained_60", "retained_90"),
    ),
    HoursHistogram: (("measure", "unit_key", "pathway", "partner_id", "bin"), ("n",)),
    RejectionRollup: (("unit_key", "pathway", "partner_id", "reason"), ("n",)),
}
# The level rows (as _weeks's SQL selects them).
LEVELS = Q(partner__isnull=True) | Q(unit_key=DailyRollup.ALL_UNITS, pathway="")


def _weeks(agency: Agency, days: set[date]) -> None:
    """Make the whole-week rows of the weeks of these days again from their day rows (the
    days not recounted included), inside the recount's transaction: one INSERT ... SELECT
    per table and week, summed in the database."""
    mondays = sorted({day - timedelta(days=day.weekday()) for day in days})
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model, (keys, counts) in WEEKLY.items():
            model.objects.filter(agency=agency, span=7, day__in=mondays).delete()
            table = quote(model._meta.db_table)
            key_columns = ", ".join(quote(model._meta.get_field(key.removesuffix("_id")).column) for key in keys)
            count_columns = ", ".join(quote(name) for name in counts)
            sums = ", ".join(f"SUM({quote(name)})" for name in counts)
            # Names from the models' own metadata, quoted; every value a parameter.
            insert = (
                f"INSERT INTO {table} (agency_id, span, day, {key_columns}, {count_columns}) "  # noqa: S608
                f"SELECT agency_id, 7, %s, {key_columns}, {sums} FROM {table} "
                "WHERE agency_id = %s AND span = 1 AND day >= %s AND day < %s "
                "AND (partner_id IS NULL OR (unit_key = %s AND pathway = '')) "
                f"GROUP BY agency_id, {key_columns}"
            )
            for monday in mondays:
                cursor.execute(insert, [monday, agency.pk, monday, monday + timedelta(days=7), DailyRollup.ALL_UNITS])


def _recount(agency: Agency, days: set[date]) -> None:
    """Recount the given days of one agency from its referrals: the per-day counts, who
    deflected, and the narrow per-referral facts."""
    if not days:
        return
    zone = zoneinfo.ZoneInfo(agency.timezone)
    referrals = Referral.objects.filter(_day_ranges(days, zone), agency=agency).order_by()
    rows = (
        referrals.annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .values("day", "officer__unit_id", "pathway", "partner_id")
        .annotate(**referral_counts())
    )
    cells = [
        DailyRollup(
            agency=agency,
            day=row["day"],
            unit_key=row["officer__unit_id"] or 0,
            pathway=row["pathway"],
            partner_id=row["partner_id"],
            **{name: row[name] or 0 for name in COUNTS},
        )
        for row in rows
    ]
    cells += _summed_over_dimensions(cells)
    deflections = referrals.filter(IS_DEFLECTION)
    officer_days = [
        OfficerDay(agency=agency, day=row["day"], officer_id=row["officer_id"], deflections=row["n"])
        for row in deflections.annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .values("day", "officer_id")
        .annotate(n=Count("id"))
    ]
    # What the partner recorded as counted (Referral's counted_ fields), not as it stands.
    fact_rows = (
        deflections.filter(
            Q(counted_accepted_at__isnull=False)
            | Q(counted_intake_at__isnull=False)
            | Q(counted_status=Referral.Status.REJECTED)
        )
        .annotate(r30=engaged_at(30), r60=engaged_at(60), r90=engaged_at(90))
        .values_list(
            "occurred_at",
            "officer__unit_id",
            "pathway",
            "partner_id",
            "counted_accepted_at",
            "counted_intake_at",
            "counted_status",
            "counted_status_reason",
            "r30",
            "r60",
            "r90",
        )
    )
    facts = [
        ReferralFact(
            agency=agency,
            day=occurred.astimezone(zone).date(),
            unit_key=unit_id or 0,
            pathway=pathway,
            partner_id=partner_id,
            hours_to_accept=_hours(occurred, accepted),
            hours_to_intake=_hours(occurred, intake),
            intake_at=intake,
            retained_30=r30,
            retained_60=r60,
            retained_90=r90,
            reject_reason=reason if status == Referral.Status.REJECTED else None,
        )
        for occurred, unit_id, pathway, partner_id, accepted, intake, status, reason, r30, r60, r90 in fact_rows
    ]
    for fact in facts:
        fact.accept_bin = None if fact.hours_to_accept is None else hours_bin(fact.hours_to_accept)
        fact.intake_bin = None if fact.hours_to_intake is None else hours_bin(fact.hours_to_intake)
    retention = _retention_sums(facts, zone)
    histograms = _histograms(facts)
    rejections = _rejections(facts)
    feedback = _feedback(agency, referrals, zone)
    log_times = _log_times(agency, referrals, zone)
    check_ins = _check_ins(agency, days)
    with transaction.atomic():
        for model in ROLLUPS:
            rows = model.objects.filter(agency=agency, day__in=days)
            (rows.filter(span=1) if model in WEEKLY else rows).delete()
        DailyRollup.objects.bulk_create(cells, batch_size=2000)
        OfficerDay.objects.bulk_create(officer_days, batch_size=2000)
        ReferralFact.objects.bulk_create(facts, batch_size=2000)
        RetentionRollup.objects.bulk_create(retention, batch_size=2000)
        HoursHistogram.objects.bulk_create(histograms, batch_size=2000)
        RejectionRollup.objects.bulk_create(rejections, batch_size=2000)
        FeedbackRollup.objects.bulk_create(feedback, batch_size=2000)
        LogTimeHistogram.objects.bulk_create(log_times, batch_size=2000)
        CheckInRollup.objects.bulk_create(check_ins, batch_size=2000)
        _officer_months(agency, days, officer_days)
        _weeks(agency, days)


def rollups_refresh(*, agency: Agency, now: datetime | None = None) -> int:
    """Take in the case events since the last refresh; returns how many days were recounted."""
    now = now or timezone.now()
    with transaction.atomic():
        # One refresh at a time per agency: a second dashboard load waits, then finds the
        # events taken in, instead of recounting the same days beside the first.
        state = RollupState.objects.select_for_update().filter(agency=agency).first()
        if state is None:
            rollups_rebuild(agency=agency, now=now)
            return -1
        return _take_in_events(agency, state, now)


def _new_days(rows, seen: list[int], now: datetime, zone) -> tuple[set[date], list[int]]:
    """From (id, when written, when the deflection happened) rows since the last refresh
    less its margin: the days of those not seen before, and the ids the next refresh's
    window still holds (its `seen`)."""
    seen_before = set(seen)
    days, taken_in = set(), []
    for pk, written_at, occurred_at in rows:
        if pk not in seen_before:
            # A check-in has its day already (a date, in agency time).
            days.add(occurred_at if type(occurred_at) is date else occurred_at.astimezone(zone).date())
        if written_at > now - MARGIN:
            taken_in.append(pk)
    return days, taken_in


def _take_in_events(agency: Agency, state: RollupState, now: datetime) -> int:
    zone = zoneinfo.ZoneInfo(agency.timezone)
    since = state.refreshed_until - MARGIN
    events = (
        CaseEvent.objects.filter(referral__agency=agency, created_at__gt=since)
        .values_list("pk", "created_at", "referral__occurred_at")
        .order_by()
    )
    # The margin brings back events an earlier refresh took in already: their days were
    # recounted after they committed, so only events not seen before call for a recount.
    # (Without this, every dashboard load for ten minutes after casework recounted its days.)
    days, taken_in = _new_days(events, state.taken_in, now, zone)
    # Feedback writes no case event: its own rows say which days it changed.
    feedback = (
        OfficerFeedback.objects.filter(referral__agency=agency, answered_at__gt=since)
        .values_list("pk", "answered_at", "referral__occurred_at")
        .order_by()
    )
    feedback_days, feedback_taken_in = _new_days(feedback, state.feedback_taken_in, now, zone)
    # A check-in is counted on its own day, which its case event (the referral's day) does not give.
    check_ins = check_ins_of_agency(agency.pk).filter(created_at__gt=since).values_list("pk", "created_at", "on")
    check_in_days, check_ins_taken_in = _new_days(check_ins, state.check_ins_taken_in, now, zone)
    days |= feedback_days | check_in_days
    _recount(agency, days)
    RollupState.objects.filter(pk=state.pk).update(
        refreshed_until=now,
        taken_in=taken_in,
        feedback_taken_in=feedback_taken_in,
        check_ins_taken_in=check_ins_taken_in,
    )
    return len(days)


def rollups_rebuild(*, agency: Agency, now: datetime | None = None) -> None:
    """Recount every day of the agency from its referrals."""
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(agency.timezone)
    first = Referral.objects.filter(agency=agency).order_by("occurred_at").values_list("occurred_at", flat=True).first()
    # Events already committed are counted by the rebuild: the next refresh need not
    # recount their days again (see _take_in_events).
    taken_in = list(
        CaseEvent.objects.filter(referral__agency=agency, created_at__gt=now - MARGIN).values_list("pk", flat=True)
    )
    feedback_taken_in = list(
        OfficerFeedback.objects.filter(referral__agency=agency, answered_at__gt=now - MARGIN).values_list(
            "pk", flat=True
        )
    )
    check_ins_taken_in = list(
        check_ins_of_agency(agency.pk).filter(created_at__gt=now - MARGIN).values_list("pk", flat=True)
    )
    with transaction.atomic():
        for model in (*ROLLUPS, OfficerMonth):
            model.objects.filter(agency=agency).delete()
        if first is not None:
            day, last = first.astimezone(zone).date(), now.astimezone(zone).date() + timedelta(days=1)
            while day <= last:
                month_end = min(last, day + timedelta(days=31))
                _recount(agency, {day + timedelta(days=i) for i in range((month_end - day).days + 1)})
                day = month_end + timedelta(days=1)
        RollupState.objects.update_or_create(
            agency=agency,
            defaults={
                "refreshed_until": now,
                "taken_in": taken_in,
                "feedback_taken_in": feedback_taken_in,
                "check_ins_taken_in": check_ins_taken_in,
            },
        )


def rollups_refresh_all() -> int:
    """Bring every agency's rollups up to date; how many days were recounted in all."""
    return sum(max(rollups_refresh(agency=agency), 0) for agency in Agency.objects.all())
