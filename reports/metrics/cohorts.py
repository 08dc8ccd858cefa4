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

And they are shown for months that have ended (`ended_months`): the month still running grows
every day, and today's page less yesterday's would be about the day's few clients.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, time, timedelta

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from reports.metrics import from_rollups
from reports.metrics.definitions import Scope, deflections_qs, months_before
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


def cohort_sizes(
    scope: Scope, *, zone: zoneinfo.ZoneInfo, by: Iterable[str] = (), rollups: bool = False
) -> dict[tuple, int]:
    """How many deflections each month of the scope (its first day, the agency's calendar)
    holds in each group by `by`, keyed (month, then the groups' unit id (0 for none), pathway
    or partner id); groups with none are left out. From the rollups' day rows where asked and
    they cover the scope (the same counts: tests/test_rollups.py), else from the referrals."""
    by = [name for name in DIMENSIONS if name in by]
    if rollups and from_rollups.rollups_cover(scope, zone):
        rows = from_rollups.rollup_days(scope, zone, by=by)
        columns = [ROLLUP_COLUMNS[name] for name in by]
        groups = rows.annotate(month=TruncMonth("day")).values("month", *columns).annotate(n=Sum("deflections"))
    else:
        months = deflections_qs(scope).annotate(month=TruncMonth("occurred_at", tzinfo=zone))
        columns = [DIMENSIONS[name] for name in by]
        groups = months.values("month", *columns).annotate(n=Count("id"))
    sizes = {}
    for row in groups.order_by().values_list("month", *columns, "n"):
        month, *keys, n = row
        if n:
            month = month.astimezone(zone).date() if isinstance(month, datetime) else month
            sizes[(month, *(0 if key is None else key for key in keys))] = n
    return sizes


def cohorts_large_enough(
    scope: Scope, *, zone: zoneinfo.ZoneInfo, by: Iterable[str] = (), rollups: bool = False
) -> bool:
    """Whether in every month of the scope each group of its deflections split by `by` holds
    none or at least COHORT_MIN."""
    return all(n >= COHORT_MIN for n in cohort_sizes(scope, zone=zone, by=by, rollups=rollups).values())


def treatment_shown(scope: Scope, *, zone: zoneinfo.ZoneInfo, rollups: bool = False) -> bool:
    """Whether a page of this period and filters may show treatment figures: every month of the
    agency, split every way the page is filtered, holds none or at least COHORT_MIN (so the
    page's own group, the groups beside it and any difference of two such pages are all big)."""
    whole_agency = Scope(scope.agency_id, scope.start, scope.end)
    return cohorts_large_enough(whole_agency, zone=zone, by=filtered_by(scope), rollups=rollups)


def breakdown_shown(scope: Scope, by: str, *, zone: zoneinfo.ZoneInfo, rollups: bool = False) -> bool:
    """Whether a page of this period and filters may break the partners' records down `by`
    (the scorecard by partner, the held charges by unit): checked over the whole agency, split
    by the page's filters and the breakdown together, so that the page less the same page
    filtered otherwise (or not at all) is no small group either."""
    whole_agency = Scope(scope.agency_id, scope.start, scope.end)
    dimensions = [*filtered_by(scope), by]
    return cohorts_large_enough(whole_agency, zone=zone, by=dimensions, rollups=rollups)


def last_whole_days(days: int, *, zone: zoneinfo.ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """The last `days` whole days up to the end of today, on the calendar of `zone`: the
    "last 30 days" of the command page and the program view alike."""
    today = now.astimezone(zone).date()
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)
    return end - timedelta(days=days), end


def running_month_start(now: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """Midnight of the first day of the month running at `now`, on the agency's calendar."""
    return datetime.combine(now.astimezone(zone).date().replace(day=1), time.min, tzinfo=zone)


def months_ended(agency_id: int, months: int, *, zone: zoneinfo.ZoneInfo, before: datetime) -> Scope:
    """The agency's last `months` whole months that had ended at `before`, on the calendar of
    `zone`: what a digest or a page of a set length counts the partners' records over."""
    end = running_month_start(before, zone)
    return Scope(agency_id, months_before(end, months), end)


def ended_months(scope: Scope, *, zone: zoneinfo.ZoneInfo, now: datetime) -> Scope | None:
    """The part of the scope whose months have ended: where a page shows the partners' records
    of a period that runs into the month still running, they stop at its start. None when no
    month of the scope has ended."""
    running = running_month_start(now, zone)
    if scope.end <= running:
        return scope
    if scope.start >= running:
        return None
    return replace(scope, end=running)
