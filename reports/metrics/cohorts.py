"""Whether a page may show figures from the partners' treatment records at all: only over groups
of deflections too big to point at anyone (DESIGN.md, "Small cells").

The agency's own police work is exact for its staff, small numbers included, so a page's
filters can narrow its deflections to one client the agency knows ("Logged 1" for one month,
one pathway and one partner). Whatever the partners recorded of that group is then that
client's: "<11" accepted is 1, "0" reached intake is no. And the same goes for the difference of
two pages: a period one month longer, or the agency less one unit. So treatment figures are
shown for a period and its filters only when every month of the period, split every way the
page is filtered (by unit, pathway or partner), holds no deflection or at least 11: then any
page, and any difference of two, is about at least 11 clients. A breakdown on the page (the
partner scorecard, the held charges per unit) is checked the same way by its own dimension.

Nor may a figure, a total less it, or a page less another give a count of 1 to 10 of the
partners' records themselves: "Logged 18, Accepted 15" says 3 were not accepted, and the
funnel of March to May less that of April to May is March's. So each such group is also cut
into what the figures shown make of it (funnel_parts: not accepted, accepted without intake,
with intake; charge_parts: the charges satisfied, not satisfied and pending), and every part
must hold none or at least 11. Every figure, and every sum or difference of figures of such
groups, is then a sum of such parts. The same goes for each group without its referrals that
have a consent to the agency: the agency's staff may read their outcomes one by one (the
export's rows, the officer's pages), and the group less them would be the others'.

And they are shown for months that are counted (`counted_months`): a month's deflections are
counted as the partners had recorded them by the first of the month after next (referrals.
models.count_day; Referral's counted_ fields), and never again. Read live, today's page less
yesterday's would be the day's few clients: an acceptance, or a decline on the day police
saw the referral close.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from referrals.consent_models import Consent
from referrals.models import COUNTED_AFTER_MONTHS, HeldCharge
from reports.metrics import from_rollups
from reports.metrics.definitions import (
    RETENTION_DAYS,
    STANDING,
    Scope,
    come_due_by,
    deflections_qs,
    engaged_at,
    months_before,
    referral_counts,
)
from reports.metrics.disclosure import SMALL_CELL_MAX

# The fewest deflections a group may hold for the partners' records of it to be shown.
COHORT_MIN = SMALL_CELL_MAX + 1
# The dimensions a dashboard filters and breaks down by, and where each is on a referral.
DIMENSIONS = {"unit": "officer__unit_id", "pathway": "pathway", "partner": "partner_id"}
# The same in the rollups' rows.
ROLLUP_COLUMNS = {"unit": "unit_key", "pathway": "pathway", "partner": "partner_id"}


def filtered_by(scope: Scope) -> list[str]:
    """The dimensions the scope narrows."""
    chosen = {"unit": scope.unit_id, "pathway": scope.pathway, "partner": scope.partner_id}
    return [name for name, value in chosen.items() if value]


# The counts of a group of deflections that the rules below cut it into parts by: Totals'
# own (definitions.referral_counts, the rollups' columns of the same names).
GROUP_COUNTS = ("deflections", "accepted", "intake", "charges_satisfied", "charges_not_satisfied", "charges_pending")


def _with_agency_consent(referrals: QuerySet, agency_id: int) -> QuerySet:
    """Those with a consent to the agency on file (in force or not): what they shared, the
    agency's staff may have read one by one (the export's rows, the officer's pages)."""
    return referrals.filter(pk__in=Consent.objects.filter(recipient_agency_id=agency_id).values("referral_id"))


def cohort_counts(
    scope: Scope,
    *,
    zone: zoneinfo.ZoneInfo,
    by: Iterable[str] = (),
    rollups: bool = False,
    consented_only: bool = False,
    names: Iterable[str] = GROUP_COUNTS,
) -> dict[tuple, dict[str, int]]:
    """`names` (GROUP_COUNTS unless asked: Totals' counts, "deflections" among them) of each
    month of the scope (its first day, the agency's calendar) in each group by `by`, keyed
    (month, then the groups' unit id (0 for none), pathway or partner id); groups with no
    deflection are left out. From the rollups' day rows where asked and they cover the scope
    (the same counts: tests/test_rollups.py), else from the referrals. `consented_only`: of the
    referrals with a consent to the agency alone."""
    by = [name for name in DIMENSIONS if name in by]
    names = list(names)
    if rollups and not consented_only and from_rollups.rollups_cover(scope, zone):
        rows = from_rollups.rollup_days(scope, zone, by=by).annotate(month=TruncMonth("day"))
        columns = [ROLLUP_COLUMNS[name] for name in by]
        counts = {name: Sum(name) for name in names}
    else:
        rows = deflections_qs(scope)
        if consented_only:
            rows = _with_agency_consent(rows, scope.agency_id)
        rows = rows.annotate(month=TruncMonth("occurred_at", tzinfo=zone))
        columns = [DIMENSIONS[name] for name in by]
        counts = {name: aggregate for name, aggregate in referral_counts().items() if name in names}
    cells = _month_cells(rows, columns, counts, zone=zone)
    return {key: cell for key, cell in cells.items() if cell["deflections"]}


