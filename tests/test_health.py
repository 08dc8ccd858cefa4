"""/healthz and /readyz: what compose's healthcheck and a proxy ask, answered without sign-in,
by any address, over plain HTTP, naming what is down and nothing more."""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.integration.conftest import app_broker

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


def _secrets() -> list[str]:
    database = django_settings.DATABASES["default"]
    return [value for value in (database.get("PASSWORD"), database.get("HOST"), django_settings.SECRET_KEY) if value]


def test_the_liveness_probe_answers_without_the_database():
    # No django_db mark: any database access here would fail the test.
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert response["Cache-Control"] == "no-store, private"


@pytest.mark.django_db
def test_the_readiness_probe_says_ready_when_the_database_and_the_broker_answer():
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert json.loads(response.content) == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


def test_the_readiness_probe_names_the_database_when_it_does_not_answer():
    # Without django_db the test's database refuses every connection, as a database that is down.
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "unavailable" and body["checks"]["database"] == "down"
    assert not any(secret in response.content.decode() for secret in _secrets())


@pytest.mark.django_db
def test_the_readiness_probe_names_the_broker_when_it_does_not_answer():
    with app_broker(UNREACHABLE_BROKER):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "unavailable", "checks": {"database": "ok", "broker": "down"}}
    assert "6379" not in response.content.decode() and ":1" not in response.content.decode()


@pytest.mark.django_db
def test_the_probes_answer_by_any_address_over_plain_http_and_never_redirect(settings):
    # The orchestrator calls the container's address, which is no allowed host, without TLS.
    settings.ALLOWED_HOSTS = ["deflection.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    client = Client(HTTP_HOST="172.18.0.5:8000")
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    # Everything else still refuses an unknown host.
    assert client.get("/accounts/login/").status_code == 400


@pytest.mark.django_db
def test_the_probes_set_no_cookie_and_show_no_page(cast):
    response = Client().get("/readyz")
    assert not response.cookies
    assert response["Content-Type"] == "application/json"
