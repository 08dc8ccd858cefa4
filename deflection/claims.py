"""Mail about rows sent exactly once, without a transaction open while the mail server talks.

Three steps. Claim: in a short transaction, lock the rows to mail about (SELECT ... FOR
UPDATE SKIP LOCKED), write the claim time on them (`mail_claimed_at`) and commit. Send:
outside any transaction, as long as the mail server takes (at most EMAIL_TIMEOUT per step).
Mark: set what says the rows were mailed, where the claim is still this one.

A send that fails releases the claim at once: the next sweep or the task's retry sends it.
A sender killed mid-send leaves its claim, which lapses after MAIL_CLAIM_SECONDS, longer
than the mail tasks' hard time limit, so that no live sender is overtaken; then the next
sweep sends it. Two sweeps at once skip each other's rows. The one window for a duplicate
is a crash between the server's acceptance and the mark (milliseconds), as with any SMTP.
A model mailed this way has a nullable `mail_claimed_at` field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

M = TypeVar("M", bound=models.Model)


def claim_field() -> models.DateTimeField:
    """The field each mailed model adds: when a sender claimed the row, until it is mailed."""
    return models.DateTimeField(null=True, blank=True, editable=False)


def _unclaimed(queryset: QuerySet[M], now: datetime) -> QuerySet[M]:
    lapsed = now - timedelta(seconds=settings.MAIL_CLAIM_SECONDS)
    return queryset.filter(Q(mail_claimed_at__isnull=True) | Q(mail_claimed_at__lt=lapsed))


def _claim(queryset: QuerySet[M]) -> tuple[list[M], datetime]:
    at = timezone.now()
    with transaction.atomic():
        rows = list(_unclaimed(queryset, at).select_for_update(skip_locked=True, of=("self",)))
        if rows:
            queryset.model._default_manager.filter(pk__in=[row.pk for row in rows]).update(mail_claimed_at=at)
    return rows, at


def send_claimed(queryset: QuerySet[M], *, send: Callable[[list[M]], dict[str, Any]]) -> int:
    """Claim the rows of `queryset` that nobody else holds, call `send(rows)` outside any
    transaction and store the field values it returns on them (what marks them mailed).
    Returns how many rows were mailed about; 0 when there were none to claim."""
    rows, at = _claim(queryset)
    if not rows:
        return 0
    mine = queryset.model._default_manager.filter(pk__in=[row.pk for row in rows], mail_claimed_at=at)
    try:
        values = send(rows)
    except BaseException:
        # Also a soft time limit or a shutdown: whoever comes next may send them at once.
        mine.update(mail_claimed_at=None)
        raise
    mine.update(mail_claimed_at=None, **values)
    return len(rows)
