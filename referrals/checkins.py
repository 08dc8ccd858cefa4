"""What each reader sees of a referral's check-ins by its officer (the rule: deflection.permissions).

Police who see the referral and program administration see every check-in in full. The
partner's case managers see a check-in's date, kind, where and note only within the
client's consent: a consent on this referral to share its full record with the referring
agency, covering the moment the check-in was recorded (as police_disclosure lets outcomes
flow the other way). The conservative reading: a narrower consent (status, outcomes) is
about the partner's treatment record, not the officer's observations of the client, so it
does not cover them. Without such a consent the partner sees only that a check-in was
recorded, and when (its case event in the history), never what the officer wrote.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from deflection.models import User
from deflection.permissions import sees_check_ins_in_full
from referrals.models import Consent, OfficerCheckIn, Referral
from referrals.selectors import officer_id_of

# The latest check-ins My record lists.
LATEST_SHOWN = 5


@dataclass(frozen=True)
class CheckInShown:
    """A check-in on a referral's page, and whether its details may be shown to the reader."""

    check_in: OfficerCheckIn
    in_full: bool


def _consents_covering_check_ins(referral: Referral) -> list[Consent]:
    return list(
        referral.consents.filter(recipient_agency_id=referral.agency_id, scope=Consent.Scope.FULL_RECORD)
        .select_related("referral")
        .order_by()
    )


def check_ins_for_referral_page(*, user: User, referral: Referral) -> list[CheckInShown]:
    """The referral's check-ins, newest first, each with whether this reader sees it in full."""
    check_ins = list(referral.check_ins.all())
    if not check_ins:
        return []
    if sees_check_ins_in_full(user=user, referral=referral):
        return [CheckInShown(c, in_full=True) for c in check_ins]
    consents = _consents_covering_check_ins(referral)
    return [CheckInShown(c, in_full=any(consent.covers(c.created_at) for consent in consents)) for c in check_ins]


def check_ins_made_by(*, user: User) -> QuerySet[OfficerCheckIn]:
    """The check-ins the user recorded as the referring officer, newest first."""
    return OfficerCheckIn.objects.filter(officer_id=officer_id_of(user)).select_related("referral")
