"""Command staff change the dashboard's filters; the page and the URL follow."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import watch_csp
from tests.browser.helpers import submit_sign_in
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
        submit_sign_in(page, "command_a", touch=False)
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
        # Weeks of 1 to 10 deflections (the agency's own police work) are drawn at their
        # height, not hatched as small cells: the bars add up to the 12.
        drawn = page.evaluate(
            """() => {
                const chart = Chart.getChart(document.querySelector("canvas[data-chart=by_pathway]"));
                const bars = chart.data.datasets.flatMap((d) => d.data);
                return {
                    small: chart.data.datasets.flatMap((d) => d.smallCells || []).filter(Boolean).length,
                    total: bars.reduce((sum, n) => sum + (n || 0), 0),
                    weeks: bars.filter((n) => n > 0 && n <= 10).length,
                };
            }"""
        )
        assert drawn["small"] == 0 and drawn["total"] == 12 and drawn["weeks"] >= 2
        assert not blocked, f"the Content-Security-Policy blocked something: {blocked}"
    finally:
        context.close()


def test_on_a_phone_every_chart_keeps_a_readable_plot_and_wide_tables_scroll_in_a_focusable_region(
    cast, browser, live_server
):
    from referrals.models import Pathway
    from tests.browser.conftest import PHONE

    officer = OfficerFactory(user=cast.officer_a1)
    now = timezone.now()
    for i, pathway in enumerate(list(Pathway.values) * 4):
        ReferralFactory(
            officer=officer,
            partner=cast.partner_y,
            pathway=pathway,
            charge_deflected="Trespass" if i % 3 == 0 else "",
            occurred_at=now - timedelta(days=i * 2 + 1),
        )
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = context.new_page()
    try:
        submit_sign_in(page, "command_a")
        page.wait_for_url(re.compile(r"/reports/command/"))
        page.goto("/reports/dashboard/")
        page.wait_for_function("() => document.querySelectorAll('canvas[data-chart]').length === 4 && window.Chart")
        heights = page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll("canvas[data-chart]")].map(
                (canvas) => [canvas.dataset.chart, Math.round(Chart.getChart(canvas).chartArea.height)]))"""
        )
        print(f"\nPlot heights at 390 px: {heights}")
        assert set(heights) == {"by_pathway", "funnel", "participation", "savings"}
        assert all(h >= 150 for h in heights.values()), heights
        # A table wider than the phone scrolls in a region the keyboard can reach and scroll.
        for name in ("Deflections per week, by pathway: table", "Partner scorecard"):
            region = page.get_by_role("region", name=name)
            assert region.get_attribute("tabindex") == "0"
        # The week, the row's key, stays in view while the figures scroll under it.
        region = page.get_by_role("region", name="Deflections per week, by pathway: table")
        first_week = region.locator("tbody th").first
        before = first_week.bounding_box()["x"]
        region.evaluate("(element) => { element.scrollLeft = 400; }")
        assert abs(first_week.bounding_box()["x"] - before) < 1
    finally:
        context.close()
