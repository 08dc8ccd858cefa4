"""A partner queue left open on an unattended screen goes back to the sign-in page after 30
minutes: its own refresh every 30 seconds does not count as activity."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_unattended_queue_signs_out_after_30_minutes(cast, page):
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        sign_in(page, "cm_y")
        page.goto("/queue/")
        with page.expect_request(lambda r: "/queue/" in r.url and r.headers.get("hx-request"), timeout=40_000) as poll:
            pass
        assert poll.value.headers.get("x-background-refresh") == "1"

        # Half an hour later, by the server's clock: the next refresh finds the session over.
        traveller.shift(dt.timedelta(minutes=30))
        page.wait_for_url(re.compile(r"/accounts/login/"), timeout=40_000)
    expect(page.get_by_text("You were signed out after 30 minutes without activity.")).to_be_visible()
    assert page.url.endswith("/accounts/login/?next=/queue/")
