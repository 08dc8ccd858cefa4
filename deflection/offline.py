"""The installable app: its web app manifest and its service worker, served from the app.

The service worker (templates/sw.js) keeps the static assets and the officer's log form (the
page shell, `referrals:log_offline`, which names no client) on the phone, so that a
deflection can be logged with no signal; static/js/offline.js keeps what was logged,
encrypted, until it can be sent. Both are served from the site's root, the worker's scope.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# Whose page shell a response is: the worker keeps a shell for that user only.
SHELL_USER_HEADER = "X-Offline-Shell-User"
# A shell older than this is not served: the officer signs in again with signal first.
SHELL_MAX_AGE_HOURS = 12
# What the log form needs with no signal; the shell itself is fetched by the worker.
OFFLINE_ASSETS = [
    "vendor/bootstrap/bootstrap.min.css",
    "css/app.css",
    "js/app.js",
    "js/offline.js",
    "vendor/htmx/htmx.min.js",
    "favicon.svg",
    "icons/icon-192.png",
]
THEME_COLOUR = "#0d6efd"
ICONS = [
    ("icons/icon-192.png", 192, "any"),
    ("icons/icon-512.png", 512, "any"),
    ("icons/icon-maskable-512.png", 512, "maskable"),
]


def manifest(request: HttpRequest) -> JsonResponse:
    """What a phone needs to put the app on its home screen. The same for everyone: the
    browser fetches it without the session cookie."""
    data = {
        "id": "/",
        "name": _("Deflection"),
        "short_name": _("Deflection"),
        "description": _("Log a deflection in under a minute, with or without signal."),
        "lang": get_language(),
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": static(name), "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
            for name, size, purpose in ICONS
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker's script, with what it keeps: the assets' URLs (hashed in
    production) and a version that changes with them, so that phones update it."""
    config = {
        "version": _version(),
        "assets": [static(name) for name in OFFLINE_ASSETS],
        "staticPrefix": static(""),
        "shell": reverse("referrals:log_offline"),
        "shellUserHeader": SHELL_USER_HEADER,
        "shellMaxAgeHours": SHELL_MAX_AGE_HOURS,
    }
    response = render(request, "sw.js", {"config": json.dumps(config)}, content_type="text/javascript; charset=utf-8")
    # Served at the root already; said outright so that a proxy's path prefix cannot narrow it.
    response["Service-Worker-Allowed"] = "/"
    return response


def _version() -> str:
    return _version_cached() if not settings.DEBUG else _version_now()


@functools.cache
def _version_cached() -> str:
    return _version_now()


def _version_now() -> str:
    """A digest of the worker's own source and of the assets it keeps: any change to one of
    them makes a new worker, which replaces the assets on the phone."""
    digest = hashlib.sha256()
    for template_dir in settings.TEMPLATES[0]["DIRS"]:
        source = Path(template_dir) / "sw.js"
        if source.is_file():
            digest.update(source.read_bytes())
    for name in OFFLINE_ASSETS:
        digest.update(static(name).encode())
        found = finders.find(name)
        if found:
            digest.update(Path(found).read_bytes())
    return digest.hexdigest()[:16]
