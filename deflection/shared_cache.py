"""Small things every web process must see alike, kept briefly in the "shared" cache (Redis).

What is kept here can always be read afresh from the database: a cache that cannot be reached
costs queries and a warning in the log, never a request, and never the write that changed
what was kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.cache import caches
from django.db import transaction

logger = logging.getLogger(__name__)


def kept(key: str) -> object | None:
    """What is kept under this key, or None."""
    try:
        return caches["shared"].get(key)
    except Exception:
        logger.warning("The shared cache could not be read: read afresh.", exc_info=True)
        return None


def keep(key: str, value: object, seconds: int) -> None:
    try:
        caches["shared"].set(key, value, seconds)
    except Exception:
        logger.warning("The shared cache could not keep a value.", exc_info=True)


def forget(keys: Iterable[str]) -> None:
    """What these keys hold has changed: the next reader reads afresh.

    Forgotten now, and again once the transaction commits: a reader in between may have kept
    what was there before the change."""
    keys = list(keys)
    if not keys:
        return

    def forget_now() -> None:
        try:
            caches["shared"].delete_many(keys)
        except Exception:
            logger.warning("The shared cache could not forget a value.", exc_info=True)

    forget_now()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(forget_now)
