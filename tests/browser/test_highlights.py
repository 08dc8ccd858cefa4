"""The program's wins on the officer's phone: below the log form, loaded only once the officer
scrolls down to them, so the form is there first."""

from __future__ import annotations

import pytest

from tests.browser.helpers import sign_in
from tests.factories.reports import story_told

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_wins_load_below_the_log_form_when_the_officer_scrolls_to_them(page, cast, live_server):
    story_told(cast, "Our son is home for the holidays.", source="family")
    wins: list[str] = []
    page.on("request", lambda request: wins.append(request.url) if "/reports/wins/" in request.url else None)
    sign_in(page, "officer_a1")
    page.get_by_role("heading", name="Log a deflection", level=1).wait_for()
    assert page.get_by_role("button", name="Save deflection").is_visible()
    page.wait_for_load_state("networkidle")
    assert wins == []  # below the fold at 390x844: not asked for yet
    with page.expect_response(lambda r: "/reports/wins/" in r.url) as answer:
        page.locator("#wins").scroll_into_view_if_needed()
    assert answer.value.ok
    page.get_by_text("Our son is home for the holidays.").wait_for()
    section = page.locator("#wins")
    assert "Deflections this week" in section.inner_text() and "Your first deflection:" in section.inner_text()
