"""The access record of API responses: every response that shows a client's identity or
referral is recorded like a page view, naming the integration client (its service account),
what it was shown and which referral and client, before the response is sent."""

from __future__ import annotations

from collections.abc import Iterable

from deflection import audit
from deflection.audit import Action, Subject, client_subjects, referral_subjects

__all__ = ["Action", "client_subjects", "record", "referral_subjects"]


def record(request, *, action: str, what: str, subjects: Iterable[Subject]) -> None:
    """Record that the calling integration client was shown these clients (and referrals).

    `what` names the endpoint ("API: referral"); request is DRF's, whose user is the
    client's service account (the Django request behind it is still the session's).
    """
    viewer = audit.Viewer(user=request.user, address=audit.client_address(request))
    audit.record_for(viewer, action=action, what=what, subjects=subjects)
