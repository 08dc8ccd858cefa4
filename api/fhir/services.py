"""The one write of the FHIR endpoints: a Task changed by a partner's system, made through
the services the casework page calls (follow_up_complete, then referral_take_step), all or
nothing: a refused step leaves the outcomes sent with it unrecorded too."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from api.fhir import codes
from api.fhir.updates import TaskChange
from deflection.models import User
from referrals import services
from referrals.models import Referral


@transaction.atomic
def task_update(*, referral: Referral, actor: User, change: TaskChange) -> None:
    """Record the outcomes, then take the step to the status wanted.

    Outcomes first: completing or closing a referral removes the contact checks still
    open, and an outcome sent with the closing step is for one of them. The step is the
    lifecycle's move from the referral's status to the one wanted (resuming goes back to
    where the referral was: asked for anything else, it is refused and nothing is kept).
    """
    for outcome in change.outcomes:
        services.follow_up_complete(
            follow_up_id=outcome.follow_up_id, actor=actor, outcome=outcome.outcome, note=outcome.note
        )
    if not change.status:
        return
    task_status = codes.TASK_STATUS[change.status]
    candidates = codes.STEPS_TO[task_status]
    # The move that starts from where the referral is; else the first, whose refusal says why.
    step = next((s for s in candidates if referral.status in services.TRANSITIONS[s][0]), candidates[0])
    moved = services.referral_take_step(
        action=step,
        referral_id=referral.pk,
        actor=actor,
        reason=change.reason,
        note=change.note,
        intake_at=change.intake_at,
    )
    if moved.status != change.status:
        raise services.TransitionRefused(
            _("A referral that is on hold resumes where it was: %(status)s.")
            % {"status": str(moved.get_status_display()).lower()}
        )
