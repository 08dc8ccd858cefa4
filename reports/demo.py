"""The demo's process evaluation: officers' feedback after their deflections and the time
each took to log, made up like the rest of the demo (referrals/demo), with a story: officers
log faster and find deflecting easier as the months go by, and one partner is often slow."""

from __future__ import annotations

import random

from django.utils import timezone

from buyin.models import FeedbackObstacle, OfficerFeedback
from deflection.models import Agency
from referrals.models import Referral

FEEDBACK_SHARE = 0.45
OBSTACLES = FeedbackObstacle.Kind.values


def process_demo(*, agency: Agency, seed: int = 13) -> int:
    """Times to log where none was measured, and feedback on about 45% of the referrals that
    have none (whoever else seeds feedback keeps theirs); returns the feedback written."""
    rnd = random.Random(seed)  # noqa: S311 (a repeatable demo, no secret)
    referrals = list(Referral.objects.filter(agency=agency).select_related("officer").order_by("occurred_at"))
    if not referrals:
        return 0
    first, last = referrals[0].occurred_at, max(referrals[-1].occurred_at, timezone.now())
    answered = set(OfficerFeedback.objects.filter(referral__agency=agency).values_list("referral_id", flat=True))
    slow_partner = min(r.partner_id for r in referrals)
    feedback, named = [], []
    for referral in referrals:
        progress = (referral.occurred_at - first) / (last - first)  # 0 at the start, 1 now
        if referral.seconds_to_log is None:
            # About two minutes in the first month, under one by the last.
            referral.seconds_to_log = round((120 - 65 * progress) * rnd.lognormvariate(0, 0.45))
        user_id = referral.officer.user_id
        if user_id is None or referral.pk in answered or rnd.random() >= FEEDBACK_SHARE:
            continue
        draw = rnd.random()
        ease = "" if draw < 0.12 else "easier" if draw < 0.45 + 0.3 * progress else "same" if draw < 0.85 else "harder"
        item = OfficerFeedback(referral=referral, officer_id=user_id, ease=ease, answered_at=referral.created_at)
        feedback.append(item)
        if ease:
            kinds = rnd.sample(OBSTACLES, rnd.choice([0, 0, 1, 1, 2]))
            if referral.partner_id == slow_partner and rnd.random() < 0.5:
                kinds = sorted({*kinds, FeedbackObstacle.Kind.PARTNER_SLOW})
            named.extend((item, kind) for kind in kinds)
    Referral.objects.bulk_update(referrals, ["seconds_to_log"], batch_size=500)
    OfficerFeedback.objects.bulk_create(feedback, batch_size=500)
    FeedbackObstacle.objects.bulk_create([FeedbackObstacle(feedback=f, kind=k) for f, k in named], batch_size=500)
    return len(feedback)
