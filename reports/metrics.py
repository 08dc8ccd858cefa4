"""The one place where program metrics are defined; the dashboard, the digest and the
exports all call these functions, so a number never means two things.

Definitions (DESIGN.md):
- Deflections: referrals logged in the period, less cancelled ones.
- Engagement rate: of those, the share that reached intake.
- Time to intake: median hours from logged to intake.
- Retention 30/60/90: of referrals with intake, the share still engaged at the checkpoint
  (its retention check completed "reached and engaged"), counting only those whose
  checkpoint has come due.
- Officer participation: distinct officers with a deflection in the last 30 days over
  the agency's active officers.
- Overdose reversals: referrals with naloxone administered.
- Time saved versus arrest: sum over referrals with a charge deflected of (the agency's
  booking minutes minus the officer's minutes); cost avoided: their count times the
  booking cost.
- Re-engagements: referrals of clients whose previous referral (not cancelled) had closed
  before this one was logged, or was to another partner (referrals.models.REENGAGEMENT).
  Seen again while a referral is open at the same partner is an officer contact on it:
  not a deflection, not a re-engagement.
- Officer contacts: those encounters, counted on their own (the officer's record); the
  figures above count referrals only.
- Small cells: outside case-level views any count from 1 to 10 shows as "<11".
"""

from __future__ import annotations

import statistics
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Aggregate, Count, FloatField, IntegerField, Q, QuerySet, Sum, Value
from django.utils import timezone

from deflection.models import Agency
from partners.models import ServicePartner
from referrals.models import REENGAGEMENT, FollowUp, Officer, OfficerContact, Pathway, Referral

SMALL_CELL_MAX = 10
RETENTION_DAYS = (30, 60, 90)
PARTICIPATION_WINDOW = timedelta(days=30)


def small_cell(count: int | None) -> str:
    """A count as shown outside case-level views: 1..10 become "<11"."""
    if count is None:
        return "—"
    if 1 <= count <= SMALL_CELL_MAX:
        return "<11"
    return f"{count:,}"


@dataclass(frozen=True)
class Scope:
    """Which referrals a figure is about: an agency, a period of logging, optional filters."""

    agency_id: int
    start: datetime | None = None
    end: datetime | None = None
    unit_id: int | None = None
    pathway: str | None = None
    partner_id: int | None = None
    officer_id: int | None = None

    def previous(self) -> Scope:
        """The period of the same length just before this one."""
        if self.start is None or self.end is None:
            raise ValueError("previous() needs a bounded period")
        length = self.end - self.start
        return Scope(
            self.agency_id,
            self.start - length,
            self.start,
            self.unit_id,
            self.pathway,
            self.partner_id,
            self.officer_id,
        )


def logged(scope: Scope) -> QuerySet[Referral]:
    """Referrals logged in the scope, cancelled ones included."""
    qs = Referral.objects.filter(agency_id=scope.agency_id)
    if scope.start is not None:
        qs = qs.filter(occurred_at__gte=scope.start)
    if scope.end is not None:
        qs = qs.filter(occurred_at__lt=scope.end)
    if scope.unit_id is not None:
        qs = qs.filter(officer__unit_id=scope.unit_id)
    if scope.pathway:
        qs = qs.filter(pathway=scope.pathway)
    if scope.partner_id is not None:
        qs = qs.filter(partner_id=scope.partner_id)
    if scope.officer_id is not None:
        qs = qs.filter(officer_id=scope.officer_id)
    return qs


def deflections_qs(scope: Scope) -> QuerySet[Referral]:
    return logged(scope).exclude(status=Referral.Status.CANCELLED)


def deflections(scope: Scope) -> int:
    return deflections_qs(scope).count()


def by_pathway(scope: Scope) -> list[tuple[str, str, int]]:
    counts = dict(deflections_qs(scope).values_list("pathway").annotate(n=Count("id")).values_list("pathway", "n"))
    return [(value, str(label), counts.get(value, 0)) for value, label in Pathway.choices]


def engagement_rate(scope: Scope) -> float | None:
    totals = deflections_qs(scope).aggregate(n=Count("id"), intake=Count("id", filter=Q(intake_at__isnull=False)))
    return totals["intake"] / totals["n"] if totals["n"] else None


def median_hours_to_intake(scope: Scope) -> float | None:
    pairs = deflections_qs(scope).filter(intake_at__isnull=False).values_list("occurred_at", "intake_at")
    hours = [(intake - occurred).total_seconds() / 3600 for occurred, intake in pairs]
    return statistics.median(hours) if hours else None


@dataclass(frozen=True)
class Retention:
    days: int
    due: int
    retained: int

    @property
    def rate(self) -> float | None:
        return self.retained / self.due if self.due else None


def retention(scope: Scope, days: int, *, now: datetime | None = None) -> Retention:
    now = now or timezone.now()
    with_intake = deflections_qs(scope).filter(intake_at__isnull=False, intake_at__lte=now - timedelta(days=days))
    kind = f"retention_{days}"
    totals = with_intake.aggregate(
        due=Count("id", distinct=True),
        retained=Count(
            "id",
            distinct=True,
            filter=Q(
                follow_ups__kind=kind,
                follow_ups__completed_at__isnull=False,
                follow_ups__outcome=FollowUp.Outcome.ENGAGED,
            ),
        ),
    )
    return Retention(days=days, due=totals["due"], retained=totals["retained"])


