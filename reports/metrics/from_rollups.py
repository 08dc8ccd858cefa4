"""The metrics read from the per-day rollups (reports/rollups.py keeps them), so that the
dashboard costs the same at a million referrals: counts from DailyRollup, who deflected from
OfficerMonth's day bits, retention, medians and rejection reasons from the narrow facts
(ReferralFact) and their sums. Each function equals its definition (definitions.py) on the
same data (tests/test_rollups.py); what a rollup cannot answer (part days, an officer's own
figures) is counted from the referrals by the definitions.
"""

from __future__ import annotations

import statistics
import zoneinfo
from collections import Counter
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Aggregate, Count, FloatField, IntegerField, Q, Sum, Value

from deflection.models import Agency
from referrals.models import Officer
from reports.metrics.definitions import (
    COUNTS,
    PARTICIPATION_WINDOW,
    RETENTION_DAYS,
    Participation,
    Retention,
    Scope,
    Totals,
    come_due_by,
    deflections_qs,
)
from reports.metrics.series import mondays
from reports.rollup_models import (
    DailyRollup,
    HoursHistogram,
    OfficerMonth,
    ReferralFact,
    RejectionRollup,
    RetentionRollup,
    RollupState,
)


def counted_until(agency_id: int) -> datetime | None:
    """Up to when the worker has counted the agency's casework into the rollups; None before
    its first count (read the definitions then)."""
    return RollupState.objects.filter(agency_id=agency_id).values_list("refreshed_until", flat=True).first()


# The worker counts every minute: counted longer ago than this, it has stopped, and a page
# read from the rollups says so rather than pass last hour's figures off as today's.
COUNTING_LATE = timedelta(minutes=15)


def counting_late(counted_at: datetime | None, now: datetime) -> bool:
    """Whether the rollups, counted up to `counted_at`, have fallen behind (COUNTING_LATE)."""
    return counted_at is not None and now - counted_at > COUNTING_LATE


def zone_of(agency_id: int) -> zoneinfo.ZoneInfo:
    """The agency's time zone, whose days the rollups count by."""
    return zoneinfo.ZoneInfo(Agency.objects.only("timezone").get(pk=agency_id).timezone)


def rollups_cover(scope: Scope, zone: zoneinfo.ZoneInfo | None = None) -> bool:
    """Rollups answer whole agency days, without an officer filter (`zone`: the agency's, if known)."""
    if scope.officer_id is not None or scope.start is None or scope.end is None:
        return False
    zone = zone or zone_of(scope.agency_id)
    return all(moment.astimezone(zone).time() == datetime.min.time() for moment in (scope.start, scope.end))


def _wanted(scope: Scope, by: str | None = None) -> dict[str, bool]:
    """Which of unit, pathway and partner a scope (and a grouping `by`) needs a row level
    to keep apart; more than one: the cells themselves."""
    wanted = {
        "unit": scope.unit_id is not None or by == "unit",
        "pathway": bool(scope.pathway) or by == "pathway",
        "partner": scope.partner_id is not None or by == "partner",
    }
    return dict.fromkeys(wanted, True) if sum(wanted.values()) > 1 else wanted


def _at_level(rows, scope: Scope, wanted: dict[str, bool]):
    """The rows of one level (see DailyRollup), narrowed by the scope's filters."""
    every_unit = Q(unit_key=DailyRollup.ALL_UNITS)
    rows = rows.exclude(every_unit) if wanted["unit"] else rows.filter(every_unit)
    rows = rows.exclude(pathway="") if wanted["pathway"] else rows.filter(pathway="")
    return _narrowed(rows.filter(partner__isnull=not wanted["partner"]), scope)


def _narrowed(rows, scope: Scope):
    """Rows with a unit, pathway and partner, narrowed by the scope's filters."""
    if scope.unit_id is not None:
        rows = rows.filter(unit_key=scope.unit_id)
    if scope.pathway:
        rows = rows.filter(pathway=scope.pathway)
    if scope.partner_id is not None:
        rows = rows.filter(partner_id=scope.partner_id)
    return rows


