"""The read replica: reports read from it where there is one, explicitly; nothing else does.

Dashboards, exports and the digest may lag behind the primary by the replication delay,
and say up to when they are counted anyway. Everything else reads the primary: the pages a
user must see current (the log form, My deflections, the queue, a referral) and every write,
the access record included. So the router sends reads to the replica only inside
`from_replica()`, which those reports open around their work (a report view: after
login_required has loaded the user from the primary), and never a write. With no
DATABASE_REPLICA_URL, `from_replica()` reads the primary too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

# Per thread (gunicorn's threads) and per task: one request's block is not another's.
_reading_replica: ContextVar[bool] = ContextVar("reading_replica", default=False)


@contextmanager
def from_replica() -> Iterator[None]:
    """Reads inside the block go to the replica (settings.READ_REPLICA); writes do not."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def reads_replica(view: Callable) -> Callable:
    """A report view (under login_required, which reads the user from the primary): its
    figures are read from the replica; what it writes, the access record included, is not."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        with from_replica():
            return view(*args, **kwargs)

    return wrapped


class PrimaryRouter:
    """Writes always, and reads outside `from_replica()`, on the primary."""

    def db_for_read(self, model, **hints) -> str:
        return settings.READ_REPLICA if _reading_replica.get() else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # The replica is a copy of the primary: a row read from one relates to rows of the other.
        return True
