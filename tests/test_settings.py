"""Without SECRET_KEY, management commands still run; the web app refuses to serve."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(code: list[str]) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DEMO_MODE", "DJANGO_SETTINGS_MODULE")
    }
    env["DATABASE_URL"] = "sqlite:////tmp/deflection-settings-test.sqlite3"
    # Our own interpreter and fixed arguments: nothing untrusted is executed.
    return subprocess.run([sys.executable, *code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603 (our own interpreter, fixed arguments)


def test_management_commands_run_without_a_secret_key():
    result = _run(["manage.py", "check"])
    assert result.returncode == 0, result.stderr


def test_the_web_app_refuses_to_serve_without_a_secret_key():
    result = _run(["-c", "import deflection.wsgi"])
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr
