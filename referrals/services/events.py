"""The case event every write of a referral leaves, in the write's own transaction."""

from __future__ import annotations

from deflection.models import User
from referrals.models import CaseEvent, Referral


def _event(*, referral: Referral, actor: User | None, kind: str, **fields) -> CaseEvent:
    """The referral's CaseEvent, written by the caller's transaction: never on its own."""
    event = CaseEvent(referral=referral, actor=actor, kind=kind, **fields)
    event.save()
    return event
