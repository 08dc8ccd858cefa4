"""The navigation works without JavaScript: on a phone an officer opens the menu, reaches
"My deflections" and signs out with scripts turned off (a locked-down phone browser, or a
script that failed to load)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.conftest import ACTION_TIMEOUT_MS, PHONE
from tests.browser.helpers import submit_sign_in
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("DEFLECTION_SHOTS", "")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"nav-{name}.png"))


def test_an_officer_without_javascript_opens_the_menu_reaches_their_deflections_and_signs_out(
    cast, browser, live_server
):
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, **PHONE)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    try:
        submit_sign_in(page, "officer_a1")
        page.wait_for_url(re.compile(r"/log/$"))
        nav = page.get_by_role("navigation", name="Main")
        my_deflections = nav.get_by_role("link", name="My deflections")
        # Folded away on a phone, behind the Menu button.
        assert not my_deflections.is_visible()
        shot(page, "closed")
        nav.locator("summary", has_text="Menu").tap()
        my_deflections.wait_for()
        shot(page, "open")
        my_deflections.tap()
        page.wait_for_url(re.compile(r"/mine/$"))
        assert page.locator("#my-deflections > li").filter(has=page.locator(f"a[href='/referrals/{referral.pk}/']"))
        nav.locator("summary", has_text="Menu").tap()
        nav.get_by_role("button", name="Sign out").tap()
        page.wait_for_url(re.compile(r"/accounts/login/"))
        assert page.goto("/mine/").url.endswith("/accounts/login/?next=/mine/")
    finally:
        context.close()


def test_on_a_wide_screen_the_links_show_without_a_menu_button(cast, browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        submit_sign_in(page, "officer_a1", touch=False)
        page.wait_for_url(re.compile(r"/log/$"))
        nav = page.get_by_role("navigation", name="Main")
        shot(page, "wide")
        assert not nav.locator("summary").is_visible()
        for name in ("Log a deflection", "My deflections", "My record"):
            assert nav.get_by_role("link", name=name).is_visible()
        assert nav.get_by_role("button", name="Sign out").is_visible()
    finally:
        context.close()
