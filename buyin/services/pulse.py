"""Pulse survey writes: a wave is created, opens (its audience fixed and invited), reminds
once, and takes one anonymous answer from each person asked.

Invitations and reminders are sent like follow-up reminders (deflection/claims.py): each
person's row is claimed in a short transaction (a row lock, SKIP LOCKED), the mail is sent
outside it, and the row is marked only after the mail server took the message, so a doubled
or retried sweep sends nothing twice. Emails carry a link and the closing date, nothing else.
"""

from __future__ import annotations

import logging
import random
import uuid
import zoneinfo
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from smtplib import SMTPException, SMTPRecipientsRefused

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buyin.menu import forget_menus
from buyin.models import PulseAnswer, PulseParticipation, PulseSurvey
from buyin.models.pulse import SCORES
from deflection import l10n
from deflection.claims import send_claimed
from deflection.models import Agency, Unit, User
from deflection.permissions import FIELD_ROLES, administers_agency, may_run_pulse
from partners.models import ServicePartner

logger = logging.getLogger(__name__)

# Drawn from the talk the program is built on: what decides whether officers deflect.
DEFAULT_STATEMENTS = (
    gettext_lazy("Deflection is a useful tool for me."),
    gettext_lazy("Deflecting someone is easier than an arrest and booking."),
    gettext_lazy("I find out what happens after I refer someone."),
    gettext_lazy("Leadership supports deflection."),
    gettext_lazy("I would recommend deflecting to a colleague."),
    gettext_lazy("My supervisor encourages deflection."),
)
DEFAULT_OPEN_QUESTION = gettext_lazy("What one change would make deflection work better for you?")
# The reminder goes at 09:00 (agency time) two days before the wave closes; a wave of fewer
# than three days has no room for one.
REMIND_DAYS_BEFORE_CLOSE = 2
REMIND_AT = time(9, 0)
# Every answer rewrites the wave's answers in an order nobody can predict.
_shuffle = random.SystemRandom().shuffle


class PulseRefused(Exception):
    """The user may not answer this wave (not asked, not open, or answered already)."""


def _local(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)


def pulse_schedule(*, agency: Agency, opens_on: date, days_open: int) -> dict[str, datetime | None]:
    """When a wave opens, closes and reminds: local midnights and 09:00 in the agency's zone."""
    zone = zoneinfo.ZoneInfo(agency.timezone)
    closes_on = opens_on + timedelta(days=days_open)
    remind_on = closes_on - timedelta(days=REMIND_DAYS_BEFORE_CLOSE)
    return {
        "opens_at": _local(opens_on, time.min, zone),
        "closes_at": _local(closes_on, time.min, zone),
        "remind_at": _local(remind_on, REMIND_AT, zone) if remind_on > opens_on else None,
    }


@transaction.atomic
def pulse_survey_create(
    *,
    actor: User,
    agency: Agency,
    title: str,
    statements: Iterable[str],
    open_question: str,
    units: Iterable[Unit],
    partners: Iterable[ServicePartner],
    opens_on: date,
    days_open: int,
) -> PulseSurvey:
    """A new wave for the agency's chosen units and/or the partners serving it."""
    if not may_run_pulse(actor) or not administers_agency(actor, agency=agency):
        raise PermissionDenied
    units, partners = list(units), list(partners)
    if not units and not partners:
        raise ValidationError({"units": _("Choose at least one unit or partner to ask.")})
    if any(unit.agency_id != agency.pk for unit in units):
        raise ValidationError({"units": _("Choose units of the wave's agency.")})
    serving = set(agency.partners.values_list("pk", flat=True))
    if any(partner.pk not in serving for partner in partners):
        raise ValidationError({"partners": _("Choose partners that serve the wave's agency.")})
    survey = PulseSurvey(
        agency=agency,
        title=title.strip(),
        statements=[s.strip() for s in statements if s and s.strip()],
        open_question=open_question.strip(),
        opens_on=opens_on,
        days_open=days_open,
        created_by=actor,
        **pulse_schedule(agency=agency, opens_on=opens_on, days_open=days_open),
    )
    survey.full_clean()
    survey.save()
    survey.units.set(units)
    survey.partners.set(partners)
    if survey.is_open():
        # Opening today: invite now rather than at the next sweep (which catches up if this fails).
        from buyin.tasks import sweep_pulse_surveys

        transaction.on_commit(sweep_pulse_surveys.delay, robust=True)
    return survey


def pulse_audience(survey: PulseSurvey) -> QuerySet[User]:
    """Who a wave asks: the chosen units' officers and supervisors, the chosen partners' case managers."""
    return User.objects.filter(is_active=True).filter(
        Q(role__in=FIELD_ROLES, unit__in=survey.units.all())
        | Q(role=User.Role.CASE_MANAGER, partner__in=survey.partners.all())
    )


@transaction.atomic
def pulse_wave_open(*, survey_id: int, now: datetime | None = None) -> int:
    """Fix the wave's audience when it opens (one participation row each); returns how many."""
    now = now or timezone.now()
    survey = PulseSurvey.objects.select_for_update().get(pk=survey_id)
    if survey.audience_fixed_at is not None or not survey.is_open(now):
        return 0
    rows = [PulseParticipation(survey=survey, user=user) for user in pulse_audience(survey).order_by("pk")]
    PulseParticipation.objects.bulk_create(rows, ignore_conflicts=True)
    forget_menus(row.user_id for row in rows)  # bulk_create sends no post_save
    survey.audience_fixed_at = now
    survey.save(update_fields=["audience_fixed_at"])
    return len(rows)


