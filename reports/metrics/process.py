"""The process evaluation's figures from the officers' feedback and the referrals themselves:
the oracle, as definitions.py is for the dashboard. The reads from the rollups
(process_from_rollups.py) give the same figures (tests/test_process_evaluation.py).

Definitions:
- Feedback asked: feedback rows on referrals logged in the period (cancelled ones included:
  a withdrawn referral still tells how logging it went), answered or skipped.
- Feedback answered: those with an answer to "compared with an arrest and booking"; a skip
  (no answer) counts as asked, not answered, and its obstacles are not counted.
- Ease versus arrest: of the answered feedback, the share that found it easier, about the
  same, or harder than an arrest and booking.
- Obstacles: answered feedback naming each thing that got in the way (several may apply).
- Time to log: from opening the log form to saving it (the app's seconds_to_log of each
  referral logged in the month, where it was measured), as the median and the 90th
  percentile (nearest rank), to the precision of log_time_bin.
- The floor: a cell (unit, pathway, partner, month) with fewer than FEEDBACK_FLOOR answers
  shows none of its figures (reports/process.py).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from buyin.models import FeedbackObstacle, OfficerFeedback
from reports.metrics.definitions import Scope, logged

FEEDBACK_FLOOR = 5
EASES = tuple(OfficerFeedback.Ease.values)
OBSTACLES = tuple(FeedbackObstacle.Kind.values)
# The groupings a page or the export asks for, and what they group by.
BREAKDOWNS = (None, "month", "unit", "pathway", "partner")
# (largest time in seconds, step): under five minutes to the 5 seconds, under half an hour
# to the half minute, under two hours to 5 minutes; two hours or more as two hours.
LOG_TIME_STEPS = ((300, 5), (1800, 30), (7200, 300))
LOG_TIME_CAP = 7200


def log_time_bin(seconds: int) -> int:
    """The time to log as reported: rounded to its step (LOG_TIME_STEPS), capped at two
    hours. Ordered as the seconds are, so the median and percentiles of the bins are those
    of the rounded times: the rollups keep the bins and give the same figures."""
    for below, step in LOG_TIME_STEPS:
        if seconds < below:
            return (seconds + step // 2) // step * step
    return LOG_TIME_CAP


@dataclass
class FeedbackCounts:
    """Feedback of one cell: asked (answered or skipped), each answer, each obstacle named."""

    asked: int = 0
    easier: int = 0
    same: int = 0
    harder: int = 0
    obstacles: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OBSTACLES, 0))

    @property
    def answered(self) -> int:
        return self.easier + self.same + self.harder

    def add(self, other: FeedbackCounts) -> None:
        """Add another cell's counts to these."""
        self.asked += other.asked
        for ease in EASES:
            setattr(self, ease, getattr(self, ease) + getattr(other, ease))
        for kind, n in other.obstacles.items():
            self.obstacles[kind] += n


@dataclass(frozen=True)
class LogTimes:
    """Times to log of one cell: how many were measured, their median and 90th percentile."""

    measured: int
    median: float | None
    p90: int | None


def _key(by: str | None, tz, occurred, unit_id, pathway, partner_id):
    if by == "month":
        return occurred.astimezone(tz).date().replace(day=1)
    return {None: None, "unit": unit_id or 0, "pathway": pathway, "partner": partner_id}[by]


ENCOUNTER = ("referral__occurred_at", "referral__officer__unit_id", "referral__pathway", "referral__partner_id")