def cohort_sizes(
    scope: Scope, *, zone: zoneinfo.ZoneInfo, by: Iterable[str] = (), rollups: bool = False
) -> dict[tuple, int]:
    """How many deflections each month of the scope holds in each group by `by` (keyed as
    cohort_counts)."""
    return {key: cell["deflections"] for key, cell in cohort_counts(scope, zone=zone, by=by, rollups=rollups).items()}


def funnel_parts(cell: dict[str, int]) -> tuple[int, ...]:
    """What the funnel cuts a group into: its deflections (the agency's own count, exact), and
    of them those not accepted, accepted without intake, and with intake. Each of the partners'
    figures (accepted, intake, the engagement rate, the scorecard, the status of the referrals)
    is a sum of these, and so is any total less them."""
    deflections, accepted, intake = cell["deflections"], cell["accepted"], cell["intake"]
    return (deflections, deflections - accepted, accepted - intake, intake)


def charge_parts(cell: dict[str, int]) -> tuple[int, ...]:
    """What the held charges cut a group into: its deflections, and of its charges held those
    satisfied, not satisfied and pending (withdrawn ones are not counted)."""
    return (cell["deflections"], cell["charges_satisfied"], cell["charges_not_satisfied"], cell["charges_pending"])


Parts = Callable[[dict[str, int]], tuple[int, ...]]


def _big_enough(n: int) -> bool:
    return n == 0 or n >= COHORT_MIN


def _parts_big_enough(cells: dict[tuple, dict[str, int]], known: dict[tuple, dict[str, int]], parts: Parts) -> bool:
    """Whether every cell is cut into parts of none or at least COHORT_MIN, and so is what is
    left of it without its referrals with a consent to the agency (`known`, keyed alike): the
    agency's staff may read those one by one, and the cell less them would be the others'."""
    return not _months_too_small(cells, known, parts)


def _months_too_small(
    cells: dict[tuple, dict[str, int]], known: dict[tuple, dict[str, int]], parts: Parts
) -> list[date]:
    """The months (first days) of the cells that are not (_parts_big_enough), in order."""
    months = set()
    for key, cell in cells.items():
        rest = {name: n - known.get(key, {}).get(name, 0) for name, n in cell.items()}
        if not all(_big_enough(n) for n in (*parts(cell), *parts(rest))):
            months.add(key[0])
    return sorted(months)


def cohorts_large_enough(
    scope: Scope,
    *,
    zone: zoneinfo.ZoneInfo,
    by: Iterable[str] = (),
    rollups: bool = False,
) -> bool:
    """Whether in every month of the scope each group of its deflections split by `by` is cut
    into funnel_parts of none or at least COHORT_MIN. Then a figure shown is a sum of such
    parts, and so is any figure less another (a total less what it is made of, a longer period
    less a shorter one, the agency less a unit, pathway or partner): none is about 1 to 10
    clients."""
    cells = cohort_counts(scope, zone=zone, by=by, rollups=rollups)
    known = cohort_counts(scope, zone=zone, by=by, consented_only=True)
    return funnel_large_enough(cells, known)


def funnel_large_enough(cells: dict[tuple, dict[str, int]], known: dict[tuple, dict[str, int]]) -> bool:
    """cohorts_large_enough of cells already counted (cohort_counts with GROUP_COUNTS among
    their names), and `known`, the same of the referrals with a consent to the agency."""
    return _parts_big_enough(cells, known, funnel_parts)


def treatment_shown(scope: Scope, *, zone: zoneinfo.ZoneInfo, rollups: bool = False) -> bool:
    """Whether a page of this period and filters may show treatment figures: every month of the
    agency, split every way the page is filtered, cut into funnel_parts of none or at least
    COHORT_MIN (so the page's own group, the groups beside it and any difference of two such
    pages are all big)."""
    return not treatment_withheld_months(scope, zone=zone, rollups=rollups)


