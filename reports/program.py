"""A program's agencies side by side, and the whole: the regional coordinators' view and the
program's monthly digest.

Every count here leaves its agency (a coordinator is not the agency's own staff), so each is
shown as for an audience outside it: 1 to 10 as "<11", whatever its kind, and none of them
may be worked out from others. So the program counts over whole months that have ended, never
a window moving a day at a time (today's "last 30 days" less yesterday's would be two days'
few deflections), and each agency's month is the cell everything is summed from: the agency's
figure over 1, 3 or 12 months, and the whole program's, are sums of the agencies' months,
each shown with `shown_sum`: exact where no month holds 1 to 10, else the range its months
allow. A sum less another then never gives a small month, however the periods, the agencies
and the months as they pass are set side by side.
Rates are not shown: an exact rate of an exact count would tell the hidden one.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time

from django.http import Http404
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
# The figures summed from each agency's months. The officers who deflected are people counted
# once over the period, not a sum of months: theirs is the one figure shown by shown_row (an
# officer who deflected in one period and not another tells nothing of any client).
SUMMED = tuple(figure.key for figure in FIGURES if figure.key != "officers")


# What the page and the digest say of their counts.
RULE_NOTE = _(
    "Every count here leaves its agency: 1 to 10 show as <11. Each agency's month is counted on its own: where "
    "one of the months summed holds 1 to 10, the sum shows as the range those months allow (121–130), so that no "
    "month, agency or period can be worked out from the others. No client is named here."
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
    """The program's agencies (the table's columns) and one row per figure, over whole months
    that have ended (a day of the first and of the last): the police work's, and the partners'
    records' (the same months on the page; three to the digest's one)."""

    program: Program
    agencies: list[Agency]
    rows: list[Row]
    first: date
    last: date
    treated_first: date
    treated_last: date

    @property
    def treated_apart(self) -> bool:
        """Whether the partners' records cover other months than the police work beside them."""
        return (self.first, self.last) != (self.treated_first, self.treated_last)


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


def summed_row(months: list[list[int]], *, kind: metrics.Kind | str) -> tuple[list[str], str]:
    """One figure's agencies and whole from each agency's months (a list of its months' counts
    for each agency): each a shown_sum of its months, the whole of all of them."""
    each = [metrics.shown_sum(counts, kind=kind, audience=OUTSIDE) for counts in months]
    whole = metrics.shown_sum([n for counts in months for n in counts], kind=kind, audience=OUTSIDE)
    return each, whole


def _months(agency: Agency, window: metrics.Scope, zone: zoneinfo.ZoneInfo) -> list[dict[str, int]]:
    """The SUMMED counts of each month of the window that holds a deflection, on the agency's
    calendar: from the rollups where they have counted the whole window (the same counts:
    tests/test_rollups.py), else from the referrals."""
    counted = metrics.counted_until(agency.pk)
    rollups = counted is not None and counted >= window.end
    return list(metrics.cohort_counts(window, zone=zone, names=SUMMED, rollups=rollups).values())


def _officers(agency: Agency, window: metrics.Scope, zone: zoneinfo.ZoneInfo) -> int:
    """How many of the agency's officers deflected in the window."""
    if metrics.counted_until(agency.pk) is not None and metrics.rollups_cover(window, zone):
        found = metrics.officers_deflecting_from_rollups(agency_id=agency.pk, since=window.start, until=window.end)
    else:
        found = metrics.officers_deflecting(agency_id=agency.pk, since=window.start, until=window.end)
    return len(found)


def last_month_ended(program: Program, now: datetime) -> date:
    """The first day of the last month that had ended at `now`, on the program's calendar."""
    return metrics.months_before(metrics.running_month_start(now, program_zone(program)), 1).date()


def _window(agency: Agency, zone: zoneinfo.ZoneInfo, *, last_month: date, months: int) -> metrics.Scope:
    """The agency's `months` calendar months up to `last_month`, from its own midnights, as its
    dashboard counts them."""
    end = datetime.combine(metrics.months_before(last_month, -1), time.min, tzinfo=zone)
    return metrics.Scope(agency.pk, metrics.months_before(end, months), end)


def program_table(*, program: Program, last_month: date, months: int, treated_months: int) -> ProgramTable:
    """Every figure of every agency of the program, as shown outside them: the police work over
    the `months` months up to `last_month` (its first day), the partners' records over the
    `treated_months` up to it, each agency's months on its own calendar. An agency's partners'
    records are withheld where one of its months is cut into parts of 1 to 10
    (metrics.cohorts_large_enough), and the whole program's with them (it less the others would
    give them)."""
    agencies = list(program.agencies.order_by("name"))
    zones = [zoneinfo.ZoneInfo(agency.timezone) for agency in agencies]
    police, treated, officers, shown = [], [], [], []
    for agency, zone in zip(agencies, zones, strict=True):
        window = _window(agency, zone, last_month=last_month, months=months)
        treated_window = _window(agency, zone, last_month=last_month, months=treated_months)
        police.append(_months(agency, window, zone))
        treated.append(police[-1] if treated_window == window else _months(agency, treated_window, zone))
        officers.append(_officers(agency, window, zone))
        shown.append(metrics.cohorts_large_enough(treated_window, zone=zone))
    first = metrics.months_before(last_month, months - 1)
    treated_first = metrics.months_before(last_month, treated_months - 1)
    # The partners' records of other months than the police work beside them say which.
    treated_said = f" ({l10n.month_span(treated_first, last_month)})" if treated_first != first else ""
    rows = []
    for figure in FIGURES:
        if figure.key == "officers":
            cells, whole = shown_row(officers, kind=figure.kind)
        elif figure.kind == TREATMENT:
            cells, whole = summed_row([[m[figure.key] for m in each] for each in treated], kind=figure.kind)
            cells = [cell if ok else WITHHELD for cell, ok in zip(cells, shown, strict=True)]
            whole = whole if all(shown) else WITHHELD
        else:
            cells, whole = summed_row([[m[figure.key] for m in each] for each in police], kind=figure.kind)
        named = [(agency.name, cell) for agency, cell in zip(agencies, cells, strict=True)]
        label = str(figure.label) + (treated_said if figure.kind == TREATMENT else "")
        rows.append(Row(label=label, cells=named, whole=whole))
    return ProgramTable(
        program=program,
        agencies=agencies,
        rows=rows,
        first=first,
        last=last_month,
        treated_first=treated_first,
        treated_last=last_month,
    )


def program_zone(program: Program) -> zoneinfo.ZoneInfo:
    """The program's time zone, whose days and weeks its pages count in."""
    return zoneinfo.ZoneInfo(program.timezone)


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
