"""The process evaluation's figures from the per-day rollups (FeedbackRollup, LogTimeHistogram),
equal to their definitions (process.py) on the same data: what the page reads at scale."""

from __future__ import annotations

from collections import Counter

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from reports.metrics.definitions import Scope
from reports.metrics.from_rollups import _at_level, _days, _wanted
from reports.metrics.process import EASES, OBSTACLES, FeedbackCounts, log_times_by, log_times_from_histogram
from reports.rollup_models import FeedbackRollup, LogTimeHistogram

FEEDBACK_COLUMNS = ("asked", *EASES, *(f"obstacle_{kind}" for kind in OBSTACLES))
# What a breakdown groups the rollup rows by.
_GROUPS = {"unit": "unit_key", "pathway": "pathway", "partner": "partner_id"}


def _counts(row: dict) -> FeedbackCounts:
    return FeedbackCounts(
        asked=row["asked"] or 0,
        **{ease: row[ease] or 0 for ease in EASES},
        obstacles={kind: row[f"obstacle_{kind}"] or 0 for kind in OBSTACLES},
    )


def feedback_from_rollups(scope: Scope, zone, *, by: str | None = None) -> dict:
    """feedback_by() from FeedbackRollup: the level that holds the scope's filters and the
    breakdown (the cells where that is two or more of unit, pathway and partner)."""
    level = _at_level(
        FeedbackRollup.objects.filter(_days(scope, zone, weekly=False), agency_id=scope.agency_id),
        scope,
        _wanted(scope, by if by in _GROUPS else None),
    )
    sums = {name: Sum(name) for name in FEEDBACK_COLUMNS}
    if by is None:
        row = level.aggregate(**sums)
        return {None: _counts(row)} if row["asked"] else {}
    if by == "month":
        level = level.annotate(month=TruncMonth("day"))
    group = _GROUPS.get(by, by)
    return {row[group]: _counts(row) for row in level.values(group).annotate(**sums).order_by() if row["asked"]}


def log_times_from_rollups(scope: Scope, zone, *, by: str | None = "month") -> dict:
    """log_times_by() from LogTimeHistogram; a scope with two or more filters has no level
    of its own there and reads the referrals (a supervisor's unit with a partner, say)."""
    wanted = _wanted(scope)
    if all(wanted.values()):
        return log_times_by(scope, by=by, tz=zone)
    level = _at_level(
        LogTimeHistogram.objects.filter(_days(scope, zone, weekly=False), agency_id=scope.agency_id), scope, wanted
    )
    histograms: dict = {}
    if by == "month":
        keyed = level.annotate(month=TruncMonth("day")).values_list("month", "seconds")
    else:
        keyed = level.values_list("seconds")
    for *key, seconds, n in keyed.annotate(total=Sum("n")).order_by():
        histograms.setdefault(key[0] if key else None, Counter())[seconds] += n
    return {key: log_times_from_histogram(histogram) for key, histogram in histograms.items()}