def treatment_withheld_months(scope: Scope, *, zone: zoneinfo.ZoneInfo, rollups: bool = False) -> list[date]:
    """The months that keep a page of this period and filters from showing treatment figures
    (treatment_shown: none when it may), for the page to name: any period holding one of them
    is withheld, so the reader knows which months to leave out. Each month alone tells as much."""
    whole_agency = Scope(scope.agency_id, scope.start, scope.end)
    by = filtered_by(scope)
    cells = cohort_counts(whole_agency, zone=zone, by=by, rollups=rollups)
    known = cohort_counts(whole_agency, zone=zone, by=by, consented_only=True)
    return _months_too_small(cells, known, funnel_parts)


def breakdown_shown(scope: Scope, by: str, *, zone: zoneinfo.ZoneInfo, rollups: bool = False) -> bool:
    """Whether a page of this period and filters may break the partners' records down `by`
    (the scorecard by partner, the held charges by unit): checked over the whole agency, split
    by the page's filters and the breakdown together, so that the page less the same page
    filtered otherwise (or not at all) is no small group either."""
    return not breakdown_withheld_months(scope, by, zone=zone, rollups=rollups)


def breakdown_withheld_months(scope: Scope, by: str, *, zone: zoneinfo.ZoneInfo, rollups: bool = False) -> list[date]:
    """The months that keep the breakdown `by` from being shown (breakdown_shown), for the page
    to name, as treatment_withheld_months."""
    whole_agency = Scope(scope.agency_id, scope.start, scope.end)
    dimensions = [*filtered_by(scope), by]
    cells = cohort_counts(whole_agency, zone=zone, by=dimensions, rollups=rollups)
    known = cohort_counts(whole_agency, zone=zone, by=dimensions, consented_only=True)
    return _months_too_small(cells, known, funnel_parts)


def charges_shown(scope: Scope, *, zone: zoneinfo.ZoneInfo, rollups: bool = False) -> tuple[bool, bool]:
    """Whether a page of this period and filters may show its held charges (charge_parts): in
    all and per month, and per unit. One read of the agency's months by the page's filters and
    the unit, summed over the units for the first."""
    whole_agency = Scope(scope.agency_id, scope.start, scope.end)
    by = [*filtered_by(scope), "unit"]
    by_unit = cohort_counts(whole_agency, zone=zone, by=by, rollups=rollups)
    known = cohort_counts(whole_agency, zone=zone, by=by, consented_only=True)
    units = _parts_big_enough(by_unit, known, charge_parts)
    whole = _parts_big_enough(_without_unit(by_unit), _without_unit(known), charge_parts)
    return whole, whole and units


def charges_counted(scope: Scope, *, zone: zoneinfo.ZoneInfo, now: datetime) -> bool:
    """Whether every charge held on the scope's deflections is counted at `now`: the count day
    of its deadline's end (referrals.models.count_day) has come. Until then a charge may still
    be decided, and the table would move on a day police know (they set the deadline)."""
    # count_day(end of the deadline day) > now  <=>  that end falls on or after the first of
    # last month  <=>  the deadline is on or after the day before it.
    first_not_counted = (records_counted_until(now, zone) - timedelta(days=1)).date()
    held = HeldCharge.objects.filter(referral__in=deflections_qs(scope).values("pk"))
    return not held.filter(deadline__gte=first_not_counted).exists()


def _without_unit(cells: dict[tuple, dict[str, int]]) -> dict[tuple, dict[str, int]]:
    """Cells keyed with the unit summed over the units (the unit is a key's first group, after
    the month: DIMENSIONS' order)."""
    summed: dict[tuple, dict[str, int]] = {}
    for (month, _unit, *groups), cell in cells.items():
        into = summed.setdefault((month, *groups), dict.fromkeys(GROUP_COUNTS, 0))
        for name, n in cell.items():
            into[name] += n
    return summed


