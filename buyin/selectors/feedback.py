"""Whether the question after a deflection is asked, and the sentences the program admin reads."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from buyin.models import FeedbackObstacle, OfficerFeedback
from deflection import permissions
from deflection.models import User
from referrals.models import Referral


class FeedbackState(enum.Enum):
    """Where the question after a deflection stands for one user and one referral."""

    OFFERED = "offered"  # ask it
    ANSWERED = "answered"  # the officer answered (or skipped) it already
    NOT_OFFERED = "not_offered"  # not theirs, too late, or asked already this shift


def feedback_state(*, user: User, referral: Referral, now: datetime | None = None) -> FeedbackState:
    """The one rule for the page's `can_give_feedback` and for feedback_record: the officer
    who logged the referral, right after logging it (deflection.permissions), if it has no
    feedback yet and the officer gave none (answered or skipped) within the agency's
    feedback_every_hours. At most two queries (the agency, one count), and only then."""
    now = now or timezone.now()
    if not permissions.may_be_asked_for_feedback(user=user, referral=referral, now=now):
        return FeedbackState.NOT_OFFERED
    since = now - timedelta(hours=user.agency.feedback_every_hours)
    counts = OfficerFeedback.objects.filter(
        Q(referral_id=referral.pk) | Q(officer_id=user.pk, answered_at__gt=since)
    ).aggregate(this=Count("pk", filter=Q(referral_id=referral.pk)), lately=Count("pk"))
    if counts["this"]:
        return FeedbackState.ANSWERED
    return FeedbackState.NOT_OFFERED if counts["lately"] else FeedbackState.OFFERED


def feedback_comments_for(*, user: User) -> QuerySet[OfficerFeedback]:
    """The feedback of the program's agencies that carries a sentence, newest first, for
    program administration: with its pathway and obstacles, never the officer or the
    referral's identity (404 for others)."""
    if not permissions.may_read_feedback_comments(user):
        raise Http404
    return (
        permissions.in_program(OfficerFeedback.objects.exclude(comment=""), user)
        .annotate(pathway=F("referral__pathway"))
        .only("id", "ease", "comment", "answered_at")
        .prefetch_related(Prefetch("obstacles", queryset=FeedbackObstacle.objects.order_by("kind")))
        .order_by("-answered_at", "-id")
    )
