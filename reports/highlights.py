"""Highlights: the program's wins for every officer and supervisor, and an officer's own.

The department's wins carry no client identity: milestones of the agency, its units and
partners (an officer's first is theirs alone), stories the client agreed to share and a
program administrator approved, the latest change made from officers' suggestions, and the
week's counts of the agency's own police work, shown exactly (small numbers are the wins).

The milestones, stories and latest change are the same for every officer of the agency, who
load the Wins below the log form many times a shift: they are kept in the shared cache for a
minute, and forgotten as soon as they change (reports.wins_cache).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import F, Min
from django.utils import timezone

from buyin.selectors.suggestions import you_said_we_did
from deflection.models import Agency, Program, User
from referrals import police_disclosure
from referrals.models import Referral
from reports import metrics, wins_cache
from reports.digest import agency_zone
from reports.models import Milestone, SuccessStory

MILESTONES_SHOWN = 5
STORIES_SHOWN = 3


@dataclass(frozen=True)
class WeekTotals:
    """The agency's police work since Monday 00:00 in its time zone: exact counts."""

    since: datetime
    deflections: int
    overdose_reversals: int
    hours_saved: float


@dataclass(frozen=True)
class PersonalMilestones:
    """An officer's own wins: shown to them alone, and never beside anyone else's."""

    deflections: int
    first_deflection_at: datetime | None
    hours_saved: float
    # Counts of clients whose intake or retention police may see (their consent allows it).
    reached_intake: int
    first_intake_at: datetime | None
    retained: int
    first_retained_at: datetime | None


@dataclass(frozen=True)
class AgencyWins:
    """The agency's milestones, stories and latest change: the same for each of its officers
    and supervisors, and rarely changed."""

    milestones: list[Milestone]
    stories: list[SuccessStory]
    latest_change: dict | None


@dataclass(frozen=True)
class Highlights:
    """What the officer's Wins section shows."""

    milestones: list[Milestone]
    stories: list[SuccessStory]
    latest_change: dict | None
    week: WeekTotals
    mine: PersonalMilestones


# The counts of Totals the highlights show, from the metrics module's definitions. Not the
# re-engagements: their join reads every referral of the agency (47 ms over an officer's
# 2,000 referrals at 100k, against 1.5 ms without it), and the highlights do not show them.
POLICE_WORK = ("deflections", "naloxone", "charged", "charged_minutes")


def _police_work(scope: metrics.Scope, *, first: bool = False) -> tuple[metrics.Totals, datetime | None]:
    """Totals of the scope's police work in one query (the counts not read are zero) and,
    if asked, when the first of the deflections counted occurred."""
    counts = metrics.referral_counts()
    wanted = {name: counts[name] for name in POLICE_WORK}
    if first:
        wanted["first"] = Min("occurred_at", filter=counts["deflections"].filter)
    sums = metrics.logged(scope).aggregate(**wanted)
    return metrics.Totals(**{name: sums.get(name) or 0 for name in metrics.COUNTS}), sums.get("first")


def week_totals(*, agency: Agency, now: datetime | None = None) -> WeekTotals:
    """The agency's deflections, overdose reversals and hours saved versus arrest this week."""
    now = now or timezone.now()
    local = now.astimezone(agency_zone(agency))
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time.min, tzinfo=local.tzinfo)
    totals, _first = _police_work(metrics.Scope(agency.pk, monday, now))
    return WeekTotals(
        since=monday,
        deflections=totals.deflections,
        overdose_reversals=totals.naloxone,
        hours_saved=metrics.savings_from(totals, agency).hours_saved,
    )


def personal_milestones(*, user: User) -> PersonalMilestones:
    """The signed-in officer's own milestones; intake and retention only as consent lets
    police see them (police_disclosure's rules), and as counts, never whose."""
    officer = getattr(user, "officer", None)
    mine = metrics.Scope(user.agency_id, officer_id=officer.pk if officer else -1)  # type: ignore[arg-type]
    totals, first = _police_work(mine, first=True)
    # Only referrals with a consent to the agency can show police an intake or a retention.
    consented = (
        Referral.objects.filter(officer_id=mine.officer_id, consents__recipient_agency_id=F("agency_id"))
        .distinct()
        .order_by()
    )
    views = [view for _referral, view in police_disclosure.officer_views(consented)]
    intakes = sorted(v.intake_at for v in views if v.intake_at)
    retained = sorted(v.retained_at for v in views if v.retained_at)
    return PersonalMilestones(
        deflections=totals.deflections,
        first_deflection_at=first,
        hours_saved=metrics.savings_from(totals, user.agency).hours_saved,  # type: ignore[arg-type]
        reached_intake=len(intakes),
        first_intake_at=intakes[0] if intakes else None,
        retained=len(retained),
        first_retained_at=retained[0] if retained else None,
    )


def _agency_wins_now(agency: Agency) -> AgencyWins:
    milestones = list(
        Milestone.objects.filter(agency_id=agency.pk)
        .exclude(kind=Milestone.Kind.OFFICER_FIRST)  # an officer's first is theirs alone
        .select_related("unit", "partner")[:MILESTONES_SHOWN]
    )
    stories = list(
        SuccessStory.objects.filter(SuccessStory.SHARED, agency_id=agency.pk).order_by("-reviewed_at", "-pk")[
            :STORIES_SHOWN
        ]
    )
    # The agency's program (for whom may see highlights, permissions.programs_of is just that).
    programs = Program.objects.filter(agencies=agency.pk)
    return AgencyWins(milestones=milestones, stories=stories, latest_change=you_said_we_did(programs=programs).first())


def agency_wins(*, agency: Agency) -> AgencyWins:
    """The agency's milestones, stories and latest change, from the shared cache if there."""
    return wins_cache.AGENCY_WINS.get(agency.pk, AgencyWins, lambda: _agency_wins_now(agency))


def highlights_for(*, user: User, now: datetime | None = None) -> Highlights:
    """The program's wins for an officer or supervisor of an agency, and their own. The
    week's counts are counted at each read: a deflection just logged is in them."""
    wins = agency_wins(agency=user.agency)  # type: ignore[arg-type]
    return Highlights(
        milestones=wins.milestones,
        stories=wins.stories,
        latest_change=wins.latest_change,
        week=week_totals(agency=user.agency, now=now),  # type: ignore[arg-type]
        mine=personal_milestones(user=user),
    )