@dataclass(frozen=True)
class Participation:
    participating: int
    active: int

    @property
    def rate(self) -> float | None:
        return self.participating / self.active if self.active else None


def officer_participation(*, agency_id: int, at: datetime, unit_id: int | None = None) -> Participation:
    """The buy-in index at a moment: officers with a deflection in the 30 days before it,
    over the agency's active officers."""
    officers = Officer.objects.filter(agency_id=agency_id, is_active=True)
    if unit_id is not None:
        officers = officers.filter(unit_id=unit_id)
    window = Scope(agency_id, at - PARTICIPATION_WINDOW, at, unit_id)
    participating = deflections_qs(window).values("officer_id").distinct().count()
    return Participation(participating=participating, active=officers.count())


def overdose_reversals(scope: Scope) -> int:
    return deflections_qs(scope).filter(naloxone_administered=True).count()


@dataclass(frozen=True)
class Savings:
    charges_deflected: int
    minutes_saved: int
    cost_avoided: Decimal

    @property
    def hours_saved(self) -> float:
        return self.minutes_saved / 60


def savings(scope: Scope) -> Savings:
    agency = Agency.objects.get(pk=scope.agency_id)
    charged = deflections_qs(scope).exclude(charge_deflected="")
    totals = charged.aggregate(n=Count("id"), minutes=Sum("officer_minutes"))
    n = totals["n"]
    return Savings(
        charges_deflected=n,
        minutes_saved=n * agency.booking_minutes - (totals["minutes"] or 0),
        cost_avoided=agency.booking_cost * n,
    )


def reengagements(scope: Scope) -> int:
    return deflections_qs(scope).filter(REENGAGEMENT).count()


@dataclass(frozen=True)
class Contacts:
    """Officer contacts: clients seen again while their referral was open at the same partner."""

    contacts: int
    naloxone: int
    minutes: int


def officer_contacts(scope: Scope) -> Contacts:
    """Officer contacts in the scope, by when the encounter happened and who made it (the
    agency, unit and officer of the encounter; the pathway given at it; the referral's partner)."""
    qs = OfficerContact.objects.filter(officer__agency_id=scope.agency_id)
    if scope.start is not None:
        qs = qs.filter(occurred_at__gte=scope.start)
    if scope.end is not None:
        qs = qs.filter(occurred_at__lt=scope.end)
    if scope.unit_id is not None:
        qs = qs.filter(officer__unit_id=scope.unit_id)
    if scope.pathway:
        qs = qs.filter(pathway=scope.pathway)
    if scope.partner_id is not None:
        qs = qs.filter(referral__partner_id=scope.partner_id)
    if scope.officer_id is not None:
        qs = qs.filter(officer_id=scope.officer_id)
    totals = qs.aggregate(
        n=Count("id"), naloxone=Count("id", filter=Q(naloxone_administered=True)), minutes=Sum("officer_minutes")
    )
    return Contacts(contacts=totals["n"], naloxone=totals["naloxone"], minutes=totals["minutes"] or 0)


@dataclass(frozen=True)
class Funnel:
    logged: int
    accepted: int
    intake: int
    retained: dict[int, Retention] = field(default_factory=dict)


def funnel(scope: Scope, *, now: datetime | None = None) -> Funnel:
    totals = deflections_qs(scope).aggregate(
        n=Count("id"),
        accepted=Count("id", filter=Q(accepted_at__isnull=False)),
        intake=Count("id", filter=Q(intake_at__isnull=False)),
    )
    return Funnel(
        logged=totals["n"],
        accepted=totals["accepted"],
        intake=totals["intake"],
        retained={days: retention(scope, days, now=now) for days in RETENTION_DAYS},
    )


