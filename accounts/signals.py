"""Sign-in bookkeeping (connected in AccountsConfig.ready)."""

from __future__ import annotations

from axes.models import AccessFailureLog
from django.http import HttpRequest

from accounts import twofactor
from accounts.services import user_language_set
from accounts.sessions import mark_active


def on_user_logged_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        mark_active(request)
        twofactor.decide_at_sign_in(request, user)
    # A first sign-in keeps the browser's language as the user's, so that the emails sent to
    # them speak it too; they may change it on the Language page.
    browser = getattr(request, "LANGUAGE_CODE", "")
    if not user.language and browser:
        user_language_set(user=user, language=browser)


def on_user_locked_out(sender, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs) -> None:
    """A sign-in refused during a lockout is a failed sign-in too: put it on record.

    django-axes records the failures that lead to a lockout, but not those it refuses while
    the lockout lasts (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off); those are the
    ones for which it has not counted the failures (axes_failures_since_start)."""
    if getattr(request, "axes_failures_since_start", None) is not None:
        return
    refusal_record(
        username=username,
        ip_address=ip_address,
        user_agent=getattr(request, "axes_user_agent", ""),
        http_accept=getattr(request, "axes_http_accept", ""),
        path_info=getattr(request, "axes_path_info", ""),
    )


def refusal_record(*, username: str | None, ip_address: str | None, user_agent: str, http_accept: str, path_info: str):
    """Put a refused sign-in on record with the failures (it does not count as one)."""
    return AccessFailureLog.objects.create(
        username=username,
        ip_address=ip_address,
        user_agent=user_agent[:255],
        http_accept=http_accept[:1025],
        path_info=path_info[:255],
        locked_out=True,
    )
