"""The record of who saw which client: one AccessEvent per client shown.

Views call `record` once they know which clients a response shows, before it is sent: if
the record cannot be written, the page is not shown (a service that writes what the
officer is about to be told calls `record_for` with the viewer; a notice the program sends
outside by itself, `record_sent`). A list writes one row per client in
one INSERT. A list shown again unchanged to the same user within LIST_REPEAT (the partner
queue refreshes itself every 30 seconds) is recorded once; any change to the list, or the
same list later, is recorded again.

Rows name clients and referrals by id only: no name, date of birth or other identity is
copied into the audit, so purging a client's identity leaves nothing identifying here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import connections, router
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


@dataclass(frozen=True)
class Viewer:
    """Who is shown clients, and from where: what an access record says besides the clients."""

    user: User
    address: str | None


def viewer(request: HttpRequest) -> Viewer:
    """The signed-in user of this request, and the address it came from."""
    return Viewer(user=request.user, address=client_address(request))  # type: ignore[arg-type]


def record(request: HttpRequest, *, action: str, what: str, subjects: Iterable[Subject]) -> None:
    """Record that `request.user` was shown these clients (each with its referral, if any)."""
    record_for(viewer(request), action=action, what=what, subjects=subjects)


def record_for(viewer: Viewer, *, action: str, what: str, subjects: Iterable[Subject]) -> None:
    """Record that the viewer was shown these clients (each with its referral, if any), in one INSERT."""
    user = viewer.user
    unique: dict[Subject, None] = dict.fromkeys((int(c), int(r) if r is not None else None) for c, r in subjects)
    if not unique or not user.is_authenticated:
        return
    digest = ""
    if action == Action.LISTED:
        digest = hashlib.sha1(repr(sorted(unique, key=_order)).encode(), usedforsecurity=False).hexdigest()
    who = {"user_id": user.pk, "role": user.role, "agency_id": user.agency_id, "partner_id": user.partner_id}
    now = timezone.now()
    seen = {"at": now, "action": action, "what": what[:100], "address": viewer.address, "list_digest": digest}
    _insert({**who, **seen}, list(unique))


# Every row of one record shares all but its client and referral: one statement takes those
# as two arrays. bulk_create would build and prepare a model instance per row, which for a
# list page costs more than the INSERT itself, on every list, search and FHIR Bundle. A list
# is written unless the user's latest record of the same list within LIST_REPEAT has the same
# digest: the rows of one list share their moment and digest, so the latest one tells, read
# from the end of the access_list_recent index in the same statement.
_INSERT = """
    INSERT INTO {table} ({shared}, client_id, referral_id)
    SELECT {values}, subject.client_id, subject.referral_id
    FROM unnest(%s::bigint[], %s::bigint[]) AS subject(client_id, referral_id)
"""
_UNLESS_REPEATED = """
    WHERE %s IS DISTINCT FROM (
        SELECT list_digest FROM {table}
        WHERE user_id = %s AND action = %s AND what = %s AND at >= %s
        ORDER BY at DESC LIMIT 1
    )
"""


def _insert(shared: dict, subjects: list[Subject]) -> None:
    database = connections[router.db_for_write(AccessEvent)]
    digest = shared["list_digest"]
    repeat = [shared["user_id"], shared["action"], shared["what"], shared["at"] - LIST_REPEAT]
    if database.vendor != "postgresql":
        if digest and _latest_digest(*repeat) == digest:
            return
        AccessEvent.objects.bulk_create(AccessEvent(**shared, client_id=c, referral_id=r) for c, r in subjects)
        return
    table = database.ops.quote_name(AccessEvent._meta.db_table)
    sql = _INSERT.format(
        table=table,
        shared=", ".join(database.ops.quote_name(column) for column in shared),
        values=", ".join(["%s"] * len(shared)),
    )
    clients, referrals = zip(*subjects, strict=True)
    params = [*shared.values(), list(clients), list(referrals)]
    if digest:
        sql += _UNLESS_REPEATED.format(table=table)
        params += [digest, *repeat]
    with database.cursor() as cursor:
        cursor.execute(sql, params)


def _latest_digest(user_id: int, action: str, what: str, since) -> str | None:
    return (
        AccessEvent.objects.filter(user_id=user_id, action=action, what=what, at__gte=since)
        .order_by("-at")
        .values_list("list_digest", flat=True)
        .first()
    )


def record_sent(*, what: str, subjects: Iterable[Subject]) -> None:
    """Record that the program itself told someone outside about these clients in a notice
    (no user of the app was shown them): a held charge's notice emailed by the sweep. Who
    received it is the notice's own record; the accounting of disclosures reads both."""
    now = timezone.now()
    AccessEvent.objects.bulk_create(
        AccessEvent(at=now, action=Action.NOTIFIED, what=what[:100], client_id=int(c), referral_id=r)
        for c, r in dict.fromkeys(subjects)
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
