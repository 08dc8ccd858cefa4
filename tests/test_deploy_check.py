"""The production settings pass `manage.py check --deploy` without a warning, and the pages
carry the headers and cookie flags it asks for."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def _production_env(tmp_path: Path) -> dict[str, str]:
    """The environment .env.example documents for production, with a real secret key and a
    database that needs no server (the checks do not query it)."""
    # Not the test run's own: its settings module, nor the browser tests' async switch.
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}"
    return env


def test_the_production_environment_passes_the_deployment_checks_without_a_warning(tmp_path):
    env = _production_env(tmp_path)
    assert env["DEBUG"] == "false" and env["DEMO_MODE"] == "false"
    # Our own interpreter and fixed arguments: nothing untrusted is executed.
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_pages_carry_hsts_frame_denial_a_strict_referrer_policy_and_the_csp(client):
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp


def test_the_session_and_csrf_cookies_are_secure_and_http_only(cast, client):
    from tests.factories.core import PASSWORD

    page = client.get("/accounts/login/", secure=True)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"]
    response = client.post(
        "/accounts/login/",
        {"username": "officer_a1", "password": PASSWORD, "csrfmiddlewaretoken": csrf.value},
        secure=True,
    )
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
