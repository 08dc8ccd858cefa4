"""The record of who saw which client: one AccessEvent per client shown.

Views call `record` once they know which clients a response shows, before it is sent: if
the record cannot be written, the page is not shown. A list writes one row per client in
one INSERT. A list shown again unchanged to the same user within LIST_REPEAT (the partner
queue refreshes itself every 30 seconds) is recorded once; any change to the list, or the
same list later, is recorded again.

Rows name clients and referrals by id only: no name, date of birth or other identity is
copied into the audit, so purging a client's identity leaves nothing identifying here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone

from deflection.models import AccessEvent, User

Action = AccessEvent.Action
LIST_REPEAT = timedelta(minutes=15)

# (client id, referral id or None)
Subject = tuple[int, int | None]


def client_address(request: HttpRequest) -> str | None:
    """The address the request came from, as the web server saw it.

    Behind a reverse proxy, the proxy must set REMOTE_ADDR from the connection it accepted
    (gunicorn's --forwarded-allow-ips, say); a client-supplied X-Forwarded-For is never
    trusted here, as anyone can write it.
    """
    return request.META.get("REMOTE_ADDR") or None


def record(request: HttpRequest, *, action: str, what: str, subjects: Iterable[Subject]) -> None:
    """Record that `request.user` was shown these clients (each with its referral, if any)."""
    user: User = request.user  # type: ignore[assignment]
    unique: dict[Subject, None] = dict.fromkeys((int(c), int(r) if r is not None else None) for c, r in subjects)
    if not unique or not user.is_authenticated:
        return
    now = timezone.now()
    digest = ""
    if action == Action.LISTED:
        digest = hashlib.sha1(repr(sorted(unique, key=_order)).encode(), usedforsecurity=False).hexdigest()
        last = (
            AccessEvent.objects.filter(user=user, what=what, action=action, at__gte=now - LIST_REPEAT)
            .order_by("-at", "-id")
            .values_list("list_digest", flat=True)
            .first()
        )
        if last == digest:
            return
    common = {
        "at": now,
        "user": user,
        "role": user.role,
        "agency_id": user.agency_id,
        "partner_id": user.partner_id,
        "action": action,
        "what": what[:100],
        "address": client_address(request),
        "list_digest": digest,
    }
    AccessEvent.objects.bulk_create(
        [AccessEvent(client_id=client_id, referral_id=referral_id, **common) for client_id, referral_id in unique]
    )


def _order(subject: Subject) -> tuple[int, int]:
    client_id, referral_id = subject
    return client_id, referral_id or 0


def referral_subjects(referrals: Iterable) -> list[Subject]:
    """(client, referral) of each referral shown."""
    return [(r.client_id, r.pk) for r in referrals]


def client_subjects(clients: Iterable) -> list[Subject]:
    """(client, no referral) of each client shown."""
    return [(c.pk, None) for c in clients]
