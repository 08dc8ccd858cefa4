"""A partner queue left open on an unattended screen goes back to the sign-in page after 30
minutes: neither its own refresh every 30 seconds nor the browser's check for a new version of
the app counts as activity."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _queue_refresh(response) -> bool:
    return "/queue/" in response.url and bool(response.request.headers.get("hx-request"))


def test_an_unattended_queue_signs_out_after_30_minutes(cast, page):
    # Both clocks are the test's: the server's (time_machine) and the phone's (Playwright), whose
    # timers fire the queue's refresh when the test moves it on, not 30 seconds later.
    page.clock.install()
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        sign_in(page, "cm_y")
        page.goto("/queue/")

        # Twenty minutes later the browser checks for a new version of the app (it does so on its
        # own, after a navigation or an event), and the refresh comes, marked as the page's own: the session goes on,
        # and (had it counted as activity) would now run until twenty minutes from here.
        traveller.shift(dt.timedelta(minutes=20))
        page.evaluate("() => navigator.serviceWorker.ready.then((registration) => registration.update())")
        with page.expect_response(_queue_refresh) as refreshed:
            page.clock.run_for(30_000)
        assert refreshed.value.request.headers.get("x-background-refresh") == "1"
        assert refreshed.value.status == 200

        # Thirty minutes since the officer last did anything: the next refresh finds the session over.
        traveller.shift(dt.timedelta(minutes=10))
        page.clock.run_for(30_000)
        page.wait_for_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_text("You were signed out after 30 minutes without activity.")).to_be_visible()
    assert page.url.endswith("/accounts/login/?next=/queue/")
