"""Command staff change the dashboard's filters; the page and the URL follow."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import watch_csp
from tests.factories.core import PASSWORD
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_changing_a_filter_updates_the_figures_and_the_url(cast, browser, live_server):
    officer = OfficerFactory(user=cast.officer_a1)
    now = timezone.now()
    for i in range(14):
        ReferralFactory(officer=officer, partner=cast.partner_y, occurred_at=now - timedelta(days=i + 1))
    for i in range(12):
        ReferralFactory(
            officer=officer, partner=cast.partner_y, pathway="naloxone_plus", occurred_at=now - timedelta(days=i + 1)
        )
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    blocked = watch_csp(page)
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("command_a")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/reports/command/"))
        page.goto("/reports/dashboard/")
        figure = page.locator("[data-figure='deflections']")
        assert figure.inner_text() == "26"
        page.get_by_label("Pathway", exact=True).select_option("naloxone_plus")
        page.wait_for_url(re.compile(r"pathway=naloxone_plus"))
        page.locator("[data-figure='deflections']", has_text="12").wait_for()
        # The URL can be shared: opening it shows the same filtered view.
        page.goto(page.url)
        assert page.locator("[data-figure='deflections']").inner_text() == "12"
        assert page.get_by_label("Pathway", exact=True).input_value() == "naloxone_plus"
        # Weeks of 1 to 10 deflections are drawn, hatched, not left empty.
        small = page.evaluate(
            """() => {
                const chart = Chart.getChart(document.querySelector("canvas[data-chart=by_pathway]"));
                return chart.data.datasets.flatMap((d) => d.smallCells || []).filter(Boolean).length;
            }"""
        )
        assert small >= 1
        assert not blocked, f"the Content-Security-Policy blocked something: {blocked}"
    finally:
        context.close()