def partner_intakes(*, agency_id: int, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """Intakes recorded in the period at each partner serving the agency."""
    rows = (
        ServicePartner.objects.filter(agencies__id=agency_id)
        .annotate(
            intakes=Count(
                "referrals",
                filter=Q(
                    referrals__agency_id=agency_id,
                    referrals__intake_at__gte=start,
                    referrals__intake_at__lt=end,
                ),
            )
        )
        .order_by("-is_24_7", "name")
    )
    return [(p.name, p.intakes) for p in rows]


def weekly_deflections(*, agency_id: int, weeks: int, last_week_start: date, tz) -> list[tuple[date, int]]:
    """Deflections per week (Monday to Sunday, in the agency's time zone) for `weeks` weeks
    ending with the one that starts on `last_week_start`."""
    result = []
    for i in range(weeks - 1, -1, -1):
        monday = last_week_start - timedelta(weeks=i)
        start = datetime.combine(monday, datetime.min.time(), tzinfo=tz)
        result.append((monday, deflections(Scope(agency_id, start, start + timedelta(days=7)))))
    return result


# Kept for the command page: the counts it shows (aggregates only).
@dataclass(frozen=True)
class AgencyCounts:
    deflections: int
    by_pathway: list[tuple[str, int]]
    by_status: list[tuple[str, int]]
    overdose_reversals: int
    officers_participating: int


def agency_counts(*, agency_id: int, start: datetime | None = None, end: datetime | None = None) -> AgencyCounts:
    scope = Scope(agency_id, start, end)
    qs = deflections_qs(scope)
    status_counts = dict(qs.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return AgencyCounts(
        deflections=qs.count(),
        by_pathway=[(label, n) for _value, label, n in by_pathway(scope)],
        by_status=[
            (label, status_counts.get(value, 0))
            for value, label in Referral.Status.choices
            if value != Referral.Status.CANCELLED
        ],
        overdose_reversals=overdose_reversals(scope),
        officers_participating=qs.values("officer_id").distinct().count(),
    )


# The definitions in words, for the export's codebook and the dashboard's notes.
DEFINITIONS: list[tuple[str, str]] = [
    ("Deflections", "Referrals logged in the period, less cancelled ones."),
    ("Engagement rate", "Of deflections logged in the period, the share that reached intake."),
    ("Time to intake", "Median hours from the deflection to intake."),
    (
        "Retention at 30/60/90 days",
        "Of deflections with intake, the share still engaged at the checkpoint (its retention check completed "
        "'reached and engaged'), counting only those whose checkpoint has come due.",
    ),
    (
        "Officer participation",
        "Distinct officers with a deflection in the last 30 days, over the agency's active officers.",
    ),
    (
        "Overdose reversals",
        "Deflections with naloxone administered. Naloxone given at an officer contact (below) is not in this "
        "figure: the officer's own record counts it with their contacts.",
    ),
    (
        "Time saved versus arrest",
        "Over deflections with a charge deflected: the agency's booking minutes minus the officer's minutes.",
    ),
    ("Cost avoided", "Deflections with a charge deflected, times the agency's cost of an arrest and booking."),
    (
        "Re-engagements",
        "Deflections of clients whose previous referral (not cancelled) had closed before this one was logged, "
        "or was to another partner.",
    ),
    (
        "Officer contacts",
        "A client seen again by an officer while their referral to the same partner is still open: added to that "
        "referral, not a new referral. Not counted in deflections, re-engagements, overdose reversals or time saved.",
    ),
    ("Small cells", "Outside case-level views, any count from 1 to 10 shows as <11."),
]


# ---------------------------------------------------------------------------
# Series and scorecards for the dashboard.
# ---------------------------------------------------------------------------


def weekly_by_pathway(scope: Scope, *, tz) -> list[tuple[date, dict[str, int]]]:
    """Deflections per week (weeks starting Monday, agency time) by pathway code."""
    from django.db.models.functions import TruncWeek

    rows = (
        deflections_qs(scope)
        .annotate(week=TruncWeek("occurred_at", tzinfo=tz))
        .values_list("week", "pathway")
        .annotate(n=Count("id"))
        .order_by()
    )
    weeks: dict[date, dict[str, int]] = {}
    for week, pathway, n in rows:
        weeks.setdefault(_as_date(week), {})[pathway] = n
    return [(monday, weeks.get(monday, {})) for monday in _mondays(scope, tz)]


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _mondays(scope: Scope, tz) -> list[date]:
    first = scope.start.astimezone(tz).date()
    first -= timedelta(days=first.weekday())
    last = (scope.end - timedelta(microseconds=1)).astimezone(tz).date()
    mondays = []
    while first <= last:
        mondays.append(first)
        first += timedelta(days=7)
    return mondays


def weekly_participation(*, scope: Scope, tz) -> list[tuple[date, Participation]]:
    """The buy-in index at the end of each week of the period."""
    officers = Officer.objects.filter(agency_id=scope.agency_id, is_active=True)
    if scope.unit_id is not None:
        officers = officers.filter(unit_id=scope.unit_id)
    active = officers.count()
    window_start = scope.start - PARTICIPATION_WINDOW
    pairs = list(
        deflections_qs(Scope(scope.agency_id, window_start, scope.end, scope.unit_id))
        .values_list("officer_id", "occurred_at")
        .order_by()
    )
    result = []
    for monday in _mondays(scope, tz):
        week_end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=tz)
        since = week_end - PARTICIPATION_WINDOW
        participating = len({officer for officer, when in pairs if since <= when < week_end})
        result.append((monday, Participation(participating=participating, active=active)))
    return result


def monthly_savings(scope: Scope, *, tz) -> list[tuple[date, float]]:
    """Hours saved versus arrest per month of the period."""
    from django.db.models.functions import TruncMonth

    agency = Agency.objects.get(pk=scope.agency_id)
    rows = (
        deflections_qs(scope)
        .exclude(charge_deflected="")
        .annotate(month=TruncMonth("occurred_at", tzinfo=tz))
        .values_list("month")
        .annotate(n=Count("id"), minutes=Sum("officer_minutes"))
        .order_by("month")
    )
    return [(_as_date(m), (n * agency.booking_minutes - (minutes or 0)) / 60) for m, n, minutes in rows]


@dataclass(frozen=True)
class PartnerScore:
    name: str
    tier: str
    received: int
    accepted: int
    intake: int
    median_hours_to_accept: float | None
    rejections: list[tuple[str, int]]

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.received if self.received else None

    @property
    def intake_rate(self) -> float | None:
        return self.intake / self.received if self.received else None


def partner_scorecard(scope: Scope, *, rollups: bool = False) -> list[PartnerScore]:
    """Per partner: referrals received, acceptance, median hours to accept, rejection
    reasons, intake rate and engagement tier, over referrals logged in the period."""
    qs = deflections_qs(scope)
    if rollups and rollups_cover(scope):
        zone = _zone(scope.agency_id)
        totals = partner_counts_from_rollups(scope, zone)
        medians = partner_medians_from_rollups(scope, zone, partners=list(totals))
        rejected = partner_rejections_from_rollups(scope, zone)
    else:
        totals = {
            row["partner_id"]: row
            for row in qs.values("partner_id")
            .annotate(
                received=Count("id"),
                accepted=Count("id", filter=Q(accepted_at__isnull=False)),
                intake=Count("id", filter=Q(intake_at__isnull=False)),
            )
            .order_by()
        }
        hours: dict[int, list[float]] = {}
        for partner_id, occurred, accepted in (
            qs.filter(accepted_at__isnull=False).values_list("partner_id", "occurred_at", "accepted_at").order_by()
        ):
            hours.setdefault(partner_id, []).append((accepted - occurred).total_seconds() / 3600)
        medians = {partner_id: statistics.median(values) for partner_id, values in hours.items()}
        rejected = list(
            qs.filter(status=Referral.Status.REJECTED)
            .values_list("partner_id", "status_reason")
            .annotate(n=Count("id"))
            .order_by("-n", "status_reason")
        )
    reasons: dict[int, list[tuple[str, int]]] = {}
    for partner_id, reason, n in rejected:
        reasons.setdefault(partner_id, []).append(
            (str(Referral.RejectReason(reason).label) if reason in Referral.RejectReason.values else reason, n)
        )
    partners = ServicePartner.objects.filter(Q(agencies__id=scope.agency_id) | Q(pk__in=list(totals))).distinct()
    scores = []
    for partner in partners.order_by("-is_24_7", "name"):
        row = totals.get(partner.pk, {"received": 0, "accepted": 0, "intake": 0})
        scores.append(
            PartnerScore(
                name=partner.name,
                tier=str(partner.get_engagement_tier_display()),
                received=row["received"],
                accepted=row["accepted"],
                intake=row["intake"],
                median_hours_to_accept=medians.get(partner.pk),
                rejections=reasons.get(partner.pk, []),
            )
        )
    return scores


@dataclass(frozen=True)
class Headlines:
    deflections: int
    engagement_rate: float | None
    median_hours_to_intake: float | None
    retention: dict[int, Retention]
    participation: Participation
    overdose_reversals: int
    savings: Savings
    reengagements: int
    counts: Totals | None = None  # what the figures were made from, for the charts


def totals(scope: Scope, *, rollups: bool = False) -> Totals:
    """The counts of a scope, from the rollups when asked and they cover it (whole agency
    days), else from the referrals; the two agree (tests/test_rollups.py)."""
    if rollups and rollups_cover(scope):
        zone = zoneinfo.ZoneInfo(Agency.objects.only("timezone").get(pk=scope.agency_id).timezone)
        return totals_from_rollups(scope, zone)
    return totals_from_referrals(scope)


def headlines(scope: Scope, *, now: datetime | None = None, rollups: bool = False) -> Headlines:
    """The dashboard's headline figures; from the rollups when asked and they cover the
    scope (the figures are the same either way: tests/test_rollups.py)."""
    now = now or timezone.now()
    agency = Agency.objects.get(pk=scope.agency_id)
    at = min(scope.end, now)
    if rollups and rollups_cover(scope):
        zone = zoneinfo.ZoneInfo(agency.timezone)
        counts = totals_from_rollups(scope, zone)
        median = median_hours_to_intake_from_rollups(scope, zone)
        retained = retention_from_rollups(scope, zone, now=now)
        participation = participation_from_rollups(agency_id=scope.agency_id, at=at, unit_id=scope.unit_id)
    else:
        counts = totals_from_referrals(scope)
        median = median_hours_to_intake(scope)
        retained = {days: retention(scope, days, now=now) for days in RETENTION_DAYS}
        participation = officer_participation(agency_id=scope.agency_id, at=at, unit_id=scope.unit_id)
    return Headlines(
        deflections=counts.deflections,
        engagement_rate=counts.intake / counts.deflections if counts.deflections else None,
        median_hours_to_intake=median,
        retention=retained,
        participation=participation,
        overdose_reversals=counts.naloxone,
        savings=savings_from(counts, agency),
        reengagements=counts.reengagements,
        counts=counts,
    )


# ---------------------------------------------------------------------------
# The same counts from the per-day rollups (reports/rollups.py), for dashboards at scale.
# tests/test_rollups.py proves they equal the definitions above on the same data.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    logged: int
    deflections: int
    accepted: int
    intake: int
    naloxone: int
    charged: int
    charged_minutes: int
    reengagements: int


ROLLUP_SUMS = ("logged", "deflections", "accepted", "intake", "naloxone", "charged", "charged_minutes", "reengagements")


def rollups_cover(scope: Scope) -> bool:
    """Rollups answer whole agency days, without an officer filter."""
    if scope.officer_id is not None or scope.start is None or scope.end is None:
        return False
    zone = zoneinfo.ZoneInfo(Agency.objects.only("timezone").get(pk=scope.agency_id).timezone)
    return all(moment.astimezone(zone).time() == datetime.min.time() for moment in (scope.start, scope.end))


def _wanted(scope: Scope, by: str | None = None) -> dict[str, bool]:
    """Which of unit, pathway and partner a scope (and a grouping `by`) needs a row level
    to keep apart; more than one: the cells themselves."""
    wanted = {
        "unit": scope.unit_id is not None or by == "unit",
        "pathway": bool(scope.pathway) or by == "pathway",
        "partner": scope.partner_id is not None or by == "partner",
    }
    return dict.fromkeys(wanted, True) if sum(wanted.values()) > 1 else wanted


def _at_level(rows, scope: Scope, wanted: dict[str, bool]):
    """The rows of one level (see DailyRollup), narrowed by the scope's filters."""
    from reports.models import DailyRollup

    every_unit = Q(unit_key=DailyRollup.ALL_UNITS)
    rows = rows.exclude(every_unit) if wanted["unit"] else rows.filter(every_unit)
    rows = rows.exclude(pathway="") if wanted["pathway"] else rows.filter(pathway="")
    rows = rows.filter(partner__isnull=not wanted["partner"])
    if scope.unit_id is not None:
        rows = rows.filter(unit_key=scope.unit_id)
    if scope.pathway:
        rows = rows.filter(pathway=scope.pathway)
    if scope.partner_id is not None:
        rows = rows.filter(partner_id=scope.partner_id)
    return rows


def _days(scope: Scope, zone, *, weekly: bool = True) -> Q:
    """The rollup rows of the scope's days: its whole weeks (Monday to Sunday) from the
    week rows (span 7) and the days before the first and after the last from the day rows,
    so that a quarter reads 12 or 13 weeks and a few days, not 90 days. `weekly=False`, or
    the cells (which have no week rows): every day from the day rows."""
    first, last = scope.start.astimezone(zone).date(), scope.end.astimezone(zone).date()
    days = Q(span=1, day__gte=first, day__lt=last)
    if not weekly:
        return days
    monday = first + timedelta(days=-first.weekday() % 7)  # the first whole week's
    end_monday = last - timedelta(days=last.weekday())  # the Monday after the last whole week
    if monday >= end_monday:
        return days
    rows = Q(span=7, day__gte=monday, day__lt=end_monday)
    if first < monday:
        rows |= Q(span=1, day__gte=first, day__lt=monday)
    if end_monday < last:
        rows |= Q(span=1, day__gte=end_monday, day__lt=last)
    return rows


def rollup_cells(scope: Scope, zone, *, by: str | None = None, weekly: bool = True):
    """The DailyRollup rows of a scope, one level of them: the coarsest that holds the
    scope's filters and `by` (the dimension the caller groups by), so that summing them
    counts every referral once. A level's whole weeks are week rows (their `day` the
    Monday) unless `weekly=False`; the cells are day rows."""
    from reports.models import DailyRollup

    wanted = _wanted(scope, by)
    days = _days(scope, zone, weekly=weekly and not all(wanted.values()))
    return _at_level(DailyRollup.objects.filter(days, agency_id=scope.agency_id), scope, wanted)


def totals_from_rollups(scope: Scope, zone) -> Totals:
    sums = rollup_cells(scope, zone).aggregate(**{name: Sum(name) for name in ROLLUP_SUMS})
    return Totals(**{name: sums[name] or 0 for name in ROLLUP_SUMS})


def totals_from_referrals(scope: Scope) -> Totals:
    qs = logged(scope)
    not_cancelled = ~Q(status=Referral.Status.CANCELLED)
    charged = not_cancelled & ~Q(charge_deflected="")
    sums = qs.aggregate(
        logged=Count("id"),
        deflections=Count("id", filter=not_cancelled),
        accepted=Count("id", filter=not_cancelled & Q(accepted_at__isnull=False)),
        intake=Count("id", filter=not_cancelled & Q(intake_at__isnull=False)),
        naloxone=Count("id", filter=not_cancelled & Q(naloxone_administered=True)),
        charged=Count("id", filter=charged),
        charged_minutes=Sum("officer_minutes", filter=charged),
        reengagements=Count("id", filter=not_cancelled & REENGAGEMENT),
    )
    return Totals(**{name: sums[name] or 0 for name in ROLLUP_SUMS})


def savings_from(totals: Totals, agency: Agency) -> Savings:
    return Savings(
        charges_deflected=totals.charged,
        minutes_saved=totals.charged * agency.booking_minutes - totals.charged_minutes,
        cost_avoided=agency.booking_cost * totals.charged,
    )


def weekly_by_pathway_from_rollups(scope: Scope, zone) -> list[tuple[date, dict[str, int]]]:
    weeks: dict[date, dict[str, int]] = {}
    for day, pathway, n in (
        rollup_cells(scope, zone, by="pathway").values_list("day", "pathway").annotate(n=Sum("deflections")).order_by()
    ):
        if not n:
            continue  # a cell of cancelled referrals only
        monday = day - timedelta(days=day.weekday())
        weeks.setdefault(monday, {})
        weeks[monday][pathway] = weeks[monday].get(pathway, 0) + n
    return [(monday, weeks.get(monday, {})) for monday in _mondays(scope, zone)]


def partner_counts_from_rollups(scope: Scope, zone) -> dict[int, dict[str, int]]:
    rows = (
        rollup_cells(scope, zone, by="partner")
        .values("partner_id")
        .annotate(received=Sum("deflections"), accepted=Sum("accepted"), intake=Sum("intake"))
    )
    return {row["partner_id"]: row for row in rows.order_by()}


def monthly_savings_from_rollups(scope: Scope, zone) -> list[tuple[date, float]]:
    agency = Agency.objects.get(pk=scope.agency_id)
    months: dict[date, list[int]] = {}
    for day, charged, minutes in (
        rollup_cells(scope, zone, weekly=False)
        .values_list("day")
        .annotate(c=Sum("charged"), m=Sum("charged_minutes"))
        .order_by()
    ):
        cell = months.setdefault(day.replace(day=1), [0, 0])
        cell[0] += charged
        cell[1] += minutes
    return [(month, (c * agency.booking_minutes - m) / 60) for month, (c, m) in sorted(months.items()) if c]


# ---------------------------------------------------------------------------
# Participation, retention, medians and rejection reasons from the rollups: who deflected
# on which day (OfficerDay) and the narrow per-referral facts (ReferralFact). Each equals
# its definition above on the same data (tests/test_rollups.py).
# ---------------------------------------------------------------------------


def _zone(agency_id: int):
    return zoneinfo.ZoneInfo(Agency.objects.only("timezone").get(pk=agency_id).timezone)


def _midnight(day: date, zone) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=zone)


