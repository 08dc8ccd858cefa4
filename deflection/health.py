"""Health and readiness, for compose's healthchecks, an orchestrator and the proxy in front.

/healthz: this process answers (it touches nothing else, so a database outage does not get
every web process restarted). /readyz: this process can do its work, the database and the
broker answering; 503 otherwise, naming what is down and nothing else (no address, no error
text, no secret). Neither needs a sign-in nor shows any data.

The middleware answers both before anything else runs: the orchestrator calls them by the
container's address (not an allowed host), over plain HTTP behind the TLS proxy (no redirect
to https), without a session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse

from deflection.celery import app as celery_app
from deflection.middleware import NoStoreForSignedInMiddleware

logger = logging.getLogger(__name__)


def _database_answers(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 (any failure means not ready; the reason stays in the log)
        logger.warning("Readiness: the database %r does not answer.", alias, exc_info=True)
        connections[alias].close()
        return False


def _broker_answers() -> bool:
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
        return True
    except Exception:  # noqa: BLE001 (as above)
        logger.warning("Readiness: the broker does not answer.", exc_info=True)
        return False


def _answer(body: dict, status: int = 200) -> HttpResponse:
    response = JsonResponse(body, status=status)
    # A probe's answer is of this moment: never kept, by the proxy or anyone.
    response["Cache-Control"] = NoStoreForSignedInMiddleware.VALUE
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    return _answer({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    checks = {"database": _database_answers("default"), "broker": _broker_answers()}
    required = set(checks)
    if settings.READ_REPLICA != DEFAULT_DB_ALIAS:
        # Reported, but not required: without it dashboards fail, the officers' pages do not.
        checks["replica"] = _database_answers(settings.READ_REPLICA)
    down = sorted(name for name in required if not checks[name])
    body = {
        "status": "unavailable" if down else "ready",
        "checks": {k: "ok" if v else "down" for k, v in checks.items()},
    }
    return _answer(body, status=503 if down else 200)


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/healthz": healthz, "/readyz": readyz}


class HealthMiddleware:
    """First in MIDDLEWARE: answers the probes before host checks, redirects and sessions."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info.rstrip("/"))
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