def retention_counts(
    scope: Scope,
    *,
    zone: zoneinfo.ZoneInfo,
    now: datetime,
    by: Iterable[str] = (),
    rollups: bool = False,
    consented_only: bool = False,
) -> dict[tuple, dict[str, int]]:
    """Of each month's deflections with intake, in each group by `by` (keyed as cohort_counts):
    how many (`intake`), and at each checkpoint how many had come due by `now` (`due_30`...)
    and were still engaged (`retained_30`...), as retention() counts them. From the rollups
    where asked and they cover the scope (RetentionRollup's levels; for two groups or more,
    the per-referral facts), else from the referrals (`consented_only`: of those with a
    consent to the agency alone)."""
    by = [name for name in DIMENSIONS if name in by]
    cuts = {days: come_due_by(now, days) for days in RETENTION_DAYS}
    covered = rollups and not consented_only and from_rollups.rollups_cover(scope, zone)
    if covered and len({*by, *filtered_by(scope)}) <= 1:
        return _retention_from_rollups(scope, zone=zone, cuts=cuts, by=by)
    if covered:
        rows = from_rollups.facts(scope, zone).filter(intake_at__isnull=False)
        columns = [ROLLUP_COLUMNS[name] for name in by]
        month = TruncMonth("day")
        engaged = {days: Q(**{f"retained_{days}": True}) for days in RETENTION_DAYS}
    else:
        checks = {f"engaged_{days}": engaged_at(days) for days in RETENTION_DAYS}
        rows = deflections_qs(scope).filter(counted_intake_at__isnull=False).alias(**checks)
        if consented_only:
            rows = _with_agency_consent(rows, scope.agency_id)
        columns = [DIMENSIONS[name] for name in by]
        month = TruncMonth("occurred_at", tzinfo=zone)
        engaged = {days: Q(**{f"engaged_{days}": True}) for days in RETENTION_DAYS}
    counts = {"intake": Count("id")}
    # The facts keep the counted intake under its own name.
    intake_at = "intake_at" if covered else "counted_intake_at"
    for days, cut in cuts.items():
        come_due = Q(**{f"{intake_at}__lte": cut})
        counts[f"due_{days}"] = Count("id", filter=come_due)
        counts[f"retained_{days}"] = Count("id", filter=come_due & engaged[days])
    return _month_cells(rows.annotate(month=month), columns, counts, zone=zone)


def _month_cells(
    rows: QuerySet, columns: list[str], counts: dict, *, zone: zoneinfo.ZoneInfo
) -> dict[tuple, dict[str, int]]:
    """`counts` of rows annotated with their `month`, per month and `columns`: cells keyed
    (month's first day, then the columns' values, 0 for none), as every check here reads them."""
    named = {f"n_{name}": aggregate for name, aggregate in counts.items()}
    groups = rows.values("month", *columns).annotate(**named).order_by()
    cells = {}
    for row in groups.values_list("month", *columns, *named):
        month, keys, found = row[0], row[1 : 1 + len(columns)], row[1 + len(columns) :]
        if isinstance(month, datetime):
            month = month.astimezone(zone).date()
        cells[(month, *(0 if key is None else key for key in keys))] = {
            name: n or 0 for name, n in zip(counts, found, strict=True)
        }
    return cells


def _retention_from_rollups(
    scope: Scope, *, zone: zoneinfo.ZoneInfo, cuts: dict[int, datetime], by: list[str]
) -> dict[tuple, dict[str, int]]:
    """retention_counts from the rollups, as retention_from_rollups counts the whole: the
    intakes of the days before the day each checkpoint's cut-off falls in from RetentionRollup,
    that day's own to the minute from the facts."""
    columns = [ROLLUP_COLUMNS[name] for name in by]
    sums = {"intake": Sum("intake")}
    edges, edge_counts = Q(), {}
    for days, cut in cuts.items():
        day = cut.astimezone(zone).date()
        sums[f"due_{days}"] = Sum("intake", filter=Q(intake_day__lt=day))
        sums[f"retained_{days}"] = Sum(f"retained_{days}", filter=Q(intake_day__lt=day))
        on_the_day = Q(intake_at__gte=from_rollups.midnight(day, zone), intake_at__lte=cut)
        edges |= on_the_day
        edge_counts[f"due_{days}"] = Count("id", filter=on_the_day)
        edge_counts[f"retained_{days}"] = Count("id", filter=on_the_day & Q(**{f"retained_{days}": True}))
    rows = from_rollups.retention_days(scope, zone, by=by).annotate(month=TruncMonth("day"))
    cells = _month_cells(rows, columns, sums, zone=zone)
    facts = from_rollups.facts(scope, zone).filter(edges).annotate(month=TruncMonth("day"))
    for key, found in _month_cells(facts, columns, edge_counts, zone=zone).items():
        cell = cells.setdefault(key, {name: 0 for name in sums})
        for name, n in found.items():
            cell[name] += n
    return cells