def _whole_days(start: datetime, end: datetime, zone) -> tuple[date, date, list[tuple[datetime, datetime]]]:
    """Split [start, end) into the whole agency days inside it, [first, last), and the
    pieces of days at either end that the rollups cannot answer."""
    first = start.astimezone(zone).date()
    if _midnight(first, zone) < start:
        first += timedelta(days=1)
    last = end.astimezone(zone).date()  # the day `end` falls in: not whole unless end is its midnight
    if last < first:  # a window shorter than a day
        return first, first, [(start, end)]
    pieces = []
    if start < _midnight(first, zone):
        pieces.append((start, _midnight(first, zone)))
    if _midnight(last, zone) < end:
        pieces.append((_midnight(last, zone), end))
    return first, last, pieces


def _officer_masks(agency_id: int, unit_id: int | None, first: date, last: date) -> dict[int, int]:
    """Per officer, the days in [first, last) they deflected on, as bits (bit 0: `first`),
    from OfficerMonth: a row per officer and month, however many officer-days."""
    from reports.models import OfficerMonth

    rows = OfficerMonth.objects.filter(agency_id=agency_id, month__gte=first.replace(day=1), month__lt=last)
    if unit_id is not None:
        rows = rows.filter(officer__unit_id=unit_id)
    wanted = (1 << max(0, (last - first).days)) - 1
    masks: dict[int, int] = {}
    for officer, month, days in rows.values_list("officer_id", "month", "days").order_by():
        offset = (month - first).days
        bits = (days << offset if offset >= 0 else days >> -offset) & wanted
        if bits:
            masks[officer] = masks.get(officer, 0) | bits
    return masks