def _days(scope: Scope, zone, *, weekly: bool = True) -> Q:
    """The rollup rows of the scope's days: its whole weeks (Monday to Sunday) from the
    week rows (span 7) and the days before the first and after the last from the day rows,
    so that a quarter reads 12 or 13 weeks and a few days, not 90 days. `weekly=False`, or
    the cells (which have no week rows): every day from the day rows."""
    first, last = scope.start.astimezone(zone).date(), scope.end.astimezone(zone).date()
    days = Q(span=1, day__gte=first, day__lt=last)
    if not weekly:
        return days
    monday = first + timedelta(days=-first.weekday() % 7)  # the first whole week's
    end_monday = last - timedelta(days=last.weekday())  # the Monday after the last whole week
    if monday >= end_monday:
        return days
    rows = Q(span=7, day__gte=monday, day__lt=end_monday)
    if first < monday:
        rows |= Q(span=1, day__gte=first, day__lt=monday)
    if end_monday < last:
        rows |= Q(span=1, day__gte=end_monday, day__lt=last)
    return rows


def rollup_cells(scope: Scope, zone, *, by: str | None = None, weekly: bool = True):
    """The DailyRollup rows of a scope, one level of them: the coarsest that holds the
    scope's filters and `by` (the dimension the caller groups by), so that summing them
    counts every referral once. A level's whole weeks are week rows (their `day` the
    Monday) unless `weekly=False`; the cells are day rows."""
    wanted = _wanted(scope, by)
    days = _days(scope, zone, weekly=weekly and not all(wanted.values()))
    return _at_level(DailyRollup.objects.filter(days, agency_id=scope.agency_id), scope, wanted)


def rollup_days(scope: Scope, zone, *, by: list[str]):
    """The DailyRollup day rows of a scope (no week rows: a week may straddle two months), one
    level of them: the coarsest that holds the scope's filters and every dimension of `by`."""
    wanted = {
        "unit": scope.unit_id is not None or "unit" in by,
        "pathway": bool(scope.pathway) or "pathway" in by,
        "partner": scope.partner_id is not None or "partner" in by,
    }
    if sum(wanted.values()) > 1:
        wanted = dict.fromkeys(wanted, True)
    days = _days(scope, zone, weekly=False)
    return _at_level(DailyRollup.objects.filter(days, agency_id=scope.agency_id), scope, wanted)


def retention_days(scope: Scope, zone, *, by: list[str]):
    """The RetentionRollup day rows of a scope (no week rows: a week may straddle two months),
    at the level that holds its filter and `by`: none, or one of unit, pathway and partner."""
    filtered = _wanted(scope)
    wanted = {name: name in by or filtered[name] for name in filtered}
    days = _days(scope, zone, weekly=False)
    return _at_level(RetentionRollup.objects.filter(days, agency_id=scope.agency_id), scope, wanted)


def totals_from_rollups(scope: Scope, zone) -> Totals:
    """totals_from_referrals() from the rollups."""
    sums = rollup_cells(scope, zone).aggregate(**{name: Sum(name) for name in COUNTS})
    return Totals(**{name: sums[name] or 0 for name in COUNTS})


def weekly_by_pathway_from_rollups(scope: Scope, zone) -> list[tuple[date, dict[str, int]]]:
    """weekly_by_pathway() from the rollups."""
    weeks: dict[date, dict[str, int]] = {}
    for day, pathway, n in (
        rollup_cells(scope, zone, by="pathway").values_list("day", "pathway").annotate(n=Sum("deflections")).order_by()
    ):
        if not n:
            continue  # a cell of referrals their officers cancelled only
        monday = day - timedelta(days=day.weekday())
        weeks.setdefault(monday, {})
        weeks[monday][pathway] = weeks[monday].get(pathway, 0) + n
    return [(monday, weeks.get(monday, {})) for monday in mondays(scope, zone)]


