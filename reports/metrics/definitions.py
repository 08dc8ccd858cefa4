"""The metric definitions: each figure computed from the referrals themselves, as
DESIGN.md words it. They are the oracle: the reads from the rollups (from_rollups.py)
must give the same numbers (tests/test_rollups.py), and whatever the rollups cannot
answer is read here

Definitions (DESIGN.md):
- Deflections: referrals logged in the period, less those their officer cancelled
  (referrals.models.IS_DEFLECTION: a partner's cancelling is its record, and moves no count).
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
- Re-engagements: referrals of clients whose previous deflection had closed
  before this one was logged, or was to another partner (referrals.models.REENGAGEMENT).
  Seen again while a referral is open at the same partner is an officer contact on it:
  not a deflection, not a re-engagement.
- Trained officers: officers who attended a training session held on or before the day.
  Officer participation of trained and of untrained officers: the same metric, its officers
  (those deflecting, and the active ones) split in two by that; the two add up to the whole
  (computed in training.py).
- Officer contacts: those encounters, counted on their own (the officer's record); the
  figures above count referrals only.
- Charges held (officer intervention): deflections with a charge held in abeyance, less
  withdrawn ones; of them satisfied (condition met: to be dropped), not satisfied (deadline
  passed without it) and pending (still held); share satisfied: of those decided (charges.py).
- Small cells: which counts show 1 to 10 as "<11", and to whom, is decided in disclosure.py.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from deflection.models import Agency
from referrals.models import (
    IS_DEFLECTION,
    REENGAGEMENT,
    RETENTION_RECORDED_WITHIN,
    FollowUp,
    HeldCharge,
    Officer,
    OfficerContact,
    Pathway,
    Referral,
)
from reports.metrics.disclosure import Kind, rule_of, shown_count

RETENTION_DAYS = (30, 60, 90)
PARTICIPATION_WINDOW = timedelta(days=30)


def small_cell(count: int | None) -> str:
    """A count from the partners' treatment records as anyone sees it: 1..10 become "<11"."""
    return shown_count(count, kind=Kind.TREATMENT)


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
        """The period of the same length just before this one: as many whole months when it
        is whole months (the dashboard's: two periods a day apart would give one day's
        figures away), else as many days."""
        if self.start is None or self.end is None:
            raise ValueError("previous() needs a bounded period")
        months = _whole_months(self.start, self.end)
        start = months_before(self.start, months) if months else self.start - (self.end - self.start)
        return Scope(
            self.agency_id,
            start,
            self.start,
            self.unit_id,
            self.pathway,
            self.partner_id,
            self.officer_id,
        )


def _whole_months(start: datetime, end: datetime) -> int:
    """How many months from start to end when both begin a month (at midnight, in their own
    time zone); else 0."""
    if any(moment.day != 1 or moment.time() != time.min for moment in (start, end)):
        return 0
    return (end.year - start.year) * 12 + end.month - start.month