def _link(survey: PulseSurvey) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("buyin:pulse_answer", kwargs={"survey_id": survey.pk})


def _mail(participation: PulseParticipation, *, reminder: bool) -> None:
    survey = participation.survey
    with translation.override(participation.user.email_language):
        subject = (_("Reminder: %(title)s") if reminder else _("Pulse survey: %(title)s")) % {"title": survey.title}
        body = "\n".join(
            [
                _("Hello,"),
                "",
                _("How is deflection going for you? %(n)d short statements and one question, about two minutes.")
                % {"n": len(survey.statements)},
                _("Your answers are anonymous: nobody, the program administrator included, can see who said what."),
                _("Open through %(date)s.") % {"date": l10n.weekday_day(survey.last_day)},
                "",
                _link(survey),
            ]
        )
    # fail_silently=False: an SMTP error releases the claim and the task retries.
    EmailMessage(subject=subject, body=body, to=[participation.user.email]).send(fail_silently=False)


def _notify_one(*, participation_id: int, field: str, now: datetime) -> int:
    """Claim one person's invitation or reminder, send it, mark it sent: once, whatever runs alongside."""
    reminder = field == "reminded_at"

    def send(claimed: list[PulseParticipation]) -> dict:
        _mail(claimed[0], reminder=reminder)
        return {field: now}

    return send_claimed(
        PulseParticipation.objects.filter(pk=participation_id, **{f"{field}__isnull": True})
        .filter(Q(answered=False) if reminder else Q())
        .select_related("survey__agency", "user"),
        send=send,
    )


def _notify(pending: QuerySet[PulseParticipation], *, field: str, now: datetime) -> int:
    ids = list(pending.filter(user__is_active=True).exclude(user__email="").order_by("pk").values_list("pk", flat=True))
    temporary: list[Exception] = []
    sent = 0
    for participation_id in ids:
        sent += _each(_notify_one, temporary, participation_id=participation_id, field=field, now=now)
    if temporary:
        raise temporary[0]
    return sent


def _each(send: Callable[..., int], temporary: list[Exception], **kwargs) -> int:
    try:
        return send(**kwargs)
    except SMTPRecipientsRefused:
        logger.warning("Pulse survey mail refused for participation id %s; skipped.", kwargs["participation_id"])
        return 0
    except (SMTPException, OSError) as error:
        temporary.append(error)
        return 0


def pulse_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """For the beat: open the waves whose day has come (fixing their audience), invite each
    person asked, and remind once those who have not answered when two days remain."""
    now = now or timezone.now()
    opened = 0
    for survey_id in PulseSurvey.objects.filter(
        audience_fixed_at__isnull=True, opens_at__lte=now, closes_at__gt=now
    ).values_list("pk", flat=True):
        opened += pulse_wave_open(survey_id=survey_id, now=now)
    open_now = Q(survey__opens_at__lte=now, survey__closes_at__gt=now)
    invited = _notify(
        PulseParticipation.objects.filter(open_now, invited_at__isnull=True, answered=False),
        field="invited_at",
        now=now,
    )
    reminded = _notify(
        PulseParticipation.objects.filter(
            open_now, survey__remind_at__lte=now, reminded_at__isnull=True, answered=False
        ),
        field="reminded_at",
        now=now,
    )
    return {"asked": opened, "invited": invited, "reminded": reminded}


def _group(survey: PulseSurvey, user: User) -> dict:
    """The respondent's group as the results show it: their unit, or their partner."""
    if user.role in FIELD_ROLES and survey.units.filter(pk=user.unit_id).exists():
        return {"unit_id": user.unit_id, "partner_id": None}
    if user.is_case_manager and survey.partners.filter(pk=user.partner_id).exists():
        return {"unit_id": None, "partner_id": user.partner_id}
    return {"unit_id": None, "partner_id": None}


def _clean_scores(survey: PulseSurvey, scores: list[int | None]) -> list[int | None]:
    if len(scores) != len(survey.statements) or any(s is not None and s not in SCORES for s in scores):
        raise ValidationError({"scores": _("Scores run from 1 to 5, or are left blank.")})
    return list(scores)


@transaction.atomic
def pulse_answer_submit(
    *, survey_id: int, user: User, scores: list[int | None], open_text: str = "", now: datetime | None = None
) -> None:
    """Take one person's anonymous answer to an open wave they were asked, once.

    The wave's answers are then rewritten in random order with new random keys (see
    PulseAnswer): nothing on disk says which answer came last.
    """
    now = now or timezone.now()
    # The wave's row lock serialises its answers: each rewrite sees the one before.
    survey = PulseSurvey.objects.select_for_update().get(pk=survey_id)
    participation = (
        PulseParticipation.objects.select_for_update().filter(survey=survey, user=user, answered=False).first()
    )
    if participation is None or not survey.is_open(now):
        raise PulseRefused
    answer = PulseAnswer(
        survey=survey, scores=_clean_scores(survey, scores), open_text=open_text.strip(), **_group(survey, user)
    )
    answer.full_clean()
    participation.answered = True
    participation.save(update_fields=["answered"])
    kept = list(PulseAnswer.objects.filter(survey=survey).values("unit_id", "partner_id", "scores", "open_text"))
    kept.append(
        {
            "unit_id": answer.unit_id,
            "partner_id": answer.partner_id,
            "scores": answer.scores,
            "open_text": answer.open_text,
        }
    )
    PulseAnswer.objects.filter(survey=survey).delete()
    _shuffle(kept)
    PulseAnswer.objects.bulk_create([PulseAnswer(id=uuid.uuid4(), survey=survey, **row) for row in kept])
