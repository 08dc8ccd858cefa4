"""referrals.demo.lifecycle writes, at once, the history the services write step by step.

The demo and the dashboard benchmark build months of history with it; if the services'
lifecycle changes and this builder does not, these comparisons fail.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from referrals import services
from referrals.demo.lifecycle import History
from referrals.models import FollowUp, Referral
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)

# (moment after START, action, reason, note); then which follow-ups were done, and when.
STORIES = {
    "held, resumed, then not completed": (
        [
            (2 * HOUR, "accept", "", ""),
            (30 * HOUR, "record_intake", "", ""),
            (10 * DAY, "hold", "", "In hospital."),
            (20 * DAY, "resume", "", "Back in treatment."),
            (45 * DAY, "fail", Referral.FailReason.DISENGAGED, "Stopped coming."),
        ],
        {FollowUp.Kind.CHECK_72H: 3 * DAY, FollowUp.Kind.RETENTION_30: 32 * DAY},
    ),
    "completed with its 72-hour check still open": (
        [(1 * HOUR, "accept", "", ""), (3 * HOUR, "record_intake", "", ""), (50 * DAY, "complete", "", "Done.")],
        {FollowUp.Kind.RETENTION_30: 31 * DAY},
    ),
    "declined": ([(5 * HOUR, "reject", Referral.RejectReason.NO_CAPACITY, "Full this week.")], {}),
    "cancelled by the officer": ([(1 * HOUR, "cancel", Referral.CancelReason.WITHDRAWN, "")], {}),
    "accepted, never came": (
        [(6 * HOUR, "accept", "", ""), (9 * DAY, "fail", Referral.FailReason.COULD_NOT_CONTACT, "")],
        {},
    ),
}


def _through_services(cast, steps, done) -> Referral:
    with time_machine.travel(START, tick=False):
        referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    for after, action, reason, note in sorted(steps + [(at, "check", "", "") for at in done.values()]):
        actor = cast.officer_a1 if action == "cancel" else cast.case_manager_y
        with time_machine.travel(START + after, tick=False):
            if action == "check":
                kind = next(k for k, at in done.items() if at == after)
                follow_up = referral.follow_ups.get(kind=kind)
                services.follow_up_complete(follow_up_id=follow_up.pk, actor=actor, outcome=FollowUp.Outcome.ENGAGED)
                continue
            service = getattr(services, f"referral_{action}")
            extra = {"reason": reason} if action in ("reject", "cancel", "fail") else {}
            service(referral_id=referral.pk, actor=actor, **({"note": note} if action != "accept" else {}), **extra)
    referral.refresh_from_db()
    return referral


def _built(cast, steps, done) -> History:
    history = History(created_at=START, creator=cast.officer_a1, now=START + 400 * DAY)
    for after, action, reason, note in steps:
        actor = cast.officer_a1 if action == "cancel" else cast.case_manager_y
        assert history.act(action, START + after, actor, reason, note)
    for check in history.checks:
        if check.kind in done:
            check.completed_at, check.outcome = START + done[check.kind], FollowUp.Outcome.ENGAGED
    return history


@pytest.mark.parametrize("story", STORIES)
def test_the_builder_writes_what_the_services_write(cast, story):
    steps, done = STORIES[story]
    referral = _through_services(cast, steps, done)
    history = _built(cast, steps, done)

    fields = ("status", "status_reason", "status_note", "status_changed_at", "accepted_at", "intake_at", "closed_at")
    assert {f: getattr(referral, f) for f in fields} == {
        "status": history.status,
        "status_reason": history.reason,
        "status_note": history.note,
        "status_changed_at": history.changed_at,
        "accepted_at": history.accepted_at,
        "intake_at": history.intake_at,
        "closed_at": history.closed_at,
    }
    assert referral.accepted_by == history.accepted_by

    def events(rows):
        return sorted(
            (e.created_at, e.kind, e.from_status, e.to_status, e.reason, e.note, e.note_key, e.note_params, e.actor)
            for e in rows
        )

    assert events(referral.events.all()) == events(history.case_events())

    def follow_ups(rows):
        return sorted((f.kind, f.due_at, f.created_at, f.assigned_to, f.completed_at, f.outcome) for f in rows)

    assert follow_ups(referral.follow_ups.all()) == follow_ups(history.follow_ups())


def test_a_move_the_lifecycle_does_not_have_is_refused(cast):
    history = History(created_at=START, creator=cast.officer_a1, now=START + DAY)
    with pytest.raises(ValueError, match="no such move"):
        history.act("complete", START + HOUR, cast.case_manager_y)


def test_nothing_happens_from_now_on(cast):
    history = History(created_at=START, creator=cast.officer_a1, now=START + DAY)
    assert not history.act("accept", START + DAY, cast.case_manager_y)
    assert (history.status, history.checks, len(history.case_events())) == (Referral.Status.REQUESTED, [], 1)