def partner_counts_from_rollups(scope: Scope, zone) -> dict[int, dict[str, int]]:
    """Per partner: referrals received, accepted and at intake, from the rollups."""
    rows = (
        rollup_cells(scope, zone, by="partner")
        .values("partner_id")
        .annotate(received=Sum("deflections"), accepted=Sum("accepted"), intake=Sum("intake"))
    )
    return {row["partner_id"]: row for row in rows.order_by()}


def monthly_savings_from_rollups(scope: Scope, zone) -> list[tuple[date, float]]:
    """monthly_savings() from the rollups."""
    agency = Agency.objects.get(pk=scope.agency_id)
    months: dict[date, list[int]] = {}
    for day, charged, minutes in (
        rollup_cells(scope, zone, weekly=False)
        .values_list("day")
        .annotate(c=Sum("charged"), m=Sum("charged_minutes"))
        .order_by()
    ):
        cell = months.setdefault(day.replace(day=1), [0, 0])
        cell[0] += charged
        cell[1] += minutes
    return [(month, (c * agency.booking_minutes - m) / 60) for month, (c, m) in sorted(months.items()) if c]


def midnight(day: date, zone) -> datetime:
    """The first moment of a day on the agency's calendar."""
    return datetime.combine(day, datetime.min.time(), tzinfo=zone)


def _whole_days(start: datetime, end: datetime, zone) -> tuple[date, date, list[tuple[datetime, datetime]]]:
    """Split [start, end) into the whole agency days inside it, [first, last), and the
    pieces of days at either end that the rollups cannot answer."""
    first = start.astimezone(zone).date()
    if midnight(first, zone) < start:
        first += timedelta(days=1)
    last = end.astimezone(zone).date()  # the day `end` falls in: not whole unless end is its midnight
    if last < first:  # a window shorter than a day
        return first, first, [(start, end)]
    pieces = []
    if start < midnight(first, zone):
        pieces.append((start, midnight(first, zone)))
    if midnight(last, zone) < end:
        pieces.append((midnight(last, zone), end))
    return first, last, pieces


def _officer_masks(agency_id: int, unit_id: int | None, first: date, last: date) -> dict[int, int]:
    """Per officer, the days in [first, last) they deflected on, as bits (bit 0: `first`),
    from OfficerMonth: a row per officer and month, however many officer-days."""
    rows = OfficerMonth.objects.filter(agency_id=agency_id, month__gte=first.replace(day=1), month__lt=last)
    if unit_id is not None:
        rows = rows.filter(officer__unit_id=unit_id)
    wanted = (1 << max(0, (last - first).days)) - 1
    masks: dict[int, int] = {}
    for officer, month, days in rows.values_list("officer_id", "month", "days").order_by():
        offset = (month - first).days
        bits = (days << offset if offset >= 0 else days >> -offset) & wanted
        if bits:
            masks[officer] = masks.get(officer, 0) | bits
    return masks


def _day_bits(first: date, since: date, until: date) -> int:
    """The bits of the days [since, until) in a mask whose bit 0 is `first`."""
    lo, hi = max(0, (since - first).days), max(0, (until - first).days)
    return ((1 << hi) - 1) & ~((1 << lo) - 1)


def officers_deflecting_from_rollups(*, agency_id: int, since: datetime, until: datetime, unit_id: int | None = None):
    """The officers with a deflection in [since, until): the whole days from the
    officer-months' day bits; the part days at either end from the referrals of the
    officers who deflected on those days and not on the whole ones (few, or none)."""
    zone = zone_of(agency_id)
    first, last, pieces = _whole_days(since, until, zone)
    piece_days = {start.astimezone(zone).date() for start, _end in pieces}
    low = min([first, *piece_days])
    masks = _officer_masks(agency_id, unit_id, low, max([last, *(d + timedelta(days=1) for d in piece_days)]))
    whole = _day_bits(low, first, last)
    officers = {officer for officer, bits in masks.items() if bits & whole}
    if pieces:
        on_piece_days = 0
        for day in piece_days:
            on_piece_days |= _day_bits(low, day, day + timedelta(days=1))
        candidates = sorted(o for o, bits in masks.items() if o not in officers and bits & on_piece_days)
        edges = Q()
        for start, end in pieces:
            edges |= Q(occurred_at__gte=start, occurred_at__lt=end)
        # One query whether or not there are candidates (an empty IN would be no query at
        # all), so that the page's queries do not vary with the data; officer 0 is none.
        qs = deflections_qs(Scope(agency_id, unit_id=unit_id)).filter(edges, officer_id__in=candidates or [0])
        officers.update(qs.values_list("officer_id", flat=True).distinct().order_by())
    return officers