def retention_parts(cell: dict[str, int]) -> tuple[int, ...]:
    """What retention cuts a group's intakes into at each checkpoint: still engaged, come due
    but not engaged, not yet due. Its figures (retained, "of so many due", the rate) and the
    intakes beside them are sums of these."""
    parts: list[int] = []
    for days in RETENTION_DAYS:
        due, retained = cell[f"due_{days}"], cell[f"retained_{days}"]
        parts += [retained, due - retained, cell["intake"] - due]
    return tuple(parts)


def retention_shown(scope: Scope, *, zone: zoneinfo.ZoneInfo, now: datetime, rollups: bool = False) -> bool:
    """Whether a page of this period and filters may show retention as of `now`: every month of
    the agency, split every way the page is filtered, cut into retention_parts of none or at
    least COHORT_MIN."""
    return not retention_withheld_months(scope, zone=zone, now=now, rollups=rollups)


def retention_withheld_months(
    scope: Scope, *, zone: zoneinfo.ZoneInfo, now: datetime, rollups: bool = False
) -> list[date]:
    """The months that keep retention from being shown (retention_shown), for the page to name,
    as treatment_withheld_months."""
    whole_agency = Scope(scope.agency_id, scope.start, scope.end)
    by = filtered_by(scope)
    cells = retention_counts(whole_agency, zone=zone, now=now, by=by, rollups=rollups)
    known = retention_counts(whole_agency, zone=zone, now=now, by=by, consented_only=True)
    return _months_too_small(cells, known, retention_parts)


def standing_shown(scope: Scope, *, zone: zoneinfo.ZoneInfo) -> bool:
    """Whether the command page may say where the referrals of these months stand (a count per
    status) beside the dashboard's funnel of the same months: every month of the agency cut by
    status and by the funnel's steps (not accepted, accepted without intake, with intake: a
    referral closed may be any of the three) into parts of none or at least COHORT_MIN. Then
    no status less a step of the funnel ("Logged" less "Accepted" less "Sent to partner" is
    those declined) is about 1 to 10 clients."""
    whole_agency = Scope(scope.agency_id, scope.start, scope.end)
    counts = {
        "deflections": Count("id"),
        "accepted": Count("id", filter=Q(counted_accepted_at__isnull=False)),
        "intake": Count("id", filter=Q(counted_intake_at__isnull=False)),
    }
    referrals = deflections_qs(whole_agency)

    def steps(referrals: QuerySet) -> dict[tuple, dict[str, int]]:
        months = referrals.annotate(month=TruncMonth("occurred_at", tzinfo=zone), standing=STANDING)
        return _month_cells(months, ["standing"], counts, zone=zone)

    return _parts_big_enough(steps(referrals), steps(_with_agency_consent(referrals, scope.agency_id)), funnel_parts)


def last_whole_days(days: int, *, zone: zoneinfo.ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """The last `days` whole days up to the end of today, on the calendar of `zone`: the
    "last 30 days" of the command page."""
    today = now.astimezone(zone).date()
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)
    return end - timedelta(days=days), end


def running_month_start(now: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """Midnight of the first day of the month running at `now`, on the agency's calendar."""
    return datetime.combine(now.astimezone(zone).date().replace(day=1), time.min, tzinfo=zone)


def months_ended(agency_id: int, months: int, *, zone: zoneinfo.ZoneInfo, before: datetime) -> Scope:
    """The agency's last `months` whole months that had ended at `before`, on the calendar of
    `zone`."""
    end = running_month_start(before, zone)
    return Scope(agency_id, months_before(end, months), end)


def records_counted_until(now: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """Midnight starting the first month whose deflections are not counted yet at `now` (their
    count day, referrals.models.count_day, still to come): last month's, and this month's."""
    return months_before(running_month_start(now, zone), COUNTED_AFTER_MONTHS - 1)


def months_counted(agency_id: int, months: int, *, zone: zoneinfo.ZoneInfo, before: datetime) -> Scope:
    """The agency's last `months` whole months counted at `before` (records_counted_until), on the
    calendar of `zone`: what a digest or a page of a set length counts the partners' records over."""
    end = records_counted_until(before, zone)
    return Scope(agency_id, months_before(end, months), end)


def counted_months(scope: Scope, *, zone: zoneinfo.ZoneInfo, now: datetime) -> Scope | None:
    """The part of the scope whose months are counted (records_counted_until): where a page shows the
    partners' records of a period that runs into the months still being recorded, they stop
    at the first of those. None when no month of the scope is counted yet."""
    end = records_counted_until(now, zone)
    if scope.end <= end:
        return scope
    if scope.start >= end:
        return None
    return replace(scope, end=end)
