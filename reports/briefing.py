"""The roll-call briefing: each Monday a one-page briefing per unit that a sergeant reads out or
posts, on screen, as a PDF, and by email to the unit's supervisors (07:00 in the agency's time
zone, the same week as the digest).

It lives in reports, not in buyin, because it reads reports' metrics and success stories (and
buyin sits below reports). Exactly once, as the digest: the Briefing row is unique per unit and
week, claimed while it is sent and marked sent once the mail server accepted it. No client
identity anywhere: counts, approved stories, named officers who agreed to be named, and a
change made from officers' feedback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from buyin.letters import one_page_document
from buyin.models.suggestions import Topic
from buyin.selectors.recognition import commendations_of_week
from buyin.selectors.suggestions import you_said_we_did
from deflection import l10n
from deflection.models import Agency, Program, Unit, User
from deflection.permissions import in_program, may_read_briefing, may_see_briefings
from deflection.replica import from_replica
from reports import metrics
from reports.digest import Mail, agency_zone, reported_week, weekly_mail_send
from reports.models import Briefing, SuccessStory

MAX_STORIES = 3
# Stories approved in the four weeks up to the briefing's week: a quiet week still has one to read.
STORY_WINDOW = timedelta(days=28)
# "You said, we did": the latest change of the last eight weeks, or none (old news is not news).
CHANGE_WINDOW = timedelta(weeks=8)


@dataclass(frozen=True)
class BriefingCounts:
    """A week's figures of the agency's own police work, shown exactly (no partner's
    treatment record is counted here, so the "<11" rule does not apply)."""

    deflections: int
    overdose_reversals: int
    hours_saved: float
    officers_deflecting: int


def briefing_counts(scope: metrics.Scope) -> BriefingCounts:
    """The briefing's figures for a unit's or the whole agency's week."""
    officers = metrics.officers_deflecting(
        agency_id=scope.agency_id, since=scope.start, until=scope.end, unit_id=scope.unit_id
    )
    return BriefingCounts(
        deflections=metrics.deflections(scope),
        overdose_reversals=metrics.overdose_reversals(scope),
        hours_saved=metrics.savings(scope).hours_saved,
        officers_deflecting=len(officers),
    )


def week_bounds(agency: Agency, week_start: date) -> tuple[datetime, datetime]:
    """The week's Monday midnight to the next, in the agency's zone."""
    start = datetime.combine(week_start, time.min, tzinfo=agency_zone(agency))
    return start, start + timedelta(days=7)


def _stories(unit: Unit, end: datetime) -> list[SuccessStory]:
    """Up to three stories shared with consent and approved for the digest, the unit's first."""
    own = Case(When(referral__officer__unit_id=unit.pk, then=Value(0)), default=Value(1), output_field=IntegerField())
    stories = SuccessStory.objects.filter(
        SuccessStory.SHARED,
        agency_id=unit.agency_id,
        reviewed_at__gte=end - STORY_WINDOW,
        reviewed_at__lt=end,
    )
    return list(stories.annotate(own=own).order_by("own", "-reviewed_at", "-pk")[:MAX_STORIES])


# Besides the commendation told in full, the others whose officers agreed to be named are
# listed by name, up to this many: the briefing stays one page.
ALSO_NAMED = 4


def _recognition(unit: Unit, start: datetime, end: datetime) -> dict:
    """The week's commendations: one told in full (the unit's first), the others whose officers
    agreed to be named listed by name, and how many more there were (never named)."""
    week = commendations_of_week(agency=unit.agency, start=start, end=end)
    named = sorted(week.named, key=lambda c: c.officer.unit_id != unit.pk)
    first = named[0] if named else None
    # Each officer named once: not again beside their commendation told in full, nor twice.
    seen = {first.officer_id} if first else set()
    also = []
    for c in named[1:]:
        if c.officer_id not in seen and len(also) < ALSO_NAMED:
            seen.add(c.officer_id)
            also.append(c)
    more = (len(named) - 1 - len(also) if named else 0) + week.others
    return {"commendation": first, "also": also, "more": more}


def _change(week_end: date, *, agency: Agency) -> dict | None:
    """The latest "You said, we did" item of the agency's program changed by the end of the week, if recent."""
    for item in you_said_we_did(programs=Program.objects.filter(pk=agency.program_id)):
        if item["changed_on"] > week_end:
            continue
        if item["changed_on"] < week_end - CHANGE_WINDOW:
            return None
        return {**item, "topic_label": Topic(item["topic"]).label}
    return None