def feedback_by(scope: Scope, *, by: str | None = None, tz=None) -> dict:
    """Feedback on the referrals logged in the scope, per month (agency time `tz`), unit
    (0: none), pathway or partner (`by`), or all together (key None)."""
    feedback = OfficerFeedback.objects.filter(referral__in=logged(scope).values("pk"))
    named: dict[int, list[str]] = {}
    for feedback_id, kind in FeedbackObstacle.objects.filter(feedback__in=feedback.values("pk")).values_list(
        "feedback_id", "kind"
    ):
        named.setdefault(feedback_id, []).append(kind)
    cells: dict = {}
    for pk, ease, *encounter in feedback.values_list("pk", "ease", *ENCOUNTER).order_by():
        cell = cells.setdefault(_key(by, tz, *encounter), FeedbackCounts())
        cell.asked += 1
        if ease:
            setattr(cell, ease, getattr(cell, ease) + 1)
            for kind in named.get(pk, []):
                cell.obstacles[kind] += 1
    return cells


def p90_position(n: int) -> int:
    """The 0-based position of the 90th percentile (nearest rank) of n sorted values."""
    return max(0, math.ceil(0.9 * n) - 1)


def log_times_by(scope: Scope, *, by: str | None = "month", tz=None) -> dict:
    """Times to log of the referrals logged in the scope, per month (agency time) or all
    together (key None), from each referral's rounded seconds (log_time_bin)."""
    values: dict = {}
    rows = logged(scope).filter(seconds_to_log__isnull=False)
    for seconds, occurred in rows.values_list("seconds_to_log", "occurred_at").order_by():
        values.setdefault(_key(by, tz, occurred, None, None, None), []).append(log_time_bin(seconds))
    result = {}
    for key, times in values.items():
        times.sort()
        result[key] = LogTimes(len(times), statistics.median(times), times[p90_position(len(times))])
    return result


def log_times_from_histogram(histogram: Counter) -> LogTimes:
    """LogTimes from a histogram {rounded seconds: how many}: the values at the middle
    position(s) and at the 90th percentile's, found by walking the bins in order."""
    n = sum(histogram.values())
    if not n:
        return LogTimes(0, None, None)
    wanted = {(n - 1) // 2, n // 2, p90_position(n)}
    found, seen = {}, 0
    for seconds in sorted(histogram):
        for position in wanted:
            if seen <= position < seen + histogram[seconds]:
                found[position] = seconds
        seen += histogram[seconds]
    return LogTimes(n, (found[(n - 1) // 2] + found[n // 2]) / 2, found[p90_position(n)])


# The definitions in words, for the export's codebook and the page's notes.
PROCESS_DEFINITIONS: list[tuple[str, str]] = [
    (
        _("Feedback asked"),
        _(
            "Officers' feedback after a deflection on the referrals logged in the period, answered or skipped "
            "(the question is optional and asked at most once a shift)."
        ),
    ),
    (
        _("Feedback answered"),
        _(
            "Feedback with an answer to 'compared with an arrest and booking, this was easier / about the same / "
            "harder'. A skip counts as asked, not answered."
        ),
    ),
    (
        _("Ease versus arrest"),
        _("Of the answered feedback, the share that found it easier, about the same, or harder."),
    ),
    (
        _("What got in the way"),
        _(
            "Answered feedback naming each obstacle (several may apply): no partner answered, partner slow to respond, "
            "no partner for this need, transport, client refused, the form, other."
        ),
    ),
    (
        _("Time to log"),
        _(
            "From opening the log form to saving it, measured by the app, per month: the median and the 90th "
            "percentile (nearest rank), under five minutes to the 5 seconds, under half an hour to the half minute, "
            "under two hours to 5 minutes, two hours or more as two hours; shown beside the agency's officer "
            "minutes for an arrest and booking. Only referrals whose time was measured count (a second encounter "
            "added to an open referral, an officer contact, is not in this figure); fewer than 5 in a month are not "
            "shown."
        ),
    ),
    (
        _("Fewer than 5"),
        _(
            "Officers' feedback is reported only in aggregate: a cell (a unit, pathway, partner or month) with fewer "
            "than 5 answers shows none of its figures, and where the cells hidden in a table hold fewer than 5 answers "
            "together, the smallest shown cells are hidden too, so that no cell can be worked out from the total. "
            "Outside the agency (the export) the floor is 11 and any count from 1 to 10 shows as <11."
        ),
    ),
]
