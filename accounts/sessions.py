"""Sessions: one ends after SESSION_IDLE_SECONDS without the user doing anything, and a
request that finds no session under its cookie's key leaves the cookie alone.

What counts as doing something: any request except those the browser makes on its own. The
partner queue reloads itself every 30 seconds, and static/js/app.js marks those refreshes with
the BACKGROUND_HEADER; the browser fetches the service worker's script to check for a new
version of the app, and marks that with the standard Service-Worker header. So a queue left
open on an unattended screen still signs out, and the page goes back to the sign-in form
instead of showing client names all night.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions import middleware as sessions_middleware
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

LAST_ACTIVE = "last_active"
BACKGROUND_HEADER = "X-Background-Refresh"
# Recording every request would write the session row on every request; once a minute is
# precise enough for a 30-minute limit.
RECORD_EVERY_SECONDS = 60


def _now() -> int:
    return int(timezone.now().timestamp())


def mark_active(request: HttpRequest) -> None:
    """Record activity now (at sign-in, and by the middleware)."""
    request.session[LAST_ACTIVE] = _now()


def _is_background(request: HttpRequest) -> bool:
    return bool(request.headers.get(BACKGROUND_HEADER) or request.headers.get("Service-Worker"))


def _to_sign_in(request: HttpRequest) -> HttpResponse:
    if not request.headers.get("HX-Request"):
        return redirect_to_login(request.get_full_path())
    # htmx would follow a redirect inside the page (and use up the message there): have it
    # load the sign-in page instead, to come back to the page the user was on.
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    here = urlunsplit(("", "", current.path or "/", current.query, ""))
    response = HttpResponse(status=204)
    response["HX-Redirect"] = redirect_to_login(here)["Location"]
    return response


class IdleSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            idle = _now() - request.session.get(LAST_ACTIVE, 0)
            if idle >= settings.SESSION_IDLE_SECONDS:
                logout(request)
                minutes = settings.SESSION_IDLE_SECONDS // 60
                messages.info(
                    request, _("You were signed out after %(minutes)d minutes without activity.") % {"minutes": minutes}
                )
                return _to_sign_in(request)
            # Saving the session also pushes its expiry (cookie and database) SESSION_COOKIE_AGE ahead.
            if idle >= RECORD_EVERY_SECONDS and not _is_background(request):
                mark_active(request)
        return self.get_response(request)


class SessionMiddleware(sessions_middleware.SessionMiddleware):
    """Django's, except that a request whose session cookie names no session leaves the
    browser's cookie alone; only a session this request emptied (signing out) deletes it.

    A request sent just before a sign-in or a two-factor code (the service worker's check for
    a new version on every page, an htmx refresh) can reach the server after the session key
    was cycled, and find no session under the key it carries. Django then deletes the cookie,
    and if that answer arrives after the sign-in's, the browser drops the new session's
    cookie: signed out right after signing in. A stale key left in the browser opens nothing.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        stale = (
            session is not None
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and not session.modified
            and session.is_empty()
        )
        if not stale:
            return super().process_response(request, response)
        if session.accessed:
            patch_vary_headers(response, ("Cookie",))
        return response
