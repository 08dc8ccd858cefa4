"""Small things every web process must see alike, kept briefly in the "shared" cache (Redis).

What is kept here can always be read afresh from the database: a cache that cannot be reached
costs queries and a warning in the log, never a request, and never the write that changed
what was kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.core.cache import caches
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import ModelSignal, post_delete, post_save

T = TypeVar("T")
Receiver = Callable[..., None]

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


@dataclass(frozen=True)
class KeptPer:
    """Values of one kind kept a while per owner (per user, per agency), each read through:
    from the cache if there, else read afresh and kept."""

    kind: str  # "menu"
    owner: str  # "user"
    # In the key: a process of the release before reads none of this release's values, whose
    # classes may differ (bump it when the kept class changes).
    version: int
    # How long a value may be reused when nothing said it changed: what a write no receiver
    # sees (a bulk update) may leave unseen at most this long.
    seconds: int

    def key(self, pk: int) -> str:
        return f"{self.kind}:v{self.version}:{self.owner}:{pk}"

    def get(self, pk: int, kind_of: type[T], read: Callable[[], T]) -> T:
        """The owner's value, kept or read afresh (anything kept that is not a `kind_of` is
        ignored: a value from another release, or none)."""
        value = kept(self.key(pk))
        if isinstance(value, kind_of):
            return value
        value = read()
        keep(self.key(pk), value, self.seconds)
        return value

    def forget(self, pks: Iterable[int | None]) -> None:
        """What these owners' values show has changed: the next reader reads them afresh."""
        forget(self.key(pk) for pk in set(pks) if pk is not None)


def saved_or_deleted(pairs: Iterable[tuple[type[Model], Receiver]]) -> list[tuple[ModelSignal, type[Model], Receiver]]:
    """Each model's post_save and post_delete, with the receiver that forgets what they change."""
    return [(signal, model, receiver) for model, receiver in pairs for signal in (post_save, post_delete)]


def connect(receivers: Iterable[tuple[ModelSignal, type[Model], Receiver]], *, name: str) -> None:
    """Connect the receivers that forget one kind of kept value (from an app's ready())."""
    for signal, model, receiver in receivers:
        signal.connect(receiver, sender=model, dispatch_uid=f"{name}-{model.__name__}-{id(signal)}")
