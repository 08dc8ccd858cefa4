"""The demo's recognition: commendations over the last months, and two in the week the
digest reports, one for an officer who agreed to be named and one for an officer who did not."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from buyin.models import Commendation
from buyin.selectors.recognition import recognition_kind_names
from buyin.services.recognition import commendation_create, commendation_set_naming, recognition_kinds_ensure
from deflection.models import Agency, User

# What sergeants write: the officer's work, never the person they helped.
TEXTS = (
    "Stayed with a man in crisis for forty minutes on the bridge and got him to the crisis center "
    "on his own feet. Patience that saved a life and a booking.",
    "Recognized an overdose, gave naloxone, and then made the warm handoff to the MAT clinic herself "
    "at 2 a.m. instead of writing the possession charge.",
    "Took the deflection training on his own time and has since walked three new patrol officers "
    "through their first referrals.",
    "Followed up with the clinic after a referral went quiet and found the person a bed the same day. "
    "This is what following up on referrals looks like.",
    "Calm, respectful and quick: a deflection logged in under a minute at a busy scene, and a "
    "family that called afterwards to say thank you.",
    "Volunteered to brief the Westside roll call on how deflection works and answered every question "
    "from officers who were not sure about it.",
)


def recognition_build(
    *,
    agency: Agency,
    officer: User,
    supervisor: User,
    command: User,
    others: list[User],
    week_start: datetime,
    now: datetime,
    rnd: random.Random,
) -> int:
    """Write the demo's commendations; returns how many. Notices of the older ones count as
    sent; the week's two are left for the worker to email, as in a running program."""
    recognition_kinds_ensure(agency=agency)
    kinds = recognition_kind_names(agency=agency)
    # (to, by, kind, text, when, named, in the reported week)
    rows = [
        (
            rnd.choice(others) if n % 2 else officer,
            supervisor if n % 3 else command,
            kinds[0] if n % 3 else kinds[1],
            text,
            now - timedelta(days=20 + 25 * n),
            bool(n % 2),
            False,
        )
        for n, text in enumerate(TEXTS[:4])
    ]
    rows += [
        (officer, supervisor, kinds[0], TEXTS[4], week_start + timedelta(days=1, hours=15), True, True),
        (rnd.choice(others), command, kinds[0], TEXTS[5], week_start + timedelta(days=3, hours=10), False, True),
    ]
    for to, by, kind, text, when, named, this_week in rows:
        commendation = commendation_create(actor=by, officer=to, kind_name=kind, text=text)
        if named:
            commendation_set_naming(actor=to, commendation_id=commendation.pk, may_name=True)
        Commendation.objects.filter(pk=commendation.pk).update(
            created_at=when, emailed_at=None if this_week else when, named_choice_at=when if named else None
        )
    return len(rows)
