"""The demo's officers' feedback after their deflections, and how long each took to log.

Made up, like everything in the demo, but shaped like the program the seed talk describes:
most officers find deflecting easier than booking; what gets in the way is a partner that
does not answer at night, transport, a need no partner meets.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from buyin.models import FeedbackObstacle, OfficerFeedback
from deflection.models import Agency
from referrals.models import Need, OfficerContact, Referral

BATCH = 500
# About 40% of deflections get an answer or a skip: asked at most once a shift, and optional.
ASKED = 0.42
SKIPPED = 0.12
# Logging takes a minute or so; a few forms are left open while the officer deals with the scene.
MEDIAN_SECONDS = 80
NOT_MEASURED = 0.04
INTERRUPTED = 0.05
LONGEST_SECONDS = 2 * 60 * 60

Kind = FeedbackObstacle.Kind

# Sentences officers might add, by how the deflection compared: about the process, never the person.
COMMENTS = {
    "easier": (
        "Clinic picked up on the first ring and had a bed. Way faster than booking.",
        "Good handoff, the peer was already on scene.",
        "Booking would have been 3 hours, this was 25 minutes.",
        "Form is fine on the phone, the partner list is long though.",
        "Would like to know if he actually showed up.",
    ),
    "same": (
        "Took about as long as booking once the van came.",
        "Crisis team was great, wish they covered the east side.",
        "She changed her mind at the door. Still better than jail.",
    ),
    "harder": (
        "Waited 40 minutes for a callback; ended up driving him myself.",
        "Van took over an hour at 2 a.m.",
        "Nobody for housing after hours, only the shelter line.",
    ),
}


def feedback_demo(*, agency: Agency, rnd: random.Random, now: datetime) -> int:
    """Seconds to log on the agency's encounters, and feedback on about 40% of its referrals
    (at most one a shift per officer, as the app asks); returns the feedback rows made."""
    _seconds_to_log(agency=agency, rnd=rnd)
    every = timedelta(hours=agency.feedback_every_hours or 10)
    last_asked: dict[int, datetime] = {}
    chosen: list[tuple[Referral, OfficerFeedback, list[str]]] = []
    referrals = (
        Referral.objects.filter(agency=agency, created_by__isnull=False, created_at__lte=now)
        .select_related("partner")
        .order_by("created_at", "id")
    )
    for referral in referrals:
        before = last_asked.get(referral.created_by_id)
        if (before is not None and referral.created_at - before < every) or rnd.random() > ASKED:
            continue
        answered_at = min(referral.created_at + timedelta(seconds=rnd.uniform(20, 300)), now)
        last_asked[referral.created_by_id] = answered_at
        feedback, kinds = _answer(referral, rnd)
        feedback.officer_id, feedback.referral, feedback.answered_at = referral.created_by_id, referral, answered_at
        chosen.append((referral, feedback, kinds))
    OfficerFeedback.objects.bulk_create([f for _r, f, _k in chosen], batch_size=BATCH)
    obstacles = [FeedbackObstacle(feedback=f, kind=kind) for _r, f, kinds in chosen for kind in kinds]
    FeedbackObstacle.objects.bulk_create(obstacles, batch_size=BATCH)
    return len(chosen)


def _answer(referral: Referral, rnd: random.Random) -> tuple[OfficerFeedback, list[str]]:
    """One officer's answer, and what got in the way, as this partner and encounter make likely."""
    if rnd.random() < SKIPPED:
        return OfficerFeedback(ease=""), []
    likely = _likely_obstacles(referral)
    harder = 0.04 + 0.03 * len(likely)
    roll = rnd.random()
    ease = "harder" if roll < harder else "same" if roll < harder + 0.22 else "easier"
    kinds: list[str] = []
    if ease != "easier" or rnd.random() < 0.1:
        pool = likely or [Kind.PARTNER_SLOW, Kind.FORM, Kind.OTHER]
        kinds = sorted(set(rnd.sample(pool, min(len(pool), rnd.choice([1, 1, 2])))))
    comment = rnd.choice(COMMENTS[ease]) if rnd.random() < 0.1 else ""
    return OfficerFeedback(ease=ease, comment=comment), kinds


def _likely_obstacles(referral: Referral) -> list[str]:
    likely = []
    night = referral.occurred_at.hour < 6 or referral.occurred_at.hour >= 22
    if not referral.partner.is_24_7:
        likely.append(Kind.NO_ANSWER if night else Kind.PARTNER_SLOW)
    if not referral.warm_handoff:
        likely.append(Kind.TRANSPORT)
    if Need.HOUSING in referral.presenting_needs:
        likely.append(Kind.NO_PARTNER)
    if referral.status == Referral.Status.REJECTED and referral.status_reason == "client_declined":
        likely.append(Kind.CLIENT_REFUSED)
    return likely


def _seconds_to_log(*, agency: Agency, rnd: random.Random) -> None:
    """A minute and a half at the median, a long tail; a few not measured (a form left open)."""
    for model, scope in ((Referral, {"agency": agency}), (OfficerContact, {"referral__agency": agency})):
        rows = list(model.objects.filter(**scope).only("pk"))
        for row in rows:
            seconds = round(rnd.lognormvariate(math.log(MEDIAN_SECONDS), 0.55))
            if rnd.random() < INTERRUPTED:  # the scene needed the officer halfway through the form
                seconds += round(rnd.uniform(5 * 60, 40 * 60))
            row.seconds_to_log = None if rnd.random() < NOT_MEASURED or seconds > LONGEST_SECONDS else seconds
        model.objects.bulk_update(rows, ["seconds_to_log"], batch_size=BATCH)
