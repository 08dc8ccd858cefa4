"""A referral's past, written at once as referrals.services writes it one step at a time.

The services stamp every change with "now"; the demo and the dashboard benchmark write months
of history in one go (the benchmark a million referrals, with COPY), so they cannot call them.
This is the one place besides the services that knows what a transition writes: which moves
exist comes from services.TRANSITIONS, what accepting and intake schedule from CHECK_72H and
RETENTION_CHECKS, and which follow-ups closing removes from CONTACT_KINDS. A lifecycle change
there either shows here or breaks here, never silently leaves the generated history behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from referrals import event_notes
from referrals.models import CaseEvent, FollowUp, Referral
from referrals.services import CHECK_72H, CLOSED_STATUSES, CONTACT_KINDS, RETENTION_CHECKS, TRANSITIONS

Status = Referral.Status


@dataclass
class Change:
    """A CaseEvent to write (its fields by their names). `actor` is whatever the writer uses
    for a user: a User, or an id."""

    kind: str
    created_at: datetime
    actor: Any
    from_status: str = ""
    to_status: str = ""
    reason: str = ""
    note: str = ""
    note_key: str = ""
    note_params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Check:
    """A FollowUp to write (its fields by their names), scheduled by a transition; completed
    if `completed_at` is set."""

    kind: str
    due_at: datetime
    created_at: datetime
    assigned_to: Any
    completed_at: datetime | None = None
    outcome: str = ""
    note: str = ""


@dataclass
class History:
    """One referral from its logging up to `now`: its status changes, the case events they
    wrote and the follow-ups they scheduled, with the referral's fields that follow from them."""

    created_at: datetime
    creator: Any
    now: datetime
    status: str = Status.REQUESTED
    changed_at: datetime | None = None
    reason: str = ""
    note: str = ""
    accepted_by: Any = None
    accepted_at: datetime | None = None
    intake_at: datetime | None = None
    closed_at: datetime | None = None
    cancelled_by_officer: bool = False
    # The referral's count day (referrals.models.count_day), and what it counts: the moves made
    # before it, as Referral.keep_counted keeps them.
    counted_until: datetime | None = None
    counted: dict[str, Any] = field(default_factory=dict)
    events: list[Change] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.changed_at = self.created_at
        self.events.append(Change(CaseEvent.Kind.CREATED, self.created_at, self.creator, to_status=Status.REQUESTED))

    def act(self, action: str, at: datetime, actor: Any, reason: str = "", note: str = "") -> bool:
        """Make the transition `action` at `at`, as its service would. A moment from now on has
        not happened yet: nothing changes and the answer is False."""
        if at >= self.now:
            return False
        sources, target = TRANSITIONS[action]
        if self.status not in sources:
            raise ValueError(f"{action} from {self.status}: the lifecycle has no such move")
        if target is None:  # resume: back to the status it had when put on hold
            target = next(e.from_status for e in reversed(self.events) if e.to_status == Status.ON_HOLD)
        self.events.append(Change(CaseEvent.Kind.STATUS_CHANGED, at, actor, self.status, target, reason, note))
        self.status, self.changed_at, self.reason, self.note = target, at, reason, note
        if action == "accept":
            self.accepted_by, self.accepted_at = actor, at
            self.checks.append(Check(FollowUp.Kind.CHECK_72H, at + CHECK_72H, at, actor))
        elif action == "record_intake":
            self.intake_at = at
            assignee = self.accepted_by or actor
            self.checks += [Check(kind, at + timedelta(days=n), at, assignee) for kind, n in RETENTION_CHECKS]
        if target in CLOSED_STATUSES:
            self.closed_at = at
        if action == "cancel":
            # As referral_cancel keeps it: the referring officer's own act, or the partner's.
            self.cancelled_by_officer = actor == self.creator
        if self.counted_until is None or at < self.counted_until:
            self.counted = {
                "counted_status": self.status,
                "counted_status_reason": self.reason,
                "counted_accepted_at": self.accepted_at,
                "counted_intake_at": self.intake_at,
            }
        return True

    def status_at(self, moment: datetime) -> str:
        """The status the referral had at a moment."""
        return next(
            (e.to_status for e in reversed(self.events) if e.to_status and e.created_at <= moment), Status.REQUESTED
        )

    def follow_ups(self) -> list[Check]:
        """The follow-ups that remain once the referral closed: closing removes the contact
        checks still open, and closing without completing also the open ones not yet due
        (referrals.services.lifecycle: referral_complete, _follow_ups_close)."""
        if self.closed_at is None:
            return list(self.checks)
        closed, completed = self.closed_at, self.status == Status.COMPLETED
        return [
            check
            for check in self.checks
            if (check.completed_at is not None and check.completed_at <= closed)
            or not (check.kind in CONTACT_KINDS or (check.due_at > closed and not completed))
        ]

    def case_events(self) -> list[Change]:
        """The case events written: the logging, each status change, then each completed
        follow-up that remains (in the order they were scheduled)."""
        done = [check for check in self.follow_ups() if check.completed_at is not None]
        return self.events + [
            Change(
                CaseEvent.Kind.FOLLOW_UP,
                check.completed_at,
                check.assigned_to,
                reason=check.kind,
                **event_notes.note("follow_up_done", outcome=check.outcome),
            )
            for check in done
        ]