def participation_from_rollups(*, agency_id: int, at: datetime, unit_id: int | None = None) -> Participation:
    """officer_participation() from the officer-months."""
    officers = officers_deflecting_from_rollups(
        agency_id=agency_id, since=at - PARTICIPATION_WINDOW, until=at, unit_id=unit_id
    )
    active = Officer.objects.filter(agency_id=agency_id, is_active=True)
    if unit_id is not None:
        active = active.filter(unit_id=unit_id)
    return Participation(participating=len(officers), active=active.count())


def weekly_participation_from_rollups(*, scope: Scope, tz) -> list[tuple[date, Participation]]:
    """weekly_participation() from the officer-months' day bits: the 30 days before the end
    of each week (up to the period's end), for each officer who deflected in them."""
    active = Officer.objects.filter(agency_id=scope.agency_id, is_active=True)
    if scope.unit_id is not None:
        active = active.filter(unit_id=scope.unit_id)
    n_active = active.count()
    since = (scope.start - PARTICIPATION_WINDOW).astimezone(tz).date()
    until = scope.end.astimezone(tz).date()
    masks = list(_officer_masks(scope.agency_id, scope.unit_id, since, until).values())
    result = []
    for monday in mondays(scope, tz):
        week_end = monday + timedelta(days=7)
        window = _day_bits(since, week_end - PARTICIPATION_WINDOW, min(week_end, until))
        participating = sum(1 for bits in masks if bits & window)
        result.append((monday, Participation(participating=participating, active=n_active)))
    return result


def facts(scope: Scope, zone):
    """The narrow per-referral facts of a scope of whole agency days (cancelled ones never
    have facts)."""
    rows = ReferralFact.objects.filter(
        agency_id=scope.agency_id,
        day__gte=scope.start.astimezone(zone).date(),
        day__lt=scope.end.astimezone(zone).date(),
    )
    return _narrowed(rows, scope).order_by()


def retention_from_rollups(scope: Scope, zone, *, now: datetime) -> dict[int, Retention]:
    """retention() for 30, 60 and 90 days: intakes of the days before the day each
    checkpoint's cut-off falls in from RetentionRollup, that day's to the minute from
    ReferralFact. A scope with two or more filters has no RetentionRollup level: it counts
    its facts."""
    cuts = {days: come_due_by(now, days) for days in RETENTION_DAYS}
    wanted = _wanted(scope)
    if all(wanted.values()):
        found = Counter()
    else:
        sums = {}
        for days, cut in cuts.items():
            whole_days = Q(intake_day__lt=cut.astimezone(zone).date())
            sums[f"due_{days}"] = Sum("intake", filter=whole_days)
            sums[f"retained_{days}"] = Sum(f"retained_{days}", filter=whole_days)
        rows = _at_level(RetentionRollup.objects.filter(_days(scope, zone), agency_id=scope.agency_id), scope, wanted)
        found = Counter({name: n or 0 for name, n in rows.aggregate(**sums).items()})
    edges, counts = Q(), {}
    for days, cut in cuts.items():
        # The facts still to count: all of them, or the cut-off's own day up to the minute.
        since = midnight(cut.astimezone(zone).date(), zone) if not all(wanted.values()) else None
        come_due = Q(intake_at__lte=cut) if since is None else Q(intake_at__gte=since, intake_at__lte=cut)
        edges |= come_due
        counts[f"due_{days}"] = Count("id", filter=come_due)
        counts[f"retained_{days}"] = Count("id", filter=come_due & Q(**{f"retained_{days}": True}))
    found.update(facts(scope, zone).filter(edges).aggregate(**counts))
    return {
        days: Retention(days=days, due=found[f"due_{days}"], retained=found[f"retained_{days}"])
        for days in RETENTION_DAYS
    }