def _day_bits(first: date, since: date, until: date) -> int:
    """The bits of the days [since, until) in a mask whose bit 0 is `first`."""
    lo, hi = max(0, (since - first).days), max(0, (until - first).days)
    return ((1 << hi) - 1) & ~((1 << lo) - 1)


def officers_deflecting_from_rollups(*, agency_id: int, since: datetime, until: datetime, unit_id: int | None = None):
    """The officers with a deflection in [since, until): the whole days from the
    officer-months' day bits; the part days at either end from the referrals of the
    officers who deflected on those days and not on the whole ones (few, or none)."""
    zone = _zone(agency_id)
    first, last, pieces = _whole_days(since, until, zone)
    piece_days = {start.astimezone(zone).date() for start, _end in pieces}
    low = min([first, *piece_days])
    masks = _officer_masks(agency_id, unit_id, low, max([last, *(d + timedelta(days=1) for d in piece_days)]))
    whole = _day_bits(low, first, last)
    officers = {officer for officer, bits in masks.items() if bits & whole}
    if pieces:
        on_piece_days = 0
        for day in piece_days:
            on_piece_days |= _day_bits(low, day, day + timedelta(days=1))
        candidates = sorted(o for o, bits in masks.items() if o not in officers and bits & on_piece_days)
        edges = Q()
        for start, end in pieces:
            edges |= Q(occurred_at__gte=start, occurred_at__lt=end)
        # One query whether or not there are candidates (an empty IN would be no query at
        # all), so that the page's queries do not vary with the data; officer 0 is none.
        qs = deflections_qs(Scope(agency_id, unit_id=unit_id)).filter(edges, officer_id__in=candidates or [0])
        officers.update(qs.values_list("officer_id", flat=True).distinct().order_by())
    return officers


