"""What the "Process evaluation" page and the export show of the officers' feedback and the
time to log: the metrics (reports/metrics/process.py) as tables, with the floor applied.

The floor: a cell (a month, unit, pathway or partner) with fewer than `floor` answers shows
none of its figures. A table's cells add up to its total, so hiding one cell alone would
give it away (the total less the cells shown): while the hidden cells hold fewer than
`floor` answers together, the smallest shown cells are hidden too (decided here once, for
the page and the export). A total under the floor hides the whole table.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buyin.models import FeedbackObstacle, OfficerFeedback
from deflection import l10n
from deflection.models import Agency, Unit
from partners.models import ServicePartner
from referrals.models import Pathway
from reports.metrics.definitions import Scope
from reports.metrics.disclosure import SMALL, SMALL_CELL_MAX, Audience, Kind, hides_small, is_small
from reports.metrics.from_rollups import rollups_cover
from reports.metrics.process import (
    EASES,
    FEEDBACK_FLOOR,
    OBSTACLES,
    FeedbackCounts,
    LogTimes,
    feedback_by,
    log_times_by,
)
from reports.metrics.process_from_rollups import feedback_from_rollups, log_times_from_rollups

# The floor of whatever leaves the agency: the stricter of the feedback floor (5) and the
# small-cell rule (1 to 10 as "<11").
OUTSIDE_FLOOR = max(FEEDBACK_FLOOR, SMALL_CELL_MAX + 1)


def hidden_cells(answered: list[int], *, floor: int) -> set[int]:
    """Which cells of a table to hide: those under the floor, then the smallest shown ones
    until the hidden hold at least `floor` answers together (or none at all), so that the
    total less the cells shown tells nothing of fewer than `floor` answers. A total under
    the floor hides every cell (the caller hides the total too)."""
    if sum(answered) < floor:
        return set(range(len(answered)))
    hidden = {i for i, n in enumerate(answered) if n < floor}
    shown = sorted((n, i) for i, n in enumerate(answered) if i not in hidden)
    while 0 < sum(answered[i] for i in hidden) < floor:
        hidden.add(shown.pop(0)[1])
    return hidden


@dataclass
class FeedbackRow:
    """One cell of a feedback table as shown: every figure a string, or all withheld."""

    key: object
    label: str
    shown: bool
    asked: object = ""
    answered: object = ""
    ease: list[tuple[object, str]] = field(default_factory=list)  # (count, share) per answer
    obstacles: list[object] = field(default_factory=list)
    counts: FeedbackCounts | None = None  # the figures behind it (a chart draws them only where shown)


def _count(n: int, *, outside: bool):
    """A count of the officers' own work (their answers, their times to log): exact (an int,
    for the export) inside the agency, 1 to 10 as "<11" where it leaves it (the one rule:
    reports.metrics.disclosure)."""
    audience = Audience.OUTSIDE if outside else Audience.AGENCY
    return SMALL if is_small(n) and hides_small(kind=Kind.POLICE_WORK, audience=audience) else n


def _share(n: int, of: int) -> str:
    return f"{100 * n / of:.0f}%" if of else "—"


WITHHELD = "withheld"


def _row(key, label: str, counts: FeedbackCounts, *, shown: bool, outside: bool) -> FeedbackRow:
    """A cell as shown. Withheld, on the page it says "fewer than 5" if it has fewer answers,
    else "withheld" (hidden so that a smaller one cannot be worked out); outside the agency
    it is "withheld" whatever the reason, and in a cell shown every count from 1 to 10 is
    "<11" and so is its share."""
    if not shown:
        under = counts.answered < FEEDBACK_FLOOR
        withheld = WITHHELD if outside else _("fewer than 5") if under else _("withheld")
        return FeedbackRow(
            key,
            label,
            False,
            withheld,
            withheld,
            [(withheld, withheld)] * len(EASES),
            [withheld] * len(OBSTACLES),
            counts,
        )

    def count(n: int):
        return _count(n, outside=outside)

    answered = counts.answered
    ease = []
    for name in EASES:
        n = getattr(counts, name)
        ease.append((count(n), SMALL if count(n) == SMALL else _share(n, answered)))
    return FeedbackRow(
        key,
        label,
        True,
        count(counts.asked),
        count(answered),
        ease,
        [count(counts.obstacles[kind]) for kind in OBSTACLES],
        counts,
    )


def feedback_table(
    cells: list[tuple[object, str, FeedbackCounts]], *, outside: bool = False
) -> tuple[list[FeedbackRow], FeedbackRow]:
    """The rows of a table (key, label, counts) and its total, with the floor applied."""
    floor = OUTSIDE_FLOOR if outside else FEEDBACK_FLOOR
    total = FeedbackCounts()
    for _key, _label, counts in cells:
        total.add(counts)
    hidden = hidden_cells([counts.answered for _k, _l, counts in cells], floor=floor)
    rows = [
        _row(key, label, counts, shown=i not in hidden, outside=outside) for i, (key, label, counts) in enumerate(cells)
    ]
    return rows, _row(None, _("All"), total, shown=total.answered >= floor, outside=outside)


def months_of(scope: Scope, zone) -> list[date]:
    """The first day of each month (agency time) the scope's period touches."""
    month = scope.start.astimezone(zone).date().replace(day=1)
    last = (scope.end - timedelta(microseconds=1)).astimezone(zone).date()
    months = []
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _labels(by: str, keys) -> dict:
    """What each key of a breakdown is called, in the order the tables list them."""
    if by == "unit":
        names = dict(Unit.objects.filter(pk__in=[k for k in keys if k]).order_by("name").values_list("pk", "name"))
        return {**names, **({0: _("No unit")} if 0 in keys else {})}
    if by == "partner":
        return dict(
            ServicePartner.objects.filter(pk__in=list(keys)).order_by("-is_24_7", "name").values_list("pk", "name")
        )
    return {value: str(label) for value, label in Pathway.choices if value in keys}