class _PercentileDisc(Aggregate):
    """PostgreSQL's percentile_disc: the first value at or past a fraction of the rows."""

    template = "percentile_disc(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float) -> None:
        super().__init__(expression)
        self.extra["fraction"] = repr(float(fraction))


# Just past one half: for an even count, the upper of the two middle values.
_UPPER_MIDDLE = 0.5 + 1e-9


def _median(rows, field: str, *, by: str | None = None) -> dict:
    """The median of a column, per group (the group is None without `by`).

    On PostgreSQL the database picks the two middle values (percentile_disc) and Python
    averages them, exactly as statistics.median does: the figure equals the definition's
    to the last bit. Elsewhere (SQLite, the development default) the values come to Python.
    """
    rows = rows.filter(**{f"{field}__isnull": False})
    if connection.vendor == "postgresql":
        middle = {"low": _PercentileDisc(field, 0.5), "high": _PercentileDisc(field, _UPPER_MIDDLE)}
        if by is None:
            found = [(None, *rows.aggregate(**middle).values())]
        else:
            found = rows.values_list(by).annotate(**middle).values_list(by, "low", "high")
        return {group: (low + high) / 2 if low is not None else None for group, low, high in found}
    values: dict = {}
    for group, value in rows.values_list(by or "pk", field):
        values.setdefault(group if by else None, []).append(value)
    return {group: statistics.median(v) for group, v in values.items()}


def _middle_positions(n: int) -> tuple[int, int]:
    """The 0-based positions of the middle value(s) of n sorted values (equal when n is odd)."""
    return (n - 1) // 2, n // 2


