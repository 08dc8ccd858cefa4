"""The process evaluation's suggestions and pulse survey trend (reports/metrics/voice.py), as
the page shows them and as the export carries them beside the feedback's rows."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buyin.selectors.pulse import StatementTrend, pulse_trend
from deflection.models import Agency, User
from reports.metrics.definitions import Scope
from reports.metrics.disclosure import SMALL, is_small
from reports.metrics.voice import SuggestionCounts, suggestions_by_month
from reports.process import OUTSIDE_FLOOR, PROCESS_COLUMNS, WITHHELD, months_of


def _days(median: float | None) -> str:
    return "—" if median is None else f"{median:.1f}"


def suggestion_rows(scope: Scope, *, agency: Agency) -> tuple[list[tuple], tuple]:
    """Per month of the period (every month a row) and in all: (month or None, counts, median days)."""
    zone = zoneinfo.ZoneInfo(agency.timezone)
    found = suggestions_by_month(scope, tz=zone)
    total = SuggestionCounts()
    rows = []
    for month in months_of(scope, zone):
        counts = found.get(month, SuggestionCounts())
        total.add(counts)
        rows.append((month, counts, _days(counts.median_days)))
    return rows, (None, total, _days(total.median_days))


def trend_in(scope: Scope, *, user: User, agency: Agency, now: datetime | None = None) -> list[StatementTrend]:
    """The pulse trend (buyin.selectors.pulse.pulse_trend, the floor of 5 applied there) of the
    waves the user may see that closed in the scope's period."""
    now = min(now or timezone.now(), scope.end)
    lines = []
    for line in pulse_trend(user=user, agency_id=agency.pk, now=now):
        points = [point for point in line.points if point.closed_on >= scope.start]
        if points:
            lines.append(StatementTrend(statement=line.statement, points=points))
    return lines


def page(scope: Scope, *, user: User, agency: Agency) -> dict:
    """The two sections' context and the trend's chart data (a line per statement)."""
    rows, total = suggestion_rows(scope, agency=agency)
    trend = trend_in(scope, user=user, agency=agency)
    waves = sorted({(p.closed_on, p.survey_id, p.title) for line in trend for p in line.points})
    means = [{p.survey_id: p.mean for p in line.points} for line in trend]
    return {
        "suggestion_rows": rows,
        "suggestion_total": total,
        "pulse_trend": trend,
        "pulse_chart": {
            "labels": [title for _closed, _pk, title in waves],
            "names": [line.statement for line in trend],
            "data": [[float(m[pk]) if m.get(pk) is not None else None for _c, pk, _t in waves] for m in means],
        },
    }


# The export's columns for these rows, after the feedback's (reports.process.PROCESS_COLUMNS).
VOICE_COLUMNS: list[tuple[str, str]] = [
    ("suggestions_received", _("suggestions_by_month: suggestions sent in the month (see 'Suggestions received').")),
    ("suggestions_answered", _("suggestions_by_month: suggestions first answered in the month (moved out of 'new').")),
    ("suggestions_changed", _("suggestions_by_month: suggestions moved to 'changed' in the month.")),
    ("suggestions_not_now", _("suggestions_by_month: suggestions moved to 'not now' in the month.")),
    (
        "median_days_to_answer",
        _(
            "suggestions_by_month: the median days from sending to the first answer of the suggestions answered in "
            "the month, to one decimal; empty when none was."
        ),
    ),
    ("wave", _("pulse_trend: the pulse survey wave's title (its group column: the day it closed, YYYY-MM-DD).")),
    ("statement", _("pulse_trend: the statement, as the wave asked it.")),
    ("respondents", _("pulse_trend: how many answered the statement in the wave (1 to 10 as <11).")),
    (
        "mean_score",
        _(
            "pulse_trend: the mean score of the statement in the wave (1 strongly disagree to 5 strongly agree), to "
            "two decimals; 'withheld' under 11 answers."
        ),
    ),
]
EXPORT_COLUMNS = [*PROCESS_COLUMNS, *VOICE_COLUMNS]


def export_rows(scope: Scope, *, user: User, agency: Agency, feedback: Iterator[list]) -> Iterator[list]:
    """The feedback's rows (`feedback`, PROCESS_COLUMNS) widened to EXPORT_COLUMNS, then the
    suggestions per month and in all, then the pulse trend with the export's floor."""
    after = [""] * len(VOICE_COLUMNS)
    for row in feedback:
        yield [*row, *after]
    before = [""] * (len(PROCESS_COLUMNS) - 2)
    rows, total = suggestion_rows(scope, agency=agency)
    for month, counts, _median in [*rows, total]:
        median = counts.median_days
        yield [
            "suggestions_by_month" if month else "suggestions_total",
            f"{month:%Y-%m}" if month else "All",
            *before,
            counts.received,
            counts.answered,
            counts.changed,
            counts.not_now,
            "" if median is None else f"{median:.1f}",
            *[""] * 4,
        ]
    zone = zoneinfo.ZoneInfo(agency.timezone)
    for line in trend_in(scope, user=user, agency=agency):
        for point in line.points:
            n = SMALL if is_small(point.n) else point.n
            mean = point.mean if point.mean is not None and point.n >= OUTSIDE_FLOOR else WITHHELD
            yield [
                "pulse_trend",
                f"{point.closed_on.astimezone(zone):%Y-%m-%d}",
                *before,
                *[""] * 5,
                point.title,
                line.statement,
                n,
                mean,
            ]