def briefing_url(unit: Unit, week_start: date) -> str:
    """The briefing's page: unit and week only in the query, never anything of a client."""
    return f"{reverse('reports:briefing')}?unit={unit.pk}&week={week_start.isoformat()}"


def briefing_context(*, unit: Unit, week_start: date) -> dict:
    """Everything the briefing says, for the page, the PDF and the email."""
    agency = unit.agency
    start, end = week_bounds(agency, week_start)
    week_end = week_start + timedelta(days=6)
    return {
        "unit": unit,
        "agency": agency,
        "week_start": week_start,
        "week_end": week_end,
        "unit_counts": briefing_counts(metrics.Scope(agency.pk, start, end, unit_id=unit.pk)),
        "agency_counts": briefing_counts(metrics.Scope(agency.pk, start, end)),
        "stories": _stories(unit, end),
        "recognition": _recognition(unit, start, end),
        "change": _change(week_end, agency=agency),
        "page_url": settings.SITE_URL.rstrip("/") + briefing_url(unit, week_start),
    }


def briefing_subject(context: dict) -> str:
    """The email's subject: the unit and the week, nothing else."""
    return _("%(unit)s roll-call briefing, week of %(date)s") % {
        "unit": context["unit"].name,
        "date": l10n.month_day(context["week_start"]),
    }


def briefing_document(*, unit: Unit, week_start: date):
    """The briefing laid out on one page (a long week is set a size smaller, not on two sheets)."""
    context = briefing_context(unit=unit, week_start=week_start)
    return one_page_document(template="reports/briefing_pdf.html", context=context)


def briefing_pdf(*, unit: Unit, week_start: date) -> bytes:
    """The printable briefing, as a PDF."""
    return briefing_document(unit=unit, week_start=week_start).write_pdf()


def briefing_units(*, user: User) -> QuerySet[Unit]:
    """The units whose briefing the user may read: a supervisor's own, command staff's
    agency's, every unit of the program for program administration."""
    units = Unit.objects.select_related("agency").order_by("agency__name", "name")
    if not may_see_briefings(user):
        return units.none()
    if user.is_program_admin:
        return in_program(units, user)
    if user.is_command:
        return units.filter(agency_id=user.agency_id)
    return units.filter(pk=user.unit_id)


def briefing_unit_get(*, user: User, unit_id: str | None) -> Unit:
    """The unit asked for (or the user's own, else their first), or a 404 if it is not theirs."""
    if not unit_id:
        units = briefing_units(user=user)
        unit = units.filter(pk=user.unit_id).first() or units.first()
    else:
        unit = Unit.objects.select_related("agency").filter(pk=unit_id).first() if unit_id.isdigit() else None
    if unit is None or not may_read_briefing(user, unit=unit):
        raise Http404
    return unit


def supervisors_of(unit: Unit) -> list[tuple[str, list[str]]]:
    """The addresses of the unit's active supervisors, grouped by their language."""
    return l10n.addresses_by_language(User.objects.filter(is_active=True, role=User.Role.SUPERVISOR, unit=unit))


def briefing_send(*, unit_id: int, week_start: date) -> Briefing | None:
    """Email one unit's briefing for one week to its supervisors, once (claimed, sent outside
    any transaction, marked: deflection/claims.py). Returns it, or None if it was sent already
    or is being sent."""
    unit = Unit.objects.select_related("agency").get(pk=unit_id)

    def compose() -> Mail:
        # Like the digest's, its figures may come from the read replica (last week's).
        with from_replica():
            context = briefing_context(unit=unit, week_start=week_start)
            return Mail(
                subject=f"{unit.agency.name}: {briefing_subject(context)}",
                text=render_to_string("reports/briefing_email.txt", context),
                html=render_to_string("reports/briefing_email.html", context),
            )

    return weekly_mail_send(
        Briefing, {"unit_id": unit_id, "week_start": week_start}, readers=lambda: supervisors_of(unit), compose=compose
    )


def briefings_send_due(*, now: datetime | None = None) -> int:
    """For the beat: send every unit's briefing that is due (from Monday 07:00 in its agency's
    zone) and not sent; a briefing missed on Monday goes out at the next run that week."""
    now = now or timezone.now()
    sent = 0
    for agency in Agency.objects.prefetch_related("units"):
        week_start, due = reported_week(agency, now)
        if not due:
            continue
        done = set(
            Briefing.objects.filter(unit__agency=agency, week_start=week_start, sent_at__isnull=False).values_list(
                "unit_id", flat=True
            )
        )
        for unit in agency.units.all():
            if unit.pk not in done and briefing_send(unit_id=unit.pk, week_start=week_start):
                sent += 1
    return sent