def months_before(moment: date | datetime, months: int) -> date | datetime:
    """The same day and time so many calendar months before (after, for a negative number);
    meant for the first of a month."""
    index = moment.year * 12 + moment.month - 1 - months
    return moment.replace(year=index // 12, month=index % 12 + 1)


def _in_scope(qs: QuerySet, scope: Scope, *, agency: str, partner: str) -> QuerySet:
    """Rows of the scope's agency, period and filters, by when they happened; `agency` and
    `partner` name the lookups that lead to them (a contact's partner is its referral's)."""
    qs = qs.filter(**{agency: scope.agency_id})
    if scope.start is not None:
        qs = qs.filter(occurred_at__gte=scope.start)
    if scope.end is not None:
        qs = qs.filter(occurred_at__lt=scope.end)
    if scope.unit_id is not None:
        qs = qs.filter(officer__unit_id=scope.unit_id)
    if scope.pathway:
        qs = qs.filter(pathway=scope.pathway)
    if scope.partner_id is not None:
        qs = qs.filter(**{partner: scope.partner_id})
    if scope.officer_id is not None:
        qs = qs.filter(officer_id=scope.officer_id)
    return qs


def logged(scope: Scope) -> QuerySet[Referral]:
    """Referrals logged in the scope, those cancelled by their officer included."""
    return _in_scope(Referral.objects.all(), scope, agency="agency_id", partner="partner_id")


def deflections_qs(scope: Scope) -> QuerySet[Referral]:
    """The scope's deflections: referrals logged in it, less those their officer cancelled."""
    return logged(scope).filter(IS_DEFLECTION)


def deflections(scope: Scope) -> int:
    """How many deflections the scope has."""
    return deflections_qs(scope).count()


def by_pathway(scope: Scope) -> list[tuple[str, str, int]]:
    """The scope's deflections per pathway: (code, label, count), every pathway listed."""
    counts = dict(deflections_qs(scope).values_list("pathway").annotate(n=Count("id")).values_list("pathway", "n"))
    return [(value, str(label), counts.get(value, 0)) for value, label in Pathway.choices]


def engagement_rate(scope: Scope) -> float | None:
    """Of the scope's deflections, the share that reached intake; None without deflections."""
    totals = deflections_qs(scope).aggregate(
        n=Count("id"), intake=Count("id", filter=Q(counted_intake_at__isnull=False))
    )
    return totals["intake"] / totals["n"] if totals["n"] else None


def median_hours_to_intake(scope: Scope) -> float | None:
    """The median hours from deflection to intake; None without intakes."""
    pairs = (
        deflections_qs(scope).filter(counted_intake_at__isnull=False).values_list("occurred_at", "counted_intake_at")
    )
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
    """Retention at `days`: of deflections with intake whose checkpoint has come due (come_due_by),
    those still engaged (engaged_at)."""
    now = now or timezone.now()
    with_intake = deflections_qs(scope).filter(
        counted_intake_at__isnull=False, counted_intake_at__lte=come_due_by(now, days)
    )
    totals = with_intake.aggregate(due=Count("id"), retained=Count("id", filter=engaged_at(days)))
    return Retention(days=days, due=totals["due"], retained=totals["retained"])


def come_due_by(now: datetime, days: int) -> datetime:
    """The last intake whose check at `days` the figures count by `now`: the check's due day
    and the time the partner has to record it (RETENTION_RECORDED_WITHIN) both past. Counted
    then at once, whenever it was recorded, the figure moves on a day set by the intake alone."""
    return now - timedelta(days=days) - RETENTION_RECORDED_WITHIN


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


def officers_deflecting(*, agency_id: int, since: datetime, until: datetime, unit_id: int | None = None) -> set[int]:
    """The officers with a deflection in [since, until)."""
    window = Scope(agency_id, since, until, unit_id)
    return set(deflections_qs(window).values_list("officer_id", flat=True).distinct().order_by())


def overdose_reversals(scope: Scope) -> int:
    """Deflections with naloxone administered."""
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
    """Time and cost saved versus arrest over the scope's deflections with a charge deflected."""
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
    """Deflections that are re-engagements (referrals.models.REENGAGEMENT)."""
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
    qs = _in_scope(OfficerContact.objects.all(), scope, agency="officer__agency_id", partner="referral__partner_id")
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
    """From logged to accepted, intake and retained: the scope's deflections at each step."""
    totals = deflections_qs(scope).aggregate(
        n=Count("id"),
        accepted=Count("id", filter=Q(counted_accepted_at__isnull=False)),
        intake=Count("id", filter=Q(counted_intake_at__isnull=False)),
    )
    return Funnel(
        logged=totals["n"],
        accepted=totals["accepted"],
        intake=totals["intake"],
        retained={days: retention(scope, days, now=now) for days in RETENTION_DAYS},
    )


# Where a deflection stands, as the command page counts it: a partner's cancelling with its
# declines (each closes a referral the partner did not take on). A row of its own would hold a
# few a month, and a month with a status of 1 to 10 withholds the whole table
# (cohorts.standing_shown).
STANDING = Case(
    When(counted_status=Referral.Status.CANCELLED, then=Value(Referral.Status.REJECTED.value)),
    default=F("counted_status"),
    output_field=CharField(),
)
STANDING_LABELS = {
    value: _("Declined or cancelled by the partner") if value == Referral.Status.REJECTED else label
    for value, label in Referral.Status.choices
    if value != Referral.Status.CANCELLED
}


# Kept for the command page: the counts it shows (aggregates only).
@dataclass(frozen=True)
class AgencyCounts:
    deflections: int
    by_pathway: list[tuple[str, int]]
    by_status: list[tuple[str, int]]
    overdose_reversals: int
    officers_participating: int


def agency_counts(*, agency_id: int, start: datetime | None = None, end: datetime | None = None) -> AgencyCounts:
    """The command page's counts of the agency's deflections over the period."""
    scope = Scope(agency_id, start, end)
    qs = deflections_qs(scope)
    status_counts = dict(qs.annotate(standing=STANDING).values_list("standing").annotate(n=Count("id")).order_by())
    return AgencyCounts(
        deflections=qs.count(),
        by_pathway=[(label, n) for _value, label, n in by_pathway(scope)],
        # They add up to the deflections, the partners' cancellings among them.
        by_status=[(label, status_counts.get(value, 0)) for value, label in STANDING_LABELS.items()],
        overdose_reversals=overdose_reversals(scope),
        officers_participating=qs.values("officer_id").distinct().count(),
    )


# The definitions in words, for the export's codebook and the dashboard's notes; each with
# the figure's kind (disclosure.FIGURE_KINDS), whose small-numbers rule the codebook adds.
_DEFINED: list[tuple[str, str, str]] = [
    (
        _("Deflections"),
        _(
            "Referrals logged in the period, less those their officer withdrew or marked entered in error. "
            "A referral the partner cancelled counts, like one it declined."
        ),
        "deflections",
    ),
    (_("Engagement rate"), _("Of deflections logged in the period, the share that reached intake."), "intake"),
    (_("Time to intake"), _("Median hours from the deflection to intake."), "time_to_intake"),
    (
        _("Retention at 30/60/90 days"),
        _(
            "Of deflections with intake, the share still engaged at the checkpoint (its retention check completed "
            "'reached and engaged' within 30 days of its due day), counting only those whose checkpoint and the 30 "
            "days after it have passed."
        ),
        "retained",
    ),
    (
        _("Officer participation"),
        _("Distinct officers with a deflection in the last 30 days, over the agency's active officers."),
        "officer_participation",
    ),
    (
        _("Officers trained; participation of trained and untrained officers"),
        _(
            "Officers trained: active officers who attended at least one training session by the end of the period, "
            "over the agency's active officers. Officer participation (above) of the trained officers and of the "
            "others, each over its own active officers; the two add up to officer participation. Shown exactly to "
            "the agency's own staff (these are officers, not clients), as n of m when fewer than 5 officers."
        ),
        "officer_participation",
    ),
    (
        _("Overdose reversals"),
        _(
            "Deflections with naloxone administered. Naloxone given at an officer contact (below) is not in this "
            "figure: the officer's own record counts it with their contacts."
        ),
        "overdose_reversals",
    ),
    (
        _("Time saved versus arrest"),
        _("Over deflections with a charge deflected: the agency's booking minutes minus the officer's minutes."),
        "time_saved",
    ),
    (
        _("Cost avoided"),
        _("Deflections with a charge deflected, times the agency's cost of an arrest and booking."),
        "cost_avoided",
    ),
    (
        _("Re-engagements"),
        _(
            "Deflections of clients whose previous deflection had closed before this one was logged, "
            "or was to another partner."
        ),
        "reengagements",
    ),
    (
        _("Officer contacts"),
        _(
            "A client seen again by an officer while their referral to the same partner is still open: added to "
            "that referral, not a new referral. Not counted in deflections, re-engagements, overdose reversals or "
            "time saved."
        ),
        "officer_contacts",
    ),
    (
        _("Charges held in abeyance"),
        _(
            "Officer intervention deflections with a charge held while the person engages, less withdrawn ones, by "
            "the month of the deflection (agency time) and the officer's unit: satisfied (the condition, intake or "
            "staying engaged so many days, met by the deadline: the charge is to be dropped), not satisfied (the "
            "deadline passed without it) and pending (still held); they add up to the charges held. Share satisfied: "
            "of those decided."
        ),
        "charges_held",
    ),
    (
        _("Partner scorecard"),
        _(
            "Per partner: referrals received (those it cancelled included), the share accepted, the median hours to "
            "accept, the reasons for declining and the share that reached intake."
        ),
        "partner_scorecard",
    ),
]
DEFINITIONS: list[tuple[str, str]] = [
    *[
        (name, format_lazy(_("{meaning} Small numbers: {rule}"), meaning=meaning, rule=rule_of(figure)))
        for name, meaning, figure in _DEFINED
    ],
    (
        _("Small cells"),
        _(
            "Counts of the agency's own police work (deflections, pathways, naloxone, officers deflecting, time saved) "
            "are exact for the agency's own staff, small numbers included. Counts from the partners' treatment records "
            "(accepted, declined and why, cancelled by the partner, intake, retained, completed: 42 CFR Part 2) show 1 "
            "to 10 as <11, and where a total is shown the smallest other cells are withheld (—) so that none can be "
            "worked out by subtraction. A month's deflections are counted as the partners had recorded them by the "
            "first of the month after next (November's on 1 January), and never again: a figure that moved later "
            "would tell, by how it moved, one client's outcome. Retention takes each client in once, when their "
            "checkpoint and the 30 days after it have passed. "
            "Whatever leaves the agency (this export, another agency, anything published) shows every count from 1 to "
            "10 as <11. Officers' feedback and survey answers need at least 5 in a cell."
        ),
    ),
    (
        _("Non-enforcement engagements"),
        _(
            "Officers' check-ins with people they referred (saw them doing well, offered help again, other), counted "
            "on the day of the check-in (agency time), by the officer's unit and the referral's pathway and partner; "
            "a referral open or closed. The agency's own police work: shown exactly to its own staff."
        ),
    ),
]


# ---------------------------------------------------------------------------
# Totals and scorecards for the dashboard.
# ---------------------------------------------------------------------------


def engaged_at(days: int, *, counted: bool = True) -> Exists:
    """Whether a referral's retention check at `days` was completed "reached and engaged": what
    "still engaged at the checkpoint" means, for the figures and the export alike. The figures
    (`counted`) take only a check recorded within the time the partner has to record it
    (RETENTION_RECORDED_WITHIN): recorded later, they have counted the client already
    (come_due_by), as not engaged. The export's rows are the record, whenever it was made."""
    checks = FollowUp.objects.filter(
        referral=OuterRef("pk"),
        kind=f"retention_{days}",
        completed_at__isnull=False,
        outcome=FollowUp.Outcome.ENGAGED,
    )
    if counted:
        # From the counted intake, as come_due_by counts: not the check's own due day, which the
        # admin may edit.
        due = OuterRef("counted_intake_at") + timedelta(days=days)
        checks = checks.filter(
            completed_at__lte=ExpressionWrapper(due + RETENTION_RECORDED_WITHIN, output_field=DateTimeField())
        )
    return Exists(checks)


@dataclass(frozen=True)
class Totals:
    """The counts the headline figures are made from; the rollups keep the same per day."""

    logged: int
    deflections: int
    accepted: int
    intake: int
    naloxone: int
    charged: int
    charged_minutes: int
    reengagements: int
    charges_held: int
    charges_satisfied: int
    charges_not_satisfied: int
    charges_pending: int


def referral_counts() -> dict[str, Aggregate]:
    """The aggregates of Totals over referrals (grouped per day and cell by the rollups)."""
    charged = IS_DEFLECTION & ~Q(charge_deflected="")
    state = HeldCharge.State
    held = [state.HELD, state.SATISFIED, state.NOT_SATISFIED]  # withdrawn ones are not counted
    return {
        # As counted on the deflection's count day (HeldCharge.counted_state).
        "charges_held": Count("id", filter=IS_DEFLECTION & Q(held_charge__counted_state__in=held)),
        "charges_satisfied": Count("id", filter=IS_DEFLECTION & Q(held_charge__counted_state=state.SATISFIED)),
        "charges_not_satisfied": Count("id", filter=IS_DEFLECTION & Q(held_charge__counted_state=state.NOT_SATISFIED)),
        "charges_pending": Count("id", filter=IS_DEFLECTION & Q(held_charge__counted_state=state.HELD)),
        "logged": Count("id"),
        "deflections": Count("id", filter=IS_DEFLECTION),
        "accepted": Count("id", filter=IS_DEFLECTION & Q(counted_accepted_at__isnull=False)),
        "intake": Count("id", filter=IS_DEFLECTION & Q(counted_intake_at__isnull=False)),
        "naloxone": Count("id", filter=IS_DEFLECTION & Q(naloxone_administered=True)),
        "charged": Count("id", filter=charged),
        "charged_minutes": Sum("officer_minutes", filter=charged),
        "reengagements": Count("id", filter=REENGAGEMENT),
    }


# The names of Totals' counts: the rollups' columns of the same names.
COUNTS = tuple(f.name for f in fields(Totals))


def totals_from_referrals(scope: Scope) -> Totals:
    """The scope's Totals, counted from the referrals themselves."""
    sums = logged(scope).aggregate(**referral_counts())
    return Totals(**{name: sums[name] or 0 for name in COUNTS})


def savings_from(totals: Totals, agency: Agency) -> Savings:
    """Time and cost saved versus arrest from Totals already counted, at the agency's booking time and cost."""
    return Savings(
        charges_deflected=totals.charged,
        minutes_saved=totals.charged * agency.booking_minutes - totals.charged_minutes,
        cost_avoided=agency.booking_cost * totals.charged,
    )


@dataclass(frozen=True)
class PartnerScore:
    partner_id: int
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


def partner_figures(scope: Scope) -> tuple[dict[int, dict[str, int]], dict[int, float], list[tuple[int, str, int]]]:
    """Per partner: referrals received, accepted and at intake; the median hours to accept;
    and rejections per reason, most first (partner_scorecard puts them together)."""
    qs = deflections_qs(scope)
    totals = {
        row["partner_id"]: row
        for row in qs.values("partner_id")
        .annotate(
            received=Count("id"),
            accepted=Count("id", filter=Q(counted_accepted_at__isnull=False)),
            intake=Count("id", filter=Q(counted_intake_at__isnull=False)),
        )
        .order_by()
    }
    hours: dict[int, list[float]] = {}
    for partner_id, occurred, accepted in (
        qs.filter(counted_accepted_at__isnull=False)
        .values_list("partner_id", "occurred_at", "counted_accepted_at")
        .order_by()
    ):
        hours.setdefault(partner_id, []).append((accepted - occurred).total_seconds() / 3600)
    medians = {partner_id: statistics.median(values) for partner_id, values in hours.items()}
    rejected = list(
        qs.filter(counted_status=Referral.Status.REJECTED)
        .values_list("partner_id", "counted_status_reason")
        .annotate(n=Count("id"))
        .order_by("-n", "counted_status_reason")
    )
    return totals, medians, rejected
