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
officers record late, and today's less yesterday's would be one client's acceptance. The
partners' records of a month are published a month later, with the next month's police work:
once they are counted (referrals.models.count_day), as the agency's own pages show them.
Rates are not shown: an exact rate of an exact count would tell the hidden one.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import connection, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deflection.models import Agency, Program, User
from deflection.permissions import in_program, may_see_program_view, scope_program_id
from reports import metrics
from reports.metrics.disclosure import WITHHELD, is_small
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
# The figures summed from each agency's months: its police work, published when the month has
# ended, and the partners' records, published once the month is counted. The officers who
# deflected are people counted once over the period, not a sum of months (officers_row).
SUMMED = tuple(figure.key for figure in FIGURES if figure.key != "officers" and figure.kind == POLICE)
TREATED = tuple(figure.key for figure in FIGURES if figure.kind == TREATMENT)


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
    # The partners' records, of their own months where the table says so (treated_apart).
    treatment: bool = False


@dataclass(frozen=True)
class ProgramTable:
    """The program's agencies (the table's columns) and one row per figure, over whole months
    that have ended (a day of the first and of the last): the police work's, and the partners'
    records' (as many months, ending a month before: the partners' records of a month are
    published a month after its police work; three to the digest's one)."""

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

    @property
    def parts(self) -> list[tuple[bool, list[Row]]]:
        """The police work's rows, then the partners' records' (whether treatment, the rows):
        where they cover other months, each part is headed with its own."""
        return [(treatment, [row for row in self.rows if row.treatment == treatment]) for treatment in (False, True)]


def summed_row(months: list[list[int]], *, kind: metrics.Kind | str) -> tuple[list[str], str]:
    """One figure's agencies and whole from each agency's months (a list of its months' counts
    for each agency): each a shown_sum of its months, the whole of all of them."""
    each = [metrics.shown_sum(counts, kind=kind, audience=OUTSIDE) for counts in months]
    whole = metrics.shown_sum([n for counts in months for n in counts], kind=kind, audience=OUTSIDE)
    return each, whole


def officers_row(months: list[list[list[int]]], *, period: int) -> tuple[list[str], str]:
    """The officers who deflected, from each agency's months (the officers of each): people
    counted once over the period, not a sum of months. Over one month each agency's count is
    a cell like a month's deflections (summed_row). Over more, an agency's is shown only where
    every month of it holds none or at least 11 (the period's officers less its months' would
    bound a small month), and the whole program's only where every agency's is."""
    if period == 1:
        return summed_row([[len(ids) for ids in each] for each in months], kind=POLICE)
    counts: list[int | None] = []
    for each in months:
        big = not any(is_small(len(ids)) for ids in each)
        counts.append(len({officer for ids in each for officer in ids}) if big else None)
    cells = [WITHHELD if n is None else f"{n:,}" for n in counts]
    whole = WITHHELD if None in counts else f"{sum(n for n in counts if n is not None):,}"
    return cells, whole


def _window(agency: Agency, zone: zoneinfo.ZoneInfo, *, last_month: date, months: int) -> metrics.Scope:
    """The agency's `months` calendar months up to `last_month`, from its own midnights, as its
    dashboard counts them."""
    after = datetime.combine(metrics.months_before(last_month, -1), time.min, tzinfo=zone)
    return metrics.months_ended(agency.pk, months, zone=zone, before=after)


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """The block's reads see the database as of one moment (PostgreSQL's repeatable read, where
    the block opens the transaction): a month's counts and the check of its parts come from the
    same rows, whatever is logged or recorded meanwhile."""
    opens = not connection.in_atomic_block
    with transaction.atomic():
        if opens and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _month_published(agency: Agency, month: date, window: metrics.Scope, now: datetime) -> PublishedMonth:
    """The agency's police work of one month, counted now from the referrals themselves (once
    per month: the rollups may lag the last minute's records)."""
    with _one_snapshot():
        cells = metrics.cohort_counts(window, zone=zoneinfo.ZoneInfo(agency.timezone), names=SUMMED)
        officers = metrics.officers_deflecting(agency_id=agency.pk, since=window.start, until=window.end)
    counts = next(iter(cells.values()), {})
    return PublishedMonth(
        agency=agency,
        month=month,
        counts={name: counts.get(name, 0) for name in SUMMED},
        officers=sorted(officers),
        published_at=now,
    )


def _treatment_published(published: PublishedMonth, window: metrics.Scope, now: datetime) -> None:
    """The partners' records of the month, as counted (Referral's counted_ fields), with
    whether they may be shown checked on the same rows."""
    zone = zoneinfo.ZoneInfo(published.agency.timezone)
    with _one_snapshot():
        cells = metrics.cohort_counts(window, zone=zone, names=(*TREATED, *metrics.GROUP_COUNTS))
        known = metrics.cohort_counts(window, zone=zone, consented_only=True)
    counts = next(iter(cells.values()), {})
    published.treatment_counts = {name: counts.get(name, 0) for name in TREATED}
    published.treatment_shown = metrics.funnel_large_enough(cells, known)
    published.treatment_published_at = now


