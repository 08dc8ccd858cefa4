"""Under CI the suite runs against the real services; a missing one fails, never skips."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from deflection.celery import app
from tests.conftest import IN_CI

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(not IN_CI, reason="CI runs on PostgreSQL; development may use SQLite")
def test_ci_runs_on_postgresql_with_trigram_search():
    assert connection.vendor == "postgresql", "CI must set DATABASE_URL to PostgreSQL"
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() is not None


@pytest.mark.skipif(not IN_CI, reason="CI runs with Redis; development may use the filesystem broker")
def test_ci_reaches_the_redis_broker():
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "CI must set REDIS_URL"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=5)
        assert conn.connected


def test_without_redis_url_the_broker_needs_no_server(monkeypatch):
    # The embedded default: the filesystem transport, under the project's var/ folder.
    import importlib

    import deflection.settings as project_settings

    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setenv("SECRET_KEY", "x")
    reloaded = importlib.reload(project_settings)
    try:
        assert reloaded.CELERY_BROKER_URL == "filesystem://"
        assert reloaded.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"].endswith("queue")
    finally:
        monkeypatch.undo()
        importlib.reload(project_settings)


def test_every_browser_test_module_is_marked_browser():
    # The suite's two processes run everything not marked browser; an unmarked module of
    # Chromium tests ran there (and again at CI's second hour) instead of in the browser stage.
    from pathlib import Path

    unmarked = [
        path.name
        for path in sorted((Path(__file__).parent / "browser").glob("test_*.py"))
        if "pytest.mark.browser" not in path.read_text()
    ]
    assert unmarked == []
