"""Without SECRET_KEY, management commands still run; the web app refuses to serve. Defaults that
depend on DEBUG."""

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


def _webhook_rules(debug: str) -> str:
    env_code = (
        f"import os; os.environ.update(DEBUG='{debug}', SECRET_KEY='x'); "
        "os.environ.pop('WEBHOOK_ALLOW_HTTP', None); os.environ.pop('WEBHOOK_ALLOW_PRIVATE_ADDRESSES', None); "
        "from deflection import settings as s; print(s.WEBHOOK_ALLOW_HTTP, s.WEBHOOK_ALLOW_PRIVATE_ADDRESSES)"
    )
    result = _run(["-c", env_code])
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_webhooks_go_to_a_receiver_on_the_same_machine_only_in_development():
    # make run's demo (DEBUG on) can try a webhook against a receiver on the laptop; a
    # deployment sends only https, to public addresses, unless told otherwise.
    assert _webhook_rules("true") == "True True"
    assert _webhook_rules("false") == "False False"
