"""Writes for the question after a deflection: the officer's answer, or their skip."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from buyin.models import FeedbackObstacle, OfficerFeedback
from buyin.selectors.feedback import FeedbackState, feedback_state
from deflection.models import User
from referrals.identity_text import identifiers_in_text
from referrals.models import Referral


class FeedbackNotOffered(Exception):
    """The question is not this user's to answer now: another's referral, too late, or
    asked already this shift. Views answer 404, as for anything that is not the user's."""


class FeedbackAlreadyGiven(Exception):
    """The referral's officer answered (or skipped) this question already: nothing changes."""


@transaction.atomic
def feedback_record(
    *, user: User, referral: Referral, ease: str, obstacles: Iterable[str], comment: str
) -> OfficerFeedback:
    """Record the officer's answer to the question after logging `referral`; `ease` "" is a
    skip (what got in the way and the sentence are then not kept: the officer chose not to
    answer). Offered by the same rule as the page (feedback_state); one per referral, so a
    double tap gives FeedbackAlreadyGiven and changes nothing. The sentence may not carry
    the client's identity: the program admin reads it away from the case record."""
    state = feedback_state(user=user, referral=referral)
    if state is FeedbackState.ANSWERED:
        raise FeedbackAlreadyGiven
    if state is not FeedbackState.OFFERED:
        raise FeedbackNotOffered
    comment = (comment or "").strip() if ease else ""
    kinds = sorted(set(obstacles)) if ease else []
    if comment:
        found = identifiers_in_text(text=comment, client=referral.client)
        if found:
            raise ValidationError(
                {
                    "comment": _(
                        "This sentence cannot be kept: it contains the client's %(what)s. Take it out, "
                        "or leave the sentence empty; your answer still counts."
                    )
                    % {"what": ", ".join(found)}
                }
            )
    feedback = OfficerFeedback(referral=referral, officer=user, ease=ease or "", comment=comment)
    # The relations are the ones just checked; the one-per-referral rule is the database's,
    # which also settles two taps arriving together.
    feedback.full_clean(exclude=["referral", "officer"], validate_unique=False, validate_constraints=False)
    rows = [FeedbackObstacle(kind=kind) for kind in kinds]
    for row in rows:
        row.full_clean(exclude=["feedback"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            feedback.save()
    except IntegrityError:
        raise FeedbackAlreadyGiven from None
    for row in rows:
        row.feedback = feedback
    FeedbackObstacle.objects.bulk_create(rows)
    return feedback
