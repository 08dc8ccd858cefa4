"""Sessions end after 30 minutes without activity; the queue's own refresh is not activity."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.test import Client as HttpClient

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _signed_in(response) -> bool:
    return response.status_code == 200


def test_the_idle_limit_is_30_minutes_and_the_cookie_lasts_no_longer():
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    # The cookie outlives it only by a grace period: the middleware ends the session first.
    assert settings.SESSION_COOKIE_AGE <= settings.SESSION_IDLE_SECONDS + 5 * 60


def test_a_session_idle_for_30_minutes_is_signed_out_and_told_why(cast):
    with time_machine.travel(START, tick=False) as traveller:
        client = cast.login("case_manager_y")
        traveller.shift(dt.timedelta(minutes=30))
        response = client.get("/queue/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=/queue/")
    assert "signed out after 30 minutes without activity" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_signing_out_says_so_on_the_sign_in_page_in_the_users_language(cast):
    page = cast.login("officer_a1").post("/accounts/logout/", follow=True)
    assert page.redirect_chain[-1][0] == "/accounts/login/"
    assert "You are signed out." in page.content.decode()
    assert not page.wsgi_request.user.is_authenticated
    # Said once: the next page shows it no more.
    assert "You are signed out." not in page.client.get("/accounts/login/").content.decode()
    cast.officer_a2.language = "es"
    cast.officer_a2.save(update_fields=["language"])
    assert "Ha cerrado su sesión." in cast.login("officer_a2").post("/accounts/logout/", follow=True).content.decode()


def test_someone_at_work_stays_signed_in(cast):
    with time_machine.travel(START, tick=False) as traveller:
        client = cast.login("case_manager_y")
        for _ in range(8):  # two hours, a page every 15 minutes
            traveller.shift(dt.timedelta(minutes=15))
            assert _signed_in(client.get("/queue/"))
        traveller.shift(dt.timedelta(minutes=29))
        assert _signed_in(client.get("/queue/"))


def test_the_queues_automatic_refresh_does_not_keep_an_idle_session_alive(cast):
    with time_machine.travel(START, tick=False) as traveller:
        client = cast.login("case_manager_y")
        for _ in range(59):  # every 30 seconds for 29.5 minutes: still signed in
            traveller.shift(dt.timedelta(seconds=30))
            assert _signed_in(client.get("/queue/", headers={"HX-Request": "true", "X-Background-Refresh": "1"}))
        traveller.shift(dt.timedelta(seconds=30))
        response = client.get(
            "/queue/?filter=new",
            headers={
                "HX-Request": "true",
                "X-Background-Refresh": "1",
                "HX-Current-URL": "http://testserver/queue/",
            },
        )
    # htmx loads the sign-in page in place of the whole page, to come back to the queue.
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=/queue/"


def test_the_browsers_check_for_a_new_version_of_the_app_does_not_keep_an_idle_session_alive(cast):
    with time_machine.travel(START, tick=False) as traveller:
        client = cast.login("case_manager_y")
        traveller.shift(dt.timedelta(minutes=20))
        # What the browser sends on its own to see whether the service worker changed.
        assert client.get("/sw.js", headers={"Service-Worker": "script"}).status_code == 200
        traveller.shift(dt.timedelta(minutes=10))
        assert not _signed_in(client.get("/queue/"))


def test_a_copied_session_cookie_is_useless_once_the_session_has_idled_out(cast):
    from django.contrib.sessions.models import Session

    with time_machine.travel(START, tick=False) as traveller:
        client = cast.login("officer_a1")
        copy = HttpClient()
        copy.cookies = client.cookies
        assert _signed_in(copy.get("/mine/"))
        traveller.shift(dt.timedelta(minutes=31))
        response = copy.get("/mine/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Session.objects.filter(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).exists()
