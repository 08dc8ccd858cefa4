"""The referral lifecycle (aligned with FHIR Task) as data: TRANSITIONS and one _transition,
one service per move; and the follow-ups the moves schedule and close.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deflection import l10n
from deflection.models import User
from deflection.permissions import (
    administers_agency,
    does_casework,
    is_person,
    is_referring_officer,
    may_act,
    may_add_follow_up,
)
from referrals import event_notes
from referrals.models import CaseEvent, FollowUp, Referral
from referrals.police_disclosure import CHECK_72H_WINDOW
from referrals.services.shared import _event, _locked_for_casework

S = Referral.Status
# action: (statuses it may start from, status it leads to; None: back where it was)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "accept": (frozenset({S.REQUESTED}), S.ACCEPTED),
    "reject": (frozenset({S.REQUESTED}), S.REJECTED),
    # Withdrawn or entered in error: only before the partner took the client on. Once
    # accepted, a referral ends as completed or failed, so no intake leaves the figures.
    "cancel": (frozenset({S.REQUESTED}), S.CANCELLED),
    "record_intake": (frozenset({S.ACCEPTED}), S.IN_PROGRESS),
    "hold": (frozenset({S.ACCEPTED, S.IN_PROGRESS}), S.ON_HOLD),
    "resume": (frozenset({S.ON_HOLD}), None),
    "complete": (frozenset({S.IN_PROGRESS}), S.COMPLETED),
    "fail": (frozenset({S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD}), S.FAILED),
}
CLOSED_STATUSES = frozenset({S.REJECTED, S.CANCELLED, S.COMPLETED, S.FAILED})
RETENTION_CHECKS = FollowUp.RETENTION_CHECKS
CHECK_72H = CHECK_72H_WINDOW  # what police are told is measured against the same window


class TransitionRefused(ValidationError):
    """A status change the lifecycle does not allow, with a message for the user."""


def allowed_actions(*, referral: Referral, user: User) -> list[str]:
    """The transitions this user may make on this referral now (what the page offers)."""
    return [
        action
        for action in ACTION_ORDER
        if referral.status in TRANSITIONS[action][0] and may_act(user=user, referral=referral, action=action)
    ]


# The order the page offers them: the step forward first, closing and cancelling last.
ACTION_ORDER = ("accept", "record_intake", "complete", "resume", "hold", "reject", "fail", "cancel")


def _who(user: User | None) -> str:
    if user is None:
        return _("someone")
    return user.get_full_name() or user.username


def _transition(
    *,
    referral_id: int,
    actor: User,
    action: str,
    reason: str = "",
    note: str = "",
    when: datetime | None = None,
) -> tuple[Referral, str]:
    """Lock the referral, check the move, change the status and write its CaseEvent."""
    referral = (
        # accepted_by is read after the lock, not joined: a join would show the row as it
        # was before a concurrent accept committed.
        Referral.objects.select_for_update(of=("self",))
        .select_related("officer", "agency")
        .filter(pk=referral_id)
        .first()
    )
    if referral is None:
        raise TransitionRefused(_("This referral does not exist."))
    if not may_act(user=actor, referral=referral, action=action):
        raise TransitionRefused(_("You cannot change this referral."))
    sources, target = TRANSITIONS[action]
    if referral.status not in sources:
        if action == "accept" and referral.status == S.ACCEPTED:
            raise TransitionRefused(
                _("%(name)s already accepted this referral at %(time)s.")
                % {
                    "name": _who(referral.accepted_by),
                    "time": l10n.day_and_time(referral.accepted_at) if referral.accepted_at else "",
                }
            )
        raise TransitionRefused(
            _("A referral that is %(status)s cannot be %(action)s.")
            % {"status": str(referral.get_status_display()).lower(), "action": ACTION_PAST[action]}
        )
    from_status = referral.status
    if target is None:
        # Resume: back to the status it had when it was put on hold.
        held = referral.events.filter(kind=CaseEvent.Kind.STATUS_CHANGED, to_status=S.ON_HOLD).order_by("-id").first()
        target = held.from_status if held else S.ACCEPTED
    now = when or timezone.now()
    referral.status = target
    referral.status_changed_at = now
    referral.status_reason = reason
    referral.status_note = note
    if target in CLOSED_STATUSES:
        referral.closed_at = now
    referral.save(
        update_fields=[
            *("status", "status_changed_at", "status_reason", "status_note", "closed_at"),
            *referral.keep_counted(now),
        ]
    )
    _event(
        referral=referral,
        actor=actor,
        kind=CaseEvent.Kind.STATUS_CHANGED,
        from_status=from_status,
        to_status=target,
        reason=reason,
        note=note,
        created_at=now,
    )
    return referral, from_status


ACTION_PAST = {  # lazy: defined at import, translated when shown
    "accept": gettext_lazy("accepted"),
    "reject": gettext_lazy("declined"),
    "cancel": gettext_lazy("cancelled"),
    "record_intake": gettext_lazy("moved to intake"),
    "hold": gettext_lazy("put on hold"),
    "resume": gettext_lazy("resumed"),
    "complete": gettext_lazy("completed"),
    "fail": gettext_lazy("closed as not completed"),
}


def _close(
    *, referral_id: int, actor: User, action: str, reason: str, reasons: type[models.TextChoices], note: str
) -> Referral:
    """Close without completing (declined, cancelled, not completed): a reason from the
    move's own list, and the follow-ups a closed referral no longer needs removed."""
    if reason not in reasons.values:
        raise TransitionRefused({"reason": _("Choose a reason.")})
    referral, _from = _transition(referral_id=referral_id, actor=actor, action=action, reason=reason, note=note)
    _follow_ups_close(referral=referral)
    return referral


@transaction.atomic
def referral_accept(*, referral_id: int, actor: User) -> Referral:
    """Accept: the partner takes the client on. Schedules the 72-hour check for the acceptor."""
    referral, _from = _transition(referral_id=referral_id, actor=actor, action="accept")
    referral.accepted_by = actor
    referral.accepted_at = referral.status_changed_at
    referral.save(update_fields=["accepted_by", "accepted_at", *referral.keep_counted(referral.accepted_at)])
    _follow_up_schedule(
        referral=referral,
        kind=FollowUp.Kind.CHECK_72H,
        due_at=referral.accepted_at + CHECK_72H,
        assigned_to=_assignee(actor),
    )
    return referral


def _assignee(*users: User | None) -> User | None:
    """The first person among these, for a follow-up: a partner's record system accepting
    through the API leaves it to the partner's people (unassigned: the partner's lead hears
    of it when it runs late), as nobody would read a reminder sent to a system."""
    return next((user for user in users if is_person(user)), None)


@transaction.atomic
def referral_reject(*, referral_id: int, actor: User, reason: str, note: str = "") -> Referral:
    """Decline: the partner will not take the client on (with a reason)."""
    return _close(
        referral_id=referral_id, actor=actor, action="reject", reason=reason, reasons=Referral.RejectReason, note=note
    )


@transaction.atomic
def referral_cancel(*, referral_id: int, actor: User, reason: str, note: str = "") -> Referral:
    """Cancel: withdrawn or entered in error, before the partner accepted. Whether its own
    officer did it is kept: police may know their own act (police_disclosure.officer_view)."""
    referral = _close(
        referral_id=referral_id, actor=actor, action="cancel", reason=reason, reasons=Referral.CancelReason, note=note
    )
    if is_referring_officer(user=actor, referral=referral):
        referral.cancelled_by_officer = True
        referral.save(update_fields=["cancelled_by_officer"])
    return referral


@transaction.atomic
def referral_record_intake(
    *, referral_id: int, actor: User, intake_at: datetime | None = None, note: str = ""
) -> Referral:
    """Intake done (the client attended): in progress. Schedules the 30/60/90-day checks."""
    now = timezone.now()
    intake_at = intake_at or now
    if intake_at > now + timedelta(minutes=10):
        raise TransitionRefused({"intake_at": _("Intake cannot be in the future.")})
    referral, _from = _transition(referral_id=referral_id, actor=actor, action="record_intake", note=note)
    if intake_at < referral.occurred_at:
        raise TransitionRefused({"intake_at": _("Intake cannot be before the deflection.")})
    referral.intake_at = intake_at
    # Counted by when it is recorded, not by the day it says: an intake recorded after the
    # count day, back-dated, would move a figure already counted.
    referral.save(update_fields=["intake_at", *referral.keep_counted(now)])
    assignee = _assignee(referral.accepted_by, actor)
    for kind, days in RETENTION_CHECKS:
        _follow_up_schedule(referral=referral, kind=kind, due_at=intake_at + timedelta(days=days), assigned_to=assignee)
    return referral


@transaction.atomic
def referral_hold(*, referral_id: int, actor: User, note: str = "") -> Referral:
    """Put on hold: the casework pauses until it is resumed."""
    return _transition(referral_id=referral_id, actor=actor, action="hold", note=note)[0]


@transaction.atomic
def referral_resume(*, referral_id: int, actor: User, note: str = "") -> Referral:
    """Resume: back to the status the referral had when it was put on hold."""
    return _transition(referral_id=referral_id, actor=actor, action="resume", note=note)[0]


@transaction.atomic
def referral_complete(*, referral_id: int, actor: User, note: str = "") -> Referral:
    """Complete: treatment finished; the retention check-ins stay."""
    referral, _from = _transition(referral_id=referral_id, actor=actor, action="complete", note=note)
    # Treatment finished: the 30/60/90-day check-ins still come, and retention counts them.
    referral.follow_ups.filter(completed_at__isnull=True, kind__in=CONTACT_KINDS).delete()
    return referral


@transaction.atomic
def referral_fail(*, referral_id: int, actor: User, reason: str, note: str = "") -> Referral:
    """Close as not completed, after acceptance, with a reason (stopped engaging, moved ...)."""
    return _close(
        referral_id=referral_id, actor=actor, action="fail", reason=reason, reasons=Referral.FailReason, note=note
    )


def referral_take_step(
    *, action: str, referral_id: int, actor: User, reason: str = "", note: str = "", intake_at: datetime | None = None
) -> Referral:
    """One move of the lifecycle by its name in TRANSITIONS, with what that move takes (a
    reason to decline, cancel or close as not completed; when intake was): how the casework
    page's forms and the API call the services above."""
    if action == "accept":
        return referral_accept(referral_id=referral_id, actor=actor)
    if action == "record_intake":
        return referral_record_intake(referral_id=referral_id, actor=actor, intake_at=intake_at, note=note)
    with_reason = {"reject": referral_reject, "cancel": referral_cancel, "fail": referral_fail}
    if action in with_reason:
        return with_reason[action](referral_id=referral_id, actor=actor, reason=reason, note=note)
    with_note = {"hold": referral_hold, "resume": referral_resume, "complete": referral_complete}
    if action not in with_note:
        raise TransitionRefused(_("This step does not exist."))
    return with_note[action](referral_id=referral_id, actor=actor, note=note)


def _follow_up_schedule(*, referral: Referral, kind: str, due_at: datetime, assigned_to: User | None) -> FollowUp:
    follow_up = FollowUp(referral=referral, kind=kind, due_at=due_at, assigned_to=assigned_to)
    follow_up.full_clean()
    follow_up.save()
    return follow_up


def _follow_ups_close(*, referral: Referral) -> None:
    """A referral closed without completing needs no more contact checks, nor checkpoints
    that have not come due; retention checks that came due stay open, for the record."""
    open_checks = referral.follow_ups.filter(completed_at__isnull=True)
    open_checks.filter(Q(kind__in=CONTACT_KINDS) | Q(due_at__gt=timezone.now())).delete()


CONTACT_KINDS = (FollowUp.Kind.CONTACT_ATTEMPT, FollowUp.Kind.INTAKE_CHECK, FollowUp.Kind.CHECK_72H)


@transaction.atomic
def follow_up_create(
    *, referral_id: int, actor: User, kind: str, due_at: datetime, assigned_to: User | None = None, note: str = ""
) -> FollowUp:
    """Schedule a follow-up on an accepted, open referral (assigned to the actor unless given)."""
    referral = Referral.objects.select_for_update(of=("self",)).get(pk=referral_id)
    if not does_casework(user=actor, referral=referral):
        raise TransitionRefused(_("You cannot add follow-ups to this referral."))
    if referral.status in CLOSED_STATUSES:
        raise TransitionRefused(_("This referral is closed."))
    if not may_add_follow_up(user=actor, referral=referral):
        raise TransitionRefused(_("Accept the referral first: accepting schedules its first check."))
    if assigned_to is not None and (
        not is_person(assigned_to)
        or (
            assigned_to.partner_id != referral.partner_id
            and not (assigned_to.is_program_admin and administers_agency(assigned_to, agency=referral.agency_id))
        )
    ):
        raise TransitionRefused({"assigned_to": _("Assign the follow-up to someone at this partner.")})
    follow_up = FollowUp(
        referral=referral, kind=kind, due_at=due_at, assigned_to=_assignee(assigned_to, actor), note=note
    )
    follow_up.full_clean()
    follow_up.save()
    _event(
        referral=referral,
        actor=actor,
        kind=CaseEvent.Kind.FOLLOW_UP,
        **event_notes.note("follow_up_scheduled", kind=follow_up.kind),
    )
    return follow_up


@transaction.atomic
def follow_up_complete(*, follow_up_id: int, actor: User, outcome: str, note: str = "") -> FollowUp:
    """Record a follow-up's outcome, once: a second completion is refused."""
    follow_up = _locked_for_casework(FollowUp, pk=follow_up_id, actor=actor)
    if follow_up is None:
        raise TransitionRefused(_("You cannot complete this follow-up."))
    if follow_up.completed_at is not None:
        raise TransitionRefused(
            _("This follow-up was already completed by %(name)s.") % {"name": _who(follow_up.assigned_to)}
        )
    if outcome not in FollowUp.Outcome.values:
        raise TransitionRefused({"outcome": _("Choose an outcome.")})
    if not follow_up.recordable:
        raise TransitionRefused(
            _("This check asks whether the client is still engaged on the day it is due: record it from %(day)s.")
            % {"day": l10n.weekday_date(follow_up.recordable_on)}
        )
    follow_up.completed_at = timezone.now()
    follow_up.outcome = outcome
    follow_up.note = note
    follow_up.full_clean()
    follow_up.save(update_fields=["completed_at", "outcome", "note"])
    _event(
        referral=follow_up.referral,
        actor=actor,
        kind=CaseEvent.Kind.FOLLOW_UP,
        reason=follow_up.kind,
        **event_notes.note("follow_up_done", outcome=follow_up.outcome),
    )
    return follow_up


def referral_mark_seen(*, referral_id: int, user: User) -> None:
    """The referring officer opened the referral: outcomes up to now are no longer news."""
    Referral.objects.filter(pk=referral_id, officer__user=user).update(officer_seen_at=timezone.now())