@dataclass(frozen=True)
class Figures:
    """The process evaluation's counts and times for one scope, before the floor."""

    months: list[date]
    by: dict[str, dict]  # breakdown ("month", "unit", "pathway", "partner") -> key -> FeedbackCounts
    log_times: dict  # month -> LogTimes


def figures(scope: Scope, *, agency: Agency, rollups: bool) -> Figures:
    """From the rollups where asked and they cover the scope, else from the definitions."""
    zone = zoneinfo.ZoneInfo(agency.timezone)
    if rollups and rollups_cover(scope):
        by = {b: feedback_from_rollups(scope, zone, by=b) for b in ("month", "unit", "pathway", "partner")}
        times = log_times_from_rollups(scope, zone)
    else:
        by = {b: feedback_by(scope, by=b, tz=zone) for b in ("month", "unit", "pathway", "partner")}
        times = log_times_by(scope, tz=zone)
    return Figures(months=months_of(scope, zone), by=by, log_times=times)


def tables(found: Figures, *, outside: bool = False) -> dict[str, tuple[list[FeedbackRow], FeedbackRow]]:
    """Each breakdown as a table with the floor applied; every month of the period is a row."""
    result = {
        "month": feedback_table(
            [(m, l10n.year_month(m), found.by["month"].get(m, FeedbackCounts())) for m in found.months], outside=outside
        )
    }
    for by in ("unit", "pathway", "partner"):
        cells = found.by[by]
        result[by] = feedback_table(
            [(key, label, cells[key]) for key, label in _labels(by, cells).items()], outside=outside
        )
    return result


def duration(seconds: float | None) -> str:
    """A time to log as people say it: 45 s, 1 min 35 s, 2 h."""
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def log_time_rows(found: Figures, *, outside: bool = False) -> list[tuple[date, object, LogTimes | None]]:
    """Per month: how many were measured, and the times where at least FEEDBACK_FLOOR were
    (they are officers' own times: a month of one would be one officer's)."""
    rows = []
    for month in found.months:
        times = found.log_times.get(month, LogTimes(0, None, None))
        measured = times.measured
        shown = _count(measured, outside=outside)
        floor = OUTSIDE_FLOOR if outside else FEEDBACK_FLOOR
        rows.append((month, shown, times if measured >= floor else None))
    return rows


def page(scope: Scope, *, agency: Agency, rollups: bool) -> dict:
    """The page's tables and chart data."""
    found = figures(scope, agency=agency, rollups=rollups)
    shown = tables(found)
    months, _total = shown["month"]
    times = log_time_rows(found)
    ease_names = [str(label) for _v, label in OfficerFeedback.Ease.choices]

    def share(row: FeedbackRow, ease: str):
        return (
            round(100 * getattr(row.counts, ease) / row.counts.answered) if row.shown and row.counts.answered else None
        )

    return {
        "tables": shown,
        "ease_names": ease_names,
        # The columns a withheld row spans: asked, answered and each answer; answered and each obstacle.
        "ease_span": 2 + len(EASES),
        "obstacle_span": 1 + len(OBSTACLES),
        "obstacle_names": [str(label) for _v, label in FeedbackObstacle.Kind.choices],
        "log_times": [
            (month, measured, duration(t.median) if t else None, duration(t.p90) if t else None)
            for month, measured, t in times
        ],
        "booking_minutes": agency.booking_minutes,
        "chart_data": {
            "ease": {
                "labels": [l10n.year_month(row.key) for row in months],
                "names": ease_names,
                "data": [[share(row, ease) for row in months] for ease in EASES],
            },
            "log_time": {
                "labels": [l10n.year_month(month) for month, _m, _t in times],
                "median": [round(t.median / 60, 2) if t else None for _m, _n, t in times],
                "p90": [round(t.p90 / 60, 2) if t else None for _m, _n, t in times],
                "booking": agency.booking_minutes,
                "names": [_("median (minutes)"), _("90th percentile (minutes)"), _("arrest and booking (minutes)")],
            },
        },
    }


