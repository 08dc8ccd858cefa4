"""The roll-call briefing on a phone: a sergeant opens the week's briefing from the menu, reads
the unit's numbers and the week's recognition, and prints it as a one-page PDF."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from reports.digest import reported_week
from tests.browser.helpers import open_menu, sign_in
from tests.factories.buyin import CommendationFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_sergeant_opens_the_weeks_briefing_and_prints_it(page, cast):
    assert page.viewport_size == {"width": 390, "height": 844}
    week_start, _due = reported_week(cast.agency_a, timezone.now())
    start = datetime.combine(week_start, time.min, tzinfo=ZoneInfo(cast.agency_a.timezone))
    officer = OfficerFactory(user=cast.officer_a1)
    for day in (1, 2, 3):
        when = start + timedelta(days=day, hours=9)
        ReferralFactory(officer=officer, partner=cast.partner_y, occurred_at=when, created_at=when)
    CommendationFactory(officer=cast.officer_a1, may_name=True, text="Calm under pressure.", created_at=start)

    sign_in(page, "supervisor_a")
    open_menu(page)
    page.get_by_role("link", name="Roll-call briefing").tap()
    page.get_by_role("heading", name="Roll-call briefing", level=1).wait_for()
    assert page.get_by_label("Week", exact=True).input_value() == week_start.isoformat()
    numbers = page.get_by_role("table")
    row = numbers.get_by_role("row", name="Deflections")
    assert row.inner_text().split() == ["Deflections", "3", "3"]
    assert "Avery Oakhurst" in page.get_by_role("article").inner_text()
    # Nothing wider than the phone, and the print button is a thumb's size.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    pdf = page.get_by_role("button", name="Print (PDF, one page)")
    box = pdf.bounding_box()
    assert box is not None and box["height"] >= 44
    # The week picked is the week printed, though "Show" was not pressed first.
    week_before = (week_start - timedelta(days=7)).isoformat()
    page.get_by_label("Week", exact=True).select_option(week_before)
    # What a tap on Print sends: its form's fields, to the button's own address. Worked out in
    # the page rather than followed: a tap that opened the PDF in headless Chromium once
    # waited for good, and a request the service worker makes is not the page's to intercept.
    printed = pdf.evaluate("button => button.formAction + '?' + new URLSearchParams(new FormData(button.form, button))")
    assert "/reports/briefing/print.pdf?" in printed and f"week={week_before}" in printed
    response = page.request.get(printed)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