def participation_from_rollups(*, agency_id: int, at: datetime, unit_id: int | None = None) -> Participation:
    """officer_participation() from the officer-months."""
    officers = officers_deflecting_from_rollups(
        agency_id=agency_id, since=at - PARTICIPATION_WINDOW, until=at, unit_id=unit_id
    )
    active = Officer.objects.filter(agency_id=agency_id, is_active=True)
    if unit_id is not None:
        active = active.filter(unit_id=unit_id)
    return Participation(participating=len(officers), active=active.count())


def weekly_participation_from_rollups(*, scope: Scope, tz) -> list[tuple[date, Participation]]:
    """weekly_participation() from the officer-months' day bits: the 30 days before the end
    of each week (up to the period's end), for each officer who deflected in them."""
    active = Officer.objects.filter(agency_id=scope.agency_id, is_active=True)
    if scope.unit_id is not None:
        active = active.filter(unit_id=scope.unit_id)
    n_active = active.count()
    since = (scope.start - PARTICIPATION_WINDOW).astimezone(tz).date()
    until = scope.end.astimezone(tz).date()
    masks = list(_officer_masks(scope.agency_id, scope.unit_id, since, until).values())
    result = []
    for monday in _mondays(scope, tz):
        week_end = monday + timedelta(days=7)
        window = _day_bits(since, week_end - PARTICIPATION_WINDOW, min(week_end, until))
        participating = sum(1 for bits in masks if bits & window)
        result.append((monday, Participation(participating=participating, active=n_active)))
    return result


