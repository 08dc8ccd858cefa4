"""A program's agencies side by side, and the whole: the regional coordinators' view and the
program's weekly digest.

Every count here leaves its agency (a coordinator is not the agency's own staff), so each is
shown as for an audience outside it: 1 to 10 as "<11", whatever its kind. And each figure's
row (its agencies, then the program) is a table whose total may be shown exactly: its cells go
through `shown_row`: wherever an agency's "<11" could be worked out from the whole less the
others, the whole shows only the range the agencies' cells allow.
Rates are not shown: an exact rate of an exact count would tell the hidden one.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deflection import l10n
from deflection.models import Agency, Program, User
from deflection.permissions import in_program, may_see_program_view, scope_program_id
from reports import metrics
from reports.metrics.disclosure import SMALL, WITHHELD

OUTSIDE = metrics.Audience.OUTSIDE
POLICE, TREATMENT = metrics.Kind.POLICE_WORK, metrics.Kind.TREATMENT


@dataclass(frozen=True)
class ProgramFigure:
    """A figure counted for each agency of a program: its name in the metrics' Totals (or
    "officers"), the words, and its kind (disclosure.FIGURE_KINDS)."""

    key: str
    label: str
    kind: metrics.Kind


FIGURES = (
    ProgramFigure("deflections", _("Deflections"), POLICE),
    ProgramFigure("naloxone", _("Overdose reversals (naloxone)"), POLICE),
    ProgramFigure("charged", _("Charges deflected"), POLICE),
    ProgramFigure("officers", _("Officers who deflected"), POLICE),
    ProgramFigure("accepted", _("Accepted by a partner"), TREATMENT),
    ProgramFigure("intake", _("Reached intake"), TREATMENT),
    ProgramFigure("reengagements", _("Re-engagements"), TREATMENT),
)


# What the page and the digest say of their counts.
RULE_NOTE = _(
    "Every count here leaves its agency: 1 to 10 show as <11, and where an agency's count under 11 could be "
    "worked out from the whole program less the other agencies, the whole program shows as the range the "
    "agencies' counts allow (121–130). No client is named here."
)


@dataclass(frozen=True)
class Row:
    """One figure across the program: each agency's count as shown (agency name, count), then
    the whole's."""

    label: str
    cells: list[tuple[str, str]]
    whole: str


@dataclass(frozen=True)
class ProgramTable:
    """The program's agencies (the table's columns) and one row per figure."""

    program: Program
    agencies: list[Agency]
    rows: list[Row]
    start: datetime
    end: datetime
    # The months the partners' records cover (metrics.months_ended): a day of the first and the last.
    treated_first: date
    treated_last: date


def shown_row(parts: list[int], *, kind: metrics.Kind | str) -> tuple[list[str], str]:
    """One figure's agencies and whole, as anyone outside an agency sees them: every count from
    1 to 10 as "<11". Where the exact whole less the other agencies would give an agency's
    "<11" away, the whole is shown as the range the agencies' cells themselves allow ("121–130"),
    rather than withholding another agency's count: with two agencies that would be the big
    one, the figure the coordinator reads. A whole shown as "<11" tells nothing to subtract
    from, so each agency's count is then only shown_count's."""
    total = sum(parts)
    each = [metrics.shown_count(n, kind=kind, audience=OUTSIDE) for n in parts]
    whole = metrics.shown_count(total, kind=kind, audience=OUTSIDE)
    if whole == SMALL or WITHHELD not in metrics.shown_parts(parts, kind=kind, audience=OUTSIDE):
        return each, whole
    exact = sum(n for n, cell in zip(parts, each, strict=True) if cell != SMALL)
    small = each.count(SMALL)
    return each, f"{exact + small:,}–{exact + small * metrics.SMALL_CELL_MAX:,}"


