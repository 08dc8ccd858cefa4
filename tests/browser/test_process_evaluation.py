"""The process evaluation on a phone: both charts drawn from the page's data, under the policy."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import PHONE, watch_csp
from tests.browser.helpers import submit_sign_in
from tests.factories.buyin import OfficerFeedbackFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_on_a_phone_the_charts_show_the_answers_and_the_time_to_log(cast, browser, live_server):
    officer = OfficerFactory(user=cast.officer_a1)
    for i, ease in enumerate(["easier"] * 4 + ["same", "harder", ""]):
        referral = ReferralFactory(
            officer=officer,
            partner=cast.partner_y,
            occurred_at=timezone.now() - timedelta(minutes=30 + i),
            seconds_to_log=45 + 10 * i,
        )
        OfficerFeedbackFactory(referral=referral, ease=ease)
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = context.new_page()
    blocked = watch_csp(page)
    try:
        submit_sign_in(page, "command_a")
        page.wait_for_url(re.compile(r"/reports/command/"))
        page.get_by_role("link", name="Process evaluation").first.tap()
        page.wait_for_url(re.compile(r"/reports/process/"))
        page.wait_for_function("() => window.Chart && document.querySelectorAll('canvas[data-chart]').length === 2")
        drawn = page.evaluate(
            """() => [...document.querySelectorAll("canvas[data-chart]")].map((canvas) => {
                const drawn = Chart.getChart(canvas).data.datasets[0].data.filter((v) => v !== null);
                return [canvas.dataset.chart, drawn.at(-1), canvas.clientHeight];
            })"""
        )
        # This month: 6 answered, 4 easier (67%); the median of 7 times to log is 75 s.
        assert drawn[0][:2] == ["ease", 67] and drawn[1][:2] == ["log_time", 1.25]
        assert all(height > 150 for _key, _value, height in drawn)
        assert not blocked, f"the Content-Security-Policy blocked something: {blocked}"
    finally:
        context.close()
