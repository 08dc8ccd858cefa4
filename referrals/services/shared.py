"""What the modules of the services share: the case event every write of a referral leaves,
and the lock a case manager's change to a follow-up or consent takes."""

from __future__ import annotations

from deflection.models import User
from deflection.permissions import does_casework
from referrals.models import CaseEvent, Consent, FollowUp, Referral


def _event(*, referral: Referral, actor: User | None, kind: str, **fields) -> CaseEvent:
    """The referral's CaseEvent, written by the caller's transaction: never on its own."""
    event = CaseEvent(referral=referral, actor=actor, kind=kind, **fields)
    event.save()
    return event


def _locked_for_casework(model: type[FollowUp | Consent], *, pk: int, actor: User):
    """The follow-up or consent, locked, if it exists and the actor does casework on its
    referral; None otherwise (the caller refuses in its own words)."""
    row = model.objects.select_for_update(of=("self",)).select_related("referral__officer").filter(pk=pk).first()
    if row is None or row.referral is None or not does_casework(user=actor, referral=row.referral):
        return None
    return row
