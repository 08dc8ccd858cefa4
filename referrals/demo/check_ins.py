"""The demo's officers' check-ins with people they referred: some of each officer's older
referrals, open or closed, a few days to weeks after the encounter; the demo officer's login
has a few of its own. Written through the service, then dated back to their day, as the
builder does with the stories (the service stamps its rows "now")."""

from __future__ import annotations

import random
import zoneinfo
from datetime import datetime, time, timedelta

from deflection.models import Agency, User
from deflection.permissions import may_check_in
from referrals.models import CaseEvent, OfficerCheckIn, Referral
from referrals.services import check_in_record

K = OfficerCheckIn.Kind
# Where and what, in the officers' words; nobody named (generated text, no client in it).
PLACES = ("Library steps", "Bus stop on 6th Ave", "Day center", "Park ramada", "Gas station on Oracle", "")
NOTES = {
    K.DOING_WELL: ("Looked well, said the clinic is helping.", "Working at the shelter kitchen now.", ""),
    K.OFFERED_HELP: ("Not going to the clinic lately; gave the number again.", "Offered a ride to intake.", ""),
    K.OTHER: ("Said hello in passing.", "Asked about housing; passed it on to the partner.", ""),
}
SHARE = 0.15  # of the officers' referrals at least a week old


def check_ins_build(*, agency: Agency, officer_user: User, rnd: random.Random, now: datetime) -> int:
    """Check-ins on the agency's referrals by their own officers; returns how many."""
    zone = zoneinfo.ZoneInfo(agency.timezone)
    today = now.astimezone(zone).date()
    referrals = (
        Referral.objects.filter(agency=agency, officer__user__isnull=False, occurred_at__lt=now - timedelta(days=7))
        .select_related("officer__user", "agency")
        .order_by("occurred_at", "pk")
    )
    chosen = [r for r in referrals if rnd.random() < SHARE]
    chosen += [r for r in referrals if r.officer.user_id == officer_user.pk][:3]
    made = 0
    for referral in dict.fromkeys(chosen):
        first = referral.occurred_at.astimezone(zone).date()
        on = min(today, first + timedelta(days=rnd.randrange(2, 40)))
        kind = rnd.choices([K.DOING_WELL, K.OFFERED_HELP, K.OTHER], weights=[5, 4, 1])[0]
        where, note = rnd.choice(PLACES), rnd.choice(NOTES[kind])
        recorded = datetime.combine(on, time(rnd.randrange(8, 22), rnd.randrange(60)), tzinfo=zone)
        recorded = min(recorded, now)
        # A referral its officer entered in error takes none: its dice are thrown all the same,
        # so that the rest of the demo falls as before.
        if not may_check_in(user=referral.officer.user, referral=referral):
            continue
        check_in = check_in_record(
            user=referral.officer.user,
            referral=referral,
            on=on,
            kind=kind,
            where=where,
            note=note,
        )
        CaseEvent.objects.filter(
            referral=referral, kind=CaseEvent.Kind.OFFICER_CHECK_IN, created_at=check_in.created_at
        ).update(created_at=recorded)
        OfficerCheckIn.objects.filter(pk=check_in.pk).update(created_at=recorded)
        made += 1
    return made
