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
from functools import cache

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from deflection.models import AccessEvent, User

Action = AccessEvent.Action
LIST_REPEAT = timedelta(minutes=15)

# (client id, referral id or None)
Subject = tuple[int, int | None]


def client_address(request: HttpRequest) -> str | None:
    """The address the request came from.

    REMOTE_ADDR: the connection's peer, or behind PROXY_COUNT trusted proxies the client's
    address as they forwarded it (deflection/proxy.py runs first). A client-supplied
    X-Forwarded-For is never read here.
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
    row = (
        now,
        user.pk,
        user.role,
        user.agency_id,
        user.partner_id,
        action,
        what[:100],
        client_address(request),
        digest,
    )
    _insert([(*row, client_id, referral_id) for client_id, referral_id in unique])


# The columns record() writes, in order; the rest of the row is the database's default (id).
_COLUMNS = [
    "at",
    "user_id",
    "role",
    "agency_id",
    "partner_id",
    "action",
    "what",
    "address",
    "list_digest",
    "client_id",
    "referral_id",
]


@cache
def _fields() -> tuple[list, str]:
    """The fields record() writes, and the INSERT's head: read from the model once."""
    fields = {f.attname: f for f in AccessEvent._meta.concrete_fields}
    table = connection.ops.quote_name(AccessEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(fields[name].column) for name in _COLUMNS)
    # Names from the model's own metadata; the values go in as placeholders (see _insert).
    return [fields[name] for name in _COLUMNS], f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608


def _insert(rows: list[tuple]) -> None:
    """One multi-row INSERT. Search as you type records up to eight clients a keystroke:
    building the rows as model instances cost more than writing them."""
    prepared, head = _fields()
    params: list[object] = []
    for row in rows:
        params += [field.get_db_prep_save(value, connection) for field, value in zip(prepared, row, strict=True)]
    row_marks = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    with connection.cursor() as cursor:
        cursor.execute(head + ", ".join([row_marks] * len(rows)), params)


def _order(subject: Subject) -> tuple[int, int]:
    client_id, referral_id = subject
    return client_id, referral_id or 0


def referral_subjects(referrals: Iterable) -> list[Subject]:
    """(client, referral) of each referral shown."""
    return [(r.client_id, r.pk) for r in referrals]


def client_subjects(clients: Iterable) -> list[Subject]:
    """(client, no referral) of each client shown."""
    return [(c.pk, None) for c in clients]
