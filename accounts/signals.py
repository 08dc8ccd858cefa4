"""Session set-up at sign-in (connected in AccountsConfig.ready)."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.sessions import mark_active


def on_user_logged_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        mark_active(request)