# The process evaluation's export: one long table, a row per cell of each breakdown, the
# floor of whatever leaves the agency applied (OUTSIDE_FLOOR; counts 1 to 10 as "<11").
PROCESS_COLUMNS: list[tuple[str, str]] = [
    (
        "table",
        gettext_lazy(
            "What the row counts: feedback_total (every answer of the export's scope), feedback_by_month, "
            "feedback_by_unit, feedback_by_pathway, feedback_by_partner, log_time_by_month; suggestions_by_month, "
            "suggestions_total (exact counts of the agency's people's suggestions, naming no one), or pulse_trend "
            "(one row per wave and statement)."
        ),
    ),
    (
        "group",
        gettext_lazy("The month (YYYY-MM, agency time), unit, pathway or partner of the row; 'All' for the total."),
    ),
    ("asked", gettext_lazy("Feedback asked (answered or skipped) on the referrals logged in the row's cell.")),
    (
        "answered",
        gettext_lazy("Feedback with an answer (easier, about the same or harder than an arrest and booking)."),
    ),
    *[
        (ease, format_lazy(gettext_lazy("Answers '{label}'."), label=label))
        for ease, label in OfficerFeedback.Ease.choices
    ],
    *[
        (f"{ease}_share", format_lazy(gettext_lazy("Answers '{label}' over answered, in percent."), label=label))
        for ease, label in OfficerFeedback.Ease.choices
    ],
    *[
        (f"obstacle_{kind}", format_lazy(gettext_lazy("Answers naming '{label}' as what got in the way."), label=label))
        for kind, label in FeedbackObstacle.Kind.choices
    ],
    ("measured", gettext_lazy("log_time_by_month: referrals whose time to log the app measured.")),
    (
        "median_seconds",
        gettext_lazy("log_time_by_month: the median time to log, in seconds (rounded: see 'Time to log')."),
    ),
    (
        "p90_seconds",
        gettext_lazy("log_time_by_month: the 90th percentile (nearest rank) of the time to log, in seconds."),
    ),
    ("booking_minutes", gettext_lazy("log_time_by_month: the agency's officer minutes for an arrest and booking.")),
]
WITHHELD_NOTE = gettext_lazy(
    "Small cells: a count from 1 to 10 shows as <11, and so does its share. 'withheld': a cell with fewer than 11 "
    "answers (or a month with fewer than 11 times measured) shows no figure; nor do the smallest other cells of a "
    "table (or counts of a column) where the withheld ones would hold 1 to 10 together, so that nothing can be "
    "worked out from the total."
)


def _figures(counts: FeedbackCounts) -> list[int]:
    return [counts.asked, counts.answered, *(getattr(counts, e) for e in EASES), *counts.obstacles.values()]


def _outside(rows: list[FeedbackRow]) -> list[list]:
    """The counts of a table's rows as they leave the agency: in each column, while the counts
    not given exactly ("<11", withheld cells) hold 1 to 10 together, the smallest exact one is
    withheld too, so that the total less the exact ones tells no small count."""
    raw = [_figures(row.counts) for row in rows]
    out = [[row.asked, row.answered, *(n for n, _share in row.ease), *row.obstacles] for row in rows]
    for j in range(len(raw[0]) if raw else 0):
        exact = sorted((raw[i][j], i) for i in range(len(rows)) if isinstance(out[i][j], int))
        hidden = sum(raw[i][j] for i in range(len(rows)) if not isinstance(out[i][j], int))
        while 0 < hidden <= SMALL_CELL_MAX and exact:
            n, i = exact.pop(0)
            out[i][j] = WITHHELD
            hidden += n
    return out


def export_rows(scope: Scope, *, agency: Agency, rollups: bool):
    """The rows of the process evaluation's export (PROCESS_COLUMNS), the floor applied."""
    found = figures(scope, agency=agency, rollups=rollups)
    width = len(PROCESS_COLUMNS)

    def feedback(table: str, row: FeedbackRow, values: list) -> list:
        asked, answered, *rest = values
        ease, obstacles = rest[: len(EASES)], rest[len(EASES) :]
        shares = [share.rstrip("%") if isinstance(n, int) else n for n, (_n, share) in zip(ease, row.ease, strict=True)]
        group = f"{row.key:%Y-%m}" if table == "feedback_by_month" else row.label
        return [table, group, asked, answered, *ease, *shares, *obstacles] + [""] * 4

    shown = tables(found, outside=True)
    total = shown["month"][1]
    yield feedback("feedback_total", total, _outside([total])[0])
    for by, (rows, _total) in shown.items():
        for row, values in zip(rows, _outside(rows), strict=True):
            yield feedback(f"feedback_by_{by}", row, values)
    for month, measured, times in log_time_rows(found, outside=True):
        median = WITHHELD if times is None else f"{times.median:g}"
        p90 = WITHHELD if times is None else times.p90
        yield [
            "log_time_by_month",
            f"{month:%Y-%m}",
            *[""] * (width - 6),
            measured,
            median,
            p90,
            agency.booking_minutes,
        ]