def facts(scope: Scope, zone):
    """The narrow per-referral facts of a scope of whole agency days (cancelled ones never
    have facts)."""
    from reports.models import ReferralFact

    rows = ReferralFact.objects.filter(
        agency_id=scope.agency_id,
        day__gte=scope.start.astimezone(zone).date(),
        day__lt=scope.end.astimezone(zone).date(),
    )
    if scope.unit_id is not None:
        rows = rows.filter(unit_key=scope.unit_id)
    if scope.pathway:
        rows = rows.filter(pathway=scope.pathway)
    if scope.partner_id is not None:
        rows = rows.filter(partner_id=scope.partner_id)
    return rows.order_by()


def retention_from_rollups(scope: Scope, zone, *, now: datetime) -> dict[int, Retention]:
    """retention() for 30, 60 and 90 days: intakes of the days before the day each
    checkpoint's cut-off falls in from RetentionRollup, that day's to the minute from
    ReferralFact. A scope with two or more filters has no RetentionRollup level: it counts
    its facts."""
    from reports.models import RetentionRollup

    cuts = {days: now - timedelta(days=days) for days in RETENTION_DAYS}
    wanted = _wanted(scope)
    if all(wanted.values()):
        found = Counter()
    else:
        sums = {}
        for days, cut in cuts.items():
            whole_days = Q(intake_day__lt=cut.astimezone(zone).date())
            sums[f"due_{days}"] = Sum("intake", filter=whole_days)
            sums[f"retained_{days}"] = Sum(f"retained_{days}", filter=whole_days)
        rows = _at_level(RetentionRollup.objects.filter(_days(scope, zone), agency_id=scope.agency_id), scope, wanted)
        found = Counter({name: n or 0 for name, n in rows.aggregate(**sums).items()})
    edges, counts = Q(), {}
    for days, cut in cuts.items():
        # The facts still to count: all of them, or the cut-off's own day up to the minute.
        since = _midnight(cut.astimezone(zone).date(), zone) if not all(wanted.values()) else None
        come_due = Q(intake_at__lte=cut) if since is None else Q(intake_at__gte=since, intake_at__lte=cut)
        edges |= come_due
        counts[f"due_{days}"] = Count("id", filter=come_due)
        counts[f"retained_{days}"] = Count("id", filter=come_due & Q(**{f"retained_{days}": True}))
    found.update(facts(scope, zone).filter(edges).aggregate(**counts))
    return {
        days: Retention(days=days, due=found[f"due_{days}"], retained=found[f"retained_{days}"])
        for days in RETENTION_DAYS
    }


class _PercentileDisc(Aggregate):
    """PostgreSQL's percentile_disc: the first value at or past a fraction of the rows."""

    template = "percentile_disc(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float) -> None:
        super().__init__(expression)
        self.extra["fraction"] = repr(float(fraction))


# Just past one half: for an even count, the upper of the two middle values.
_UPPER_MIDDLE = 0.5 + 1e-9


def _median(rows, field: str, *, by: str | None = None) -> dict:
    """The median of a column, per group (the group is None without `by`).

    On PostgreSQL the database picks the two middle values (percentile_disc) and Python
    averages them, exactly as statistics.median does: the figure equals the definition's
    to the last bit. Elsewhere (SQLite, the development default) the values come to Python.
    """
    from django.db import connection

    rows = rows.filter(**{f"{field}__isnull": False})
    if connection.vendor == "postgresql":
        middle = {"low": _PercentileDisc(field, 0.5), "high": _PercentileDisc(field, _UPPER_MIDDLE)}
        if by is None:
            found = [(None, *rows.aggregate(**middle).values())]
        else:
            found = rows.values_list(by).annotate(**middle).values_list(by, "low", "high")
        return {group: (low + high) / 2 if low is not None else None for group, low, high in found}
    values: dict = {}
    for group, value in rows.values_list(by or "pk", field):
        values.setdefault(group if by else None, []).append(value)
    return {group: statistics.median(v) for group, v in values.items()}


def _middle_positions(n: int) -> tuple[int, int]:
    """The 0-based positions of the middle value(s) of n sorted values (equal when n is odd)."""
    return (n - 1) // 2, n // 2