def _counts(agency: Agency, start: datetime, end: datetime) -> dict[str, int]:
    """An agency's counts over [start, end): from the rollups where they are counted and
    cover the period's whole days, else from the referrals (the same figures either way)."""
    scope = metrics.Scope(agency.pk, start, end)
    zone = zoneinfo.ZoneInfo(agency.timezone)
    if metrics.counted_until(agency.pk) is not None and metrics.rollups_cover(scope, zone):
        totals = metrics.totals_from_rollups(scope, zone)
        officers = metrics.officers_deflecting_from_rollups(agency_id=agency.pk, since=start, until=end)
    else:
        totals = metrics.totals_from_referrals(scope)
        officers = metrics.officers_deflecting(agency_id=agency.pk, since=start, until=end)
    return {**{name: getattr(totals, name) for name in metrics.COUNTS}, "officers": len(officers)}


def program_table(*, program: Program, start: datetime, end: datetime, months: int, before: datetime) -> ProgramTable:
    """Every figure of every agency of the program, as shown outside them: police work over
    [start, end), the partners' records over the last `months` months that had ended at
    `before`, each agency's on its own calendar as its dashboard counts them (metrics.months_ended).
    An agency's partners' records are withheld where one of its months holds 1 to 10
    deflections, and the whole program's with them (it less the others would give them)."""
    agencies = list(program.agencies.order_by("name"))
    counts = [_counts(agency, start, end) for agency in agencies]
    windows = [
        metrics.months_ended(agency.pk, months, zone=zoneinfo.ZoneInfo(agency.timezone), before=before)
        for agency in agencies
    ]
    treated_counts = [_counts(agency, w.start, w.end) for agency, w in zip(agencies, windows, strict=True)]
    shown = [
        metrics.cohorts_large_enough(w, zone=zoneinfo.ZoneInfo(agency.timezone))
        for agency, w in zip(agencies, windows, strict=True)
    ]
    # The months named, on the program's calendar.
    last_end = metrics.running_month_start(before, program_zone(program))
    first = metrics.months_before(last_end, months)
    # The partners' records are of other months than the police work beside them: said in the row.
    months_said = l10n.month_span(first.date(), (last_end - timedelta(days=1)).date())
    rows = []
    for figure in FIGURES:
        label = str(figure.label)
        if figure.kind == TREATMENT:
            label = f"{label} ({months_said})"
            cells, whole = shown_row([c[figure.key] for c in treated_counts], kind=figure.kind)
            cells = [cell if ok else WITHHELD for cell, ok in zip(cells, shown, strict=True)]
            whole = whole if all(shown) else WITHHELD
        else:
            cells, whole = shown_row([c[figure.key] for c in counts], kind=figure.kind)
        named = [(agency.name, cell) for agency, cell in zip(agencies, cells, strict=True)]
        rows.append(Row(label=label, cells=named, whole=whole))
    return ProgramTable(
        program=program,
        agencies=agencies,
        rows=rows,
        start=start,
        end=end,
        treated_first=first.date(),
        treated_last=(last_end - timedelta(days=1)).date(),
    )


def program_zone(program: Program) -> zoneinfo.ZoneInfo:
    """The program's time zone, whose days and weeks its pages count in."""
    return zoneinfo.ZoneInfo(program.timezone)


def last_days(program: Program, days: int, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last `days` whole days up to the end of today, on the program's calendar."""
    return metrics.last_whole_days(days, zone=program_zone(program), now=now or timezone.now())


def week_bounds(program: Program, week_start: date) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 of the week, on the program's calendar."""
    start = datetime.combine(week_start, time.min, tzinfo=program_zone(program))
    return start, start + timedelta(days=7)


def programs_for_user(user: User):
    """The programs whose view the user may open: their own (a regional coordinator's or a
    program administrator's), every program for a superuser; none for anyone else."""
    if not may_see_program_view(user):
        return Program.objects.none()
    return in_program(Program.objects.all(), user).order_by("name")


def program_get_for_user(*, user: User, program_id: str | None) -> Program:
    """The program asked for (else the user's own, else the first they may see), or a 404
    for one that is not theirs (never 403: that would confirm it exists)."""
    programs = programs_for_user(user)
    if program_id:
        program = programs.filter(pk=program_id).first() if program_id.isdigit() else None
    else:
        program = programs.filter(pk=scope_program_id(user)).first() or programs.first()
    if program is None:
        raise Http404
    return program
