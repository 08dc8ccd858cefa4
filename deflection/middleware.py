"""Show times in the signed-in user's agency time zone, and pages in their language."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

SESSION_KEY = "agency_tz"


class AgencyTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = self._zone_name(request)
        if name:
            timezone.activate(zoneinfo.ZoneInfo(name))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def _zone_name(self, request: HttpRequest) -> str:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return ""
        # Looked up once per session: the agency's zone rarely changes.
        name = request.session.get(SESSION_KEY)
        if name is None:
            name = user.agency.timezone if user.agency_id else ""
            request.session[SESSION_KEY] = name
        return name


class NoStoreForSignedInMiddleware:
    """Every response to a signed-in user: `Cache-Control: no-store, private`.

    Pages, htmx fragments and PDFs name clients; neither a shared proxy nor the browser's
    disk cache or back button may keep them after sign-out, on a shared station computer
    least of all. Static files never reach this far (WhiteNoise answers them first), so
    they stay cacheable; anonymous pages (sign-in) keep Django's own headers.
    """

    VALUE = "no-store, private"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Set, not patched: nothing a view says about caching outranks this.
            response["Cache-Control"] = self.VALUE
        return response


class UserLanguageMiddleware:
    """The signed-in user's chosen language, over what LocaleMiddleware took from the browser.

    After AuthenticationMiddleware (it needs the user) and before any view. A user who has
    not chosen keeps the browser's language (their first sign-in records it as their choice,
    accounts/signals.py).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