def _median_from_histogram(
    scope: Scope, zone, measure: str, *, by: str | None = None, partners: list[int] | None = None
) -> dict:
    """The exact median of hours to intake or to accept (per partner with by="partner"), from
    HoursHistogram: sum the bins over the days to find the bin(s) of the middle value(s) and
    their place in them, then read the exact hours of only those bins from ReferralFact.
    Equal to statistics.median over every value (bins are ordered as their values are).
    Two queries whatever the data; a scope with more filters than a histogram level holds
    reads its facts. `partners`, with by="partner": every partner that had a deflection in
    the scope (the scorecard knows them), read as a list of equalities: `partner IS NOT NULL`
    would walk each partner's bins of every day on record, not the period's."""
    from reports.models import HoursHistogram

    field, bin_field = f"hours_to_{measure}", f"{measure}_bin"
    wanted = _wanted(scope, by)
    if all(wanted.values()) or (measure == HoursHistogram.Measure.ACCEPT and by != "partner"):
        return _median(facts(scope, zone), field, by="partner_id" if by else None)
    group = "partner_id" if by == "partner" else None
    levels = _at_level(
        HoursHistogram.objects.filter(_days(scope, zone), agency_id=scope.agency_id, measure=measure), scope, wanted
    )
    if by == "partner" and scope.partner_id is None and partners is not None:
        levels = levels.filter(partner_id__in=partners)
    counts: dict = {}
    for *key, bin_, n in levels.values_list(*([group] if group else []), "bin").annotate(total=Sum("n")).order_by():
        counts.setdefault(key[0] if group else None, {})[bin_] = n
    # Per group: where each middle value is, as (bin, index within the bin).
    places: dict = {}
    for key, bins in counts.items():
        wanted_positions = _middle_positions(sum(bins.values()))
        found, seen = [], 0
        for bin_ in sorted(bins):
            for position in wanted_positions:
                if seen <= position < seen + bins[bin_]:
                    found.append((bin_, position - seen))
            seen += bins[bin_]
        places[key] = found
    if not places:
        return {}
    from django.db import connection

    if connection.vendor == "postgresql":
        # One SELECT per bin holding middle values, put together by UNION ALL: the bin's
        # hours (an index range of their own) sorted in the database, the one or two at
        # the middle places kept (OFFSET, LIMIT): a row per middle value comes back, however
        # full the bin.
        wanted_places: dict = {}
        for key, found in places.items():
            for bin_, index in found:
                wanted_places.setdefault((key, bin_), set()).add(index)
        parts = [
            facts(scope, zone)
            .filter(**{bin_field: bin_, f"{field}__isnull": False}, **({group: key} if group else {}))
            .annotate(place=Value(min(indexes), output_field=IntegerField()))
            .values_list(*([group] if group else []), bin_field, "place", field)
            .order_by(field)[min(indexes) : max(indexes) + 1]
            for (key, bin_), indexes in wanted_places.items()
        ]
        found_values: dict = {}
        for *key, bin_, first, value in _union(parts):
            found_values.setdefault((key[0] if group else None, bin_, first), []).append(value)
        values = {}
        for (key, bin_, first), held in found_values.items():
            # Two adjacent places of one bin (the order of a UNION's rows is not promised):
            # the smaller value is at the first place.
            values.update({(key, bin_, first + i): value for i, value in enumerate(sorted(held))})
    else:
        # Elsewhere (SQLite: no ORDER BY or LIMIT in a compound's parts) the bins' hours.
        parts = [
            facts(scope, zone)
            .filter(**{bin_field: bin_}, **({group: key} if group else {}))
            .values_list(*([group] if group else []), bin_field, field)
            for key, found in places.items()
            for bin_ in sorted({bin_ for bin_, _i in found})
        ]
        held: dict = {}
        for *key, bin_, value in _union(parts):
            held.setdefault((key[0] if group else None, bin_), []).append(value)
        values = {}
        for (key, bin_), hours in held.items():
            hours.sort()
            values.update({(key, bin_, index): value for index, value in enumerate(hours)})
    medians = {}
    for key, ((low_bin, low), (high_bin, high)) in places.items():
        a, b = values[(key, low_bin, low)], values[(key, high_bin, high)]
        medians[key] = a if (low_bin, low) == (high_bin, high) else (a + b) / 2
    return medians


def _union(parts: list):
    # UNION ALL, each part an index range of its own (an OR of them reads the whole
    # period's facts, as the planner prefers at 1M).
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


def median_hours_to_intake_from_rollups(scope: Scope, zone) -> float | None:
    return _median_from_histogram(scope, zone, "intake").get(None)


def partner_medians_from_rollups(scope: Scope, zone, *, partners: list[int] | None = None) -> dict[int, float]:
    """Median hours to accept per partner (`partners`: all that had a deflection in the scope)."""
    return _median_from_histogram(scope, zone, "accept", by="partner", partners=partners)


def partner_rejections_from_rollups(scope: Scope, zone) -> list[tuple[int, str, int]]:
    """Rejections per partner and reason, most first: from RejectionRollup (kept per partner
    alone), or the facts for a scope with a unit or pathway filter."""
    from reports.models import RejectionRollup

    wanted = _wanted(scope, "partner")
    if all(wanted.values()):
        rows = facts(scope, zone).filter(reject_reason__isnull=False).values_list("partner_id", "reject_reason")
        return list(rows.annotate(n=Count("id")).order_by("-n", "reject_reason"))
    rows = _at_level(RejectionRollup.objects.filter(_days(scope, zone), agency_id=scope.agency_id), scope, wanted)
    return list(rows.values_list("partner_id", "reason").annotate(n=Sum("n")).order_by("-n", "reason"))
