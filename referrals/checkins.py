"""What each reader sees of a referral's check-ins by its officer (the rule: deflection.permissions).

Police who see the referral and program administration see every check-in in full. The
partner's case managers see a check-in's date, kind, where and note only within the
client's consent: a consent on this referral to share its full record with the referring
agency, covering the moment the check-in was recorded (as police_disclosure lets outcomes
flow the other way). The conservative reading: a narrower consent (status, outcomes) is
about the partner's treatment record, not the officer's observations of the client, so it
does not cover them. Without such a consent the partner sees nothing of the check-in, not even
that it happened (its case event is left out of the history the partner reads): that the police
met the client again is the police's, not the treatment record's.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from deflection.models import User
from deflection.permissions import sees_check_ins_in_full
from referrals.models import CaseEvent, Consent, OfficerCheckIn, Referral
from referrals.selectors import officer_id_of

# The latest check-ins My record lists.
LATEST_SHOWN = 5


def _consents_covering_check_ins(referral: Referral) -> list[Consent]:
    return list(
        referral.consents.filter(recipient_agency_id=referral.agency_id, scope=Consent.Scope.FULL_RECORD)
        .select_related("referral")
        .order_by()
    )


def _shown(*, user: User, referral: Referral):
    """Whether this reader sees a check-in recorded at a moment (a function of the moment)."""
    if sees_check_ins_in_full(user=user, referral=referral):
        return lambda moment: True
    consents = _consents_covering_check_ins(referral)
    return lambda moment: any(consent.covers(moment) for consent in consents)


def check_ins_for_referral_page(*, user: User, referral: Referral) -> list[OfficerCheckIn]:
    """The referral's check-ins this reader sees, newest first."""
    check_ins = list(referral.check_ins.all())
    if not check_ins:
        return []
    shown = _shown(user=user, referral=referral)
    return [c for c in check_ins if shown(c.created_at)]


def events_for_referral_page(*, user: User, referral: Referral, events: Iterable[CaseEvent]) -> list[CaseEvent]:
    """The referral's history as this reader may read it: a check-in's event only where the
    reader sees the check-in."""
    events = list(events)
    if not any(e.kind == CaseEvent.Kind.OFFICER_CHECK_IN for e in events):
        return events
    shown = _shown(user=user, referral=referral)
    return [e for e in events if e.kind != CaseEvent.Kind.OFFICER_CHECK_IN or shown(e.created_at)]


def check_ins_made_by(*, user: User) -> QuerySet[OfficerCheckIn]:
    """The check-ins the user recorded as the referring officer, newest first."""
    return OfficerCheckIn.objects.filter(officer_id=officer_id_of(user)).select_related("referral")