def months_publish(program: Program, *, through: date, now: datetime | None = None) -> int:
    """Publish every agency's months up to `through` (its first day), as far back as the
    program's longest period, that have ended on the agency's calendar and are not published
    yet (an agency that joined the program gets its past months at once); and the partners'
    records of those counted (metrics.records_counted_until) and not published yet. Once: a
    second run adds nothing, and of two at once the first stored wins. Returns how many months
    it counted, police work or partners' records."""
    now = now or timezone.now()
    months = [metrics.months_before(through, n) for n in range(max(PERIODS.values()) + 1)]
    found, treated = [], []
    # What is published already, in one query: on most runs of the beat, everything.
    have = {
        (row.agency_id, row.month): row
        for row in PublishedMonth.objects.filter(agency__program=program, month__in=months).only(
            "agency_id", "month", "treatment_counts"
        )
    }
    for agency in program.agencies.all():
        zone = zoneinfo.ZoneInfo(agency.timezone)
        counted = metrics.records_counted_until(now, zone)
        for month in months:
            window = _window(agency, zone, last_month=month, months=1)
            published = have.get((agency.pk, month))
            # A zone behind the program's may not have ended the month yet: the next run will.
            if published is None and window.end <= now:
                published = _month_published(agency, month, window, now)
                found.append(published)
            if published is not None and published.treatment_counts is None and window.end <= counted:
                published.agency = agency
                _treatment_published(published, window, now)
                treated.append(published)
    PublishedMonth.objects.bulk_create(found, ignore_conflicts=True)
    # Filled once: a row a run beside this one filled first keeps what it stored.
    for published in treated:
        if published.pk is not None:
            PublishedMonth.objects.filter(pk=published.pk, treatment_counts__isnull=True).update(
                treatment_counts=published.treatment_counts,
                treatment_shown=published.treatment_shown,
                treatment_published_at=published.treatment_published_at,
            )
    return len(found) + len(treated)


def last_month_published(program: Program) -> date | None:
    """The latest month every agency of the program has published (of those with any: one
    that just joined shows withheld until the beat fills its months in), if any. An agency in
    a zone far behind the program's publishes its month hours after the others: until then
    the view stays on the month before, whole."""
    latest = PublishedMonth.objects.filter(agency__program=program).values("agency").annotate(last=Max("month"))
    return min((row["last"] for row in latest), default=None)


def program_table(*, program: Program, last_month: date, months: int, treated_months: int) -> ProgramTable:
    """Every figure of every agency of the program as published (PublishedMonth) and shown
    outside them: the police work over the `months` months up to `last_month` (its first day),
    the partners' records over the `treated_months` up to the month before it (published with
    `last_month`'s police work, once counted). An agency's partners' records are withheld where
    one of its months is cut into parts of 1 to 10 (metrics.cohorts_large_enough), and the whole
    program's with them (it less the others would give them); an agency with a month not
    published (it joined the program since) is withheld whole until it is."""
    agencies = list(program.agencies.order_by("name"))
    first = metrics.months_before(last_month, months - 1)
    treated_last = metrics.months_before(last_month, 1)
    treated_first = metrics.months_before(treated_last, treated_months - 1)
    police_months = [metrics.months_before(last_month, n) for n in range(months)]
    treated_list = [metrics.months_before(treated_last, n) for n in range(treated_months)]
    published = {
        (row.agency_id, row.month): row
        for row in PublishedMonth.objects.filter(agency__in=agencies, month__gte=min(first, treated_first))
        .filter(month__lte=last_month)
        .only("agency_id", "month", "counts", "officers", "treatment_counts", "treatment_shown")
    }
    police, treated, officers, complete, shown = [], [], [], [], []
    for agency in agencies:
        rows = [published.get((agency.pk, month)) for month in police_months]
        treated_rows = [published.get((agency.pk, month)) for month in treated_list]
        treated_rows = [row if row and row.treatment_counts is not None else None for row in treated_rows]
        complete.append(None not in rows)
        police.append([row.counts for row in rows if row])
        treated.append([row.treatment_counts for row in treated_rows if row])
        officers.append([row.officers for row in rows if row])
        # Not yet published (it joined the program since) is withheld as too few would be.
        shown.append(all(row and row.treatment_shown for row in treated_rows))
    rows = []
    for figure in FIGURES:
        if figure.key == "officers":
            cells, whole = officers_row(officers, period=months)
        else:
            months_of = treated if figure.kind == TREATMENT else police
            cells, whole = summed_row(
                [[month.get(figure.key, 0) for month in each] for each in months_of], kind=figure.kind
            )
            if figure.kind == TREATMENT:
                cells = [cell if ok else WITHHELD for cell, ok in zip(cells, shown, strict=True)]
                whole = whole if all(shown) else WITHHELD
        cells = [cell if ok else WITHHELD for cell, ok in zip(cells, complete, strict=True)]
        whole = whole if all(complete) else WITHHELD
        named = [(agency.name, cell) for agency, cell in zip(agencies, cells, strict=True)]
        rows.append(Row(label=str(figure.label), cells=named, whole=whole, treatment=figure.kind == TREATMENT))
    return ProgramTable(
        agencies=agencies,
        rows=rows,
        first=first,
        last=last_month,
        treated_first=treated_first,
        treated_last=treated_last,
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