def _median_from_histogram(
    scope: Scope, zone, measure: str, *, by: str | None = None, partners: list[int] | None = None
) -> dict:
    """The exact median of hours to intake or to accept (per partner with by="partner"), from
    HoursHistogram: sum the bins over the days to find the bin(s) of the middle value(s) and
    their place in them, then read the exact hours of only those bins from ReferralFact.
    Equal to statistics.median over every value (bins are ordered as their values are).
    Two queries whatever the data; a scope with more filters than a histogram level holds
    reads its facts. `partners`, with by="partner": every partner that had a deflection in
    the scope (the scorecard knows them), read as a list of equalities: `partner IS NOT NULL`
    would walk each partner's bins of every day on record, not the period's."""
    field, bin_field = f"hours_to_{measure}", f"{measure}_bin"
    wanted = _wanted(scope, by)
    if all(wanted.values()) or (measure == HoursHistogram.Measure.ACCEPT and by != "partner"):
        return _median(facts(scope, zone), field, by="partner_id" if by else None)
    group = "partner_id" if by == "partner" else None
    levels = _at_level(
        HoursHistogram.objects.filter(_days(scope, zone), agency_id=scope.agency_id, measure=measure), scope, wanted
    )
    if by == "partner" and scope.partner_id is None and partners is not None:
        levels = levels.filter(partner_id__in=partners)
    counts: dict = {}
    for *key, bin_, n in levels.values_list(*([group] if group else []), "bin").annotate(total=Sum("n")).order_by():
        counts.setdefault(key[0] if group else None, {})[bin_] = n
    # Per group: where each middle value is, as (bin, index within the bin).
    places: dict = {}
    for key, bins in counts.items():
        wanted_positions = _middle_positions(sum(bins.values()))
        found, seen = [], 0
        for bin_ in sorted(bins):
            for position in wanted_positions:
                if seen <= position < seen + bins[bin_]:
                    found.append((bin_, position - seen))
            seen += bins[bin_]
        places[key] = found
    if not places:
        return {}
    if connection.vendor == "postgresql":
        # One SELECT per bin holding middle values, put together by UNION ALL: the bin's
        # hours (an index range of their own) sorted in the database, the one or two at
        # the middle places kept (OFFSET, LIMIT): a row per middle value comes back, however
        # full the bin.
        wanted_places: dict = {}
        for key, found in places.items():
            for bin_, index in found:
                wanted_places.setdefault((key, bin_), set()).add(index)
        parts = [
            facts(scope, zone)
            .filter(**{bin_field: bin_, f"{field}__isnull": False}, **({group: key} if group else {}))
            .annotate(place=Value(min(indexes), output_field=IntegerField()))
            .values_list(*([group] if group else []), bin_field, "place", field)
            .order_by(field)[min(indexes) : max(indexes) + 1]
            for (key, bin_), indexes in wanted_places.items()
        ]
        found_values: dict = {}
        for *key, bin_, first, value in _union(parts):
            found_values.setdefault((key[0] if group else None, bin_, first), []).append(value)
        values = {}
        for (key, bin_, first), held in found_values.items():
            # Two adjacent places of one bin (the order of a UNION's rows is not promised):
            # the smaller value is at the first place.
            values.update({(key, bin_, first + i): value for i, value in enumerate(sorted(held))})
    else:
        # Elsewhere (SQLite: no ORDER BY or LIMIT in a compound's parts) the bins' hours.
        parts = [
            facts(scope, zone)
            .filter(**{bin_field: bin_}, **({group: key} if group else {}))
            .values_list(*([group] if group else []), bin_field, field)
            for key, found in places.items()
            for bin_ in sorted({bin_ for bin_, _i in found})
        ]
        held: dict = {}
        for *key, bin_, value in _union(parts):
            held.setdefault((key[0] if group else None, bin_), []).append(value)
        values = {}
        for (key, bin_), hours in held.items():
            hours.sort()
            values.update({(key, bin_, index): value for index, value in enumerate(hours)})
    medians = {}
    for key, ((low_bin, low), (high_bin, high)) in places.items():
        a, b = values[(key, low_bin, low)], values[(key, high_bin, high)]
        medians[key] = a if (low_bin, low) == (high_bin, high) else (a + b) / 2
    return medians


def _union(parts: list):
    # UNION ALL, each part an index range of its own (an OR of them reads the whole
    # period's facts, as the planner prefers at 1M).
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


def median_hours_to_intake_from_rollups(scope: Scope, zone) -> float | None:
    """median_hours_to_intake() from the rollups' histograms of hours."""
    return _median_from_histogram(scope, zone, "intake").get(None)


def partner_medians_from_rollups(scope: Scope, zone, *, partners: list[int] | None = None) -> dict[int, float]:
    """Median hours to accept per partner (`partners`: all that had a deflection in the scope)."""
    return _median_from_histogram(scope, zone, "accept", by="partner", partners=partners)


def partner_rejections_from_rollups(scope: Scope, zone) -> list[tuple[int, str, int]]:
    """Rejections per partner and reason, most first: from RejectionRollup (kept per partner
    alone), or the facts for a scope with a unit or pathway filter."""
    wanted = _wanted(scope, "partner")
    if all(wanted.values()):
        rows = facts(scope, zone).filter(reject_reason__isnull=False).values_list("partner_id", "reject_reason")
        return list(rows.annotate(n=Count("id")).order_by("-n", "reject_reason"))
    rows = _at_level(RejectionRollup.objects.filter(_days(scope, zone), agency_id=scope.agency_id), scope, wanted)
    return list(rows.values_list("partner_id", "reason").annotate(n=Sum("n")).order_by("-n", "reason"))


def partner_figures_from_rollups(scope: Scope, zone):
    """definitions.partner_figures() from the rollups."""
    totals = partner_counts_from_rollups(scope, zone)
    medians = partner_medians_from_rollups(scope, zone, partners=list(totals))
    return totals, medians, partner_rejections_from_rollups(scope, zone)
