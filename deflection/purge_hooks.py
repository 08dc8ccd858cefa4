"""What other apps keep about a client that must go when the client's identity is purged.

The purge lives in referrals (referrals/purge.py), below the apps that build on it: reports
keeps success stories, which may name the client, and nothing below reports may import it.
So an app registers here, in its AppConfig.ready(), a function that takes the queryset of
the purged clients' referrals and removes its own free text; the purge runs them all, in
its transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet

Hook = Callable[[QuerySet], None]
_hooks: list[Hook] = []


def register(hook: Hook) -> Hook:
    """Have `hook(referrals)` run at every purge (once, however often it is registered)."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def run(referrals: QuerySet) -> None:
    """Run every registered hook on the referrals of the clients being purged."""
    for hook in _hooks:
        hook(referrals)
