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

And a month is counted once, when the program publishes it (PublishedMonth: with its digest,
the first Monday after it): read live, last month's figures would grow as partners and
officers record late, and today's less yesterday's would be one client's acceptance.
Rates are not shown: an exact rate of an exact count would tell the hidden one.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deflection import l10n
from deflection.models import Agency, Program, User
from deflection.permissions import in_program, may_see_program_view, scope_program_id
from reports import metrics
from reports.metrics.disclosure import SMALL, WITHHELD
from reports.models import PublishedMonth

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


# The periods the view offers: so many whole months up to the last published.
PERIODS = {"1": 1, "3": 3, "12": 12}

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


def _window(agency: Agency, zone: zoneinfo.ZoneInfo, *, last_month: date, months: int) -> metrics.Scope:
    """The agency's `months` calendar months up to `last_month`, from its own midnights, as its
    dashboard counts them."""
    end = datetime.combine(metrics.months_before(last_month, -1), time.min, tzinfo=zone)
    return metrics.Scope(agency.pk, metrics.months_before(end, months), end)


def _month_published(agency: Agency, month: date, now: datetime) -> PublishedMonth:
    """The agency's figures of one month, counted now: from the rollups where they have counted
    the whole month (the same counts: tests/test_rollups.py), else from the referrals."""
    zone = zoneinfo.ZoneInfo(agency.timezone)
    window = _window(agency, zone, last_month=month, months=1)
    counted = metrics.counted_until(agency.pk)
    rollups = counted is not None and counted >= window.end
    cells = list(metrics.cohort_counts(window, zone=zone, names=SUMMED, rollups=rollups).values())
    if rollups and metrics.rollups_cover(window, zone):
        officers = metrics.officers_deflecting_from_rollups(agency_id=agency.pk, since=window.start, until=window.end)
    else:
        officers = metrics.officers_deflecting(agency_id=agency.pk, since=window.start, until=window.end)
    return PublishedMonth(
        agency=agency,
        month=month,
        counts={name: cells[0][name] if cells else 0 for name in SUMMED},
        officers=sorted(officers),
        treatment_shown=metrics.cohorts_large_enough(window, zone=zone),
        published_at=now,
    )


def months_publish(program: Program, *, through: date, now: datetime | None = None) -> int:
    """Publish every agency's months up to `through` (its first day), as far back as the
    program's longest period, that are not published yet (an agency that joined the program
    gets its past months at once). Once: a second run, or one beside it, adds nothing.
    Returns how many were published."""
    now = now or timezone.now()
    months = [metrics.months_before(through, n) for n in range(max(PERIODS.values()))]
    found = []
    for agency in program.agencies.all():
        have = set(PublishedMonth.objects.filter(agency=agency, month__in=months).values_list("month", flat=True))
        found += [_month_published(agency, month, now) for month in months if month not in have]
    PublishedMonth.objects.bulk_create(found, ignore_conflicts=True)
    return len(found)


def last_month_published(program: Program) -> date | None:
    """The program's latest month published, if any."""
    return PublishedMonth.objects.filter(agency__program=program).aggregate(last=Max("month"))["last"]


def program_table(*, program: Program, last_month: date, months: int, treated_months: int) -> ProgramTable:
    """Every figure of every agency of the program as published (PublishedMonth) and shown
    outside them: the police work over the `months` months up to `last_month` (its first day),
    the partners' records over the `treated_months` up to it. An agency's partners' records are
    withheld where one of its months is cut into parts of 1 to 10
    (metrics.cohorts_large_enough), and the whole program's with them (it less the others would
    give them); an agency with a month not published (it joined the program since) is withheld
    whole until it is."""
    agencies = list(program.agencies.order_by("name"))
    first = metrics.months_before(last_month, months - 1)
    treated_first = metrics.months_before(last_month, treated_months - 1)
    police_months = [metrics.months_before(last_month, n) for n in range(months)]
    treated_list = [metrics.months_before(last_month, n) for n in range(treated_months)]
    published = {
        (row.agency_id, row.month): row
        for row in PublishedMonth.objects.filter(agency__in=agencies, month__gte=min(first, treated_first))
        .filter(month__lte=last_month)
        .only("agency_id", "month", "counts", "officers", "treatment_shown")
    }
    police, treated, officers, complete, shown = [], [], [], [], []
    for agency in agencies:
        rows = [published.get((agency.pk, month)) for month in police_months]
        treated_rows = [published.get((agency.pk, month)) for month in treated_list]
        complete.append(None not in rows and None not in treated_rows)
        police.append([row.counts for row in rows if row])
        treated.append([row.counts for row in treated_rows if row])
        officers.append(len({officer for row in rows if row for officer in row.officers}))
        shown.append(all(row and row.treatment_shown for row in treated_rows))
    # The partners' records of other months than the police work beside them say which.
    treated_said = f" ({l10n.month_span(treated_first, last_month)})" if treated_first != first else ""
    rows = []
    for figure in FIGURES:
        if figure.key == "officers":
            cells, whole = shown_row(officers, kind=figure.kind)
        elif figure.kind == TREATMENT:
            counts = [[month.get(figure.key, 0) for month in each] for each in treated]
            cells, whole = summed_row(counts, kind=figure.kind)
            cells = [cell if ok else WITHHELD for cell, ok in zip(cells, shown, strict=True)]
            whole = whole if all(shown) else WITHHELD
        else:
            counts = [[month.get(figure.key, 0) for month in each] for each in police]
            cells, whole = summed_row(counts, kind=figure.kind)
        cells = [cell if ok else WITHHELD for cell, ok in zip(cells, complete, strict=True)]
        whole = whole if all(complete) else WITHHELD
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
