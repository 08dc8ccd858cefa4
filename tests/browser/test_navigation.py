"""The navigation works without JavaScript: on a phone an officer opens the menu, reaches
"My deflections" and signs out with scripts turned off (a locked-down phone browser, or a
script that failed to load). On a desktop's screen every role's bar is one row, "More" and the
account menu open and close from the keyboard, and signing out works with or without scripts."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, PHONE, watch_csp
from tests.browser.helpers import sign_in, submit_sign_in
from tests.browser.test_accessibility import NO_TRANSITIONS, SCHEMES, axe_violations
from tests.factories.buyin import answered_suggestions
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("DEFLECTION_SHOTS", "")
# A desktop's common screen: the walk-through found the bar in two to four rows here.
DESKTOP = {"width": 1366, "height": 768}
# The bar in one row is 60 px tall; in two rows, 100 px and more.
ONE_ROW_PX = 80
# Each role of the cast once; the superuser program administrator has the most links.
ROLES = ["officer_a1", "supervisor_a", "cm_y", "command_a", "admin", "program_admin", "coordinator"]


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


def desktop(browser, live_server, **options):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, **options)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


def tab_to(page, selector: str, limit: int = 30) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def bar_rows(page) -> tuple[float, list[str]]:
    """The bar's height, and what is shown on it (for the failure's message)."""
    nav = page.get_by_role("navigation", name="Main")
    shown = nav.evaluate(
        "(n) => [...n.querySelectorAll('.navbar-brand, .navbar-collapse > .navbar-nav > li, .nav-dropdown > summary')]"
        ".map((e) => { const r = e.getBoundingClientRect(); return `${e.textContent.trim()} @${Math.round(r.top)}`; })"
    )
    return nav.bounding_box()["height"], shown


def test_on_a_desktop_every_roles_bar_is_one_row(cast, browser, live_server):
    answered_suggestions(cast)  # a new answer for everyone: "More" carries its badge too
    for who in ROLES:
        context = desktop(browser, live_server)
        page = context.new_page()
        try:
            sign_in(page, who, touch=False)
            # A program administrator's home is the admin site, which has no bar of ours.
            page.goto("/reports/dashboard/" if "admin" in who else "/")
            nav = page.get_by_role("navigation", name="Main")
            for width in (1366, 1024, 1920):
                page.set_viewport_size({"width": width, "height": 768})
                height, shown = bar_rows(page)
                assert height < ONE_ROW_PX, (who, width, height, shown)
                assert not nav.locator("summary", has_text="Menu").is_visible(), (who, width)
                assert page.evaluate("document.documentElement.scrollWidth") <= width, (who, width)
            shot(page, f"desktop-{who}")
        finally:
            context.close()


def sign_out_from_the_keyboard(page, *, then_closed: str) -> None:
    """With the account menu open: Tab to Sign out and press Enter. Signed out, the page
    `then_closed` asks for the sign-in."""
    tab_to(page, "#nav-account .sign-out", limit=5)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert page.goto(then_closed).url.endswith(f"/accounts/login/?next={then_closed}")


def test_on_a_desktop_the_account_menu_works_from_the_keyboard_and_signs_out(cast, browser, live_server):
    context = desktop(browser, live_server)
    page = context.new_page()
    blocked = watch_csp(page)
    try:
        sign_in(page, "admin", touch=False)
        page.goto("/reports/dashboard/")
        nav = page.get_by_role("navigation", name="Main")
        account = nav.locator("#nav-account")
        change_password = nav.get_by_role("link", name="Change password")
        sign_out = nav.get_by_role("button", name="Sign out")
        assert not sign_out.is_visible() and not change_password.is_visible()
        assert account.locator(".nav-account-name").inner_text() == "Harper Westmarch"

        tab_to(page, "#nav-account > summary")
        page.keyboard.press("Enter")
        expect(change_password).to_be_visible()
        shot(page, "desktop-account")
        # Escape closes it and leaves the focus on its button (app.js), as on the phone.
        tab_to(page, "#nav-account a[href='/accounts/password/']", limit=3)
        page.keyboard.press("Escape")
        expect(change_password).to_be_hidden()
        assert page.evaluate("document.activeElement.matches('#nav-account > summary')")
        # One dropdown open at a time: opening "More" closes the account's.
        page.keyboard.press("Enter")
        expect(change_password).to_be_visible()
        nav.locator("#nav-more > summary").click()
        expect(nav.get_by_role("link", name="Integrations")).to_be_visible()
        expect(change_password).to_be_hidden()
        # A click on the page beside it closes it, as any menu; the page is not changed.
        page.locator("main h1").first.click()
        expect(nav.get_by_role("link", name="Integrations")).to_be_hidden()
        assert page.url.endswith("/reports/dashboard/")
        nav.locator("#nav-more > summary").focus()

        tab_to(page, "#nav-account > summary", limit=20)
        page.keyboard.press("Space")
        sign_out_from_the_keyboard(page, then_closed="/reports/dashboard/")
    finally:
        context.close()
    assert not blocked, f"the Content-Security-Policy blocked something: {blocked}"


def test_on_a_desktop_without_javascript_more_and_the_account_menu_open_and_sign_out(cast, browser, live_server):
    context = desktop(browser, live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        submit_sign_in(page, "officer_a1", touch=False)
        page.wait_for_url(re.compile(r"/log/$"))
        nav = page.get_by_role("navigation", name="Main")
        shot(page, "desktop-no-js")
        assert not nav.locator("summary", has_text="Menu").is_visible()
        for name in ("Log a deflection", "My deflections"):
            assert nav.get_by_role("link", name=name).is_visible()
        # The pages used now and then are under "More", opened with the keyboard.
        my_record = nav.get_by_role("link", name="My record")
        assert not my_record.is_visible()
        tab_to(page, "#nav-more > summary")
        page.keyboard.press("Enter")
        expect(my_record).to_be_visible()
        my_record.click()
        page.wait_for_url(re.compile(r"/reports/my-record/$"))
        # The page shown is under "More": "More" is marked as the current link is.
        more = nav.locator("#nav-more > summary")
        assert more.evaluate("(s) => getComputedStyle(s).textDecorationLine") == "underline"
        assert not my_record.is_visible()

        sign_out = nav.get_by_role("button", name="Sign out")
        assert not sign_out.is_visible()
        tab_to(page, "#nav-account > summary")
        page.keyboard.press("Enter")
        expect(sign_out).to_be_visible()
        sign_out_from_the_keyboard(page, then_closed="/mine/")
    finally:
        context.close()


def test_the_desktops_dropdowns_pass_wcag_aa_in_both_colour_schemes(cast, browser, live_server):
    answered_suggestions(cast)
    context = desktop(browser, live_server, bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, "admin", touch=False)
        page.goto("/buyin/training/")  # a page under "More"
        # Colours then change at once: axe reads them final, not halfway through a transition.
        page.add_style_tag(content=NO_TRANSITIONS)
        found = {}
        for dropdown in ("#nav-more", "#nav-account"):
            page.locator(f"{dropdown} > summary").click()
            page.locator(f"{dropdown}[open] .nav-panel").wait_for()
            for scheme in SCHEMES:
                page.emulate_media(color_scheme=scheme)
                page.wait_for_function("(s) => document.documentElement.dataset.bsTheme === s", arg=scheme)
                found[f"{dropdown} [{scheme}]"] = axe_violations(page)
        failures = [f"{where}: {line}" for where, lines in found.items() for line in lines]
        assert not failures, "WCAG 2.1 A/AA violations found:\n" + "\n".join(failures)
    finally:
        context.close()
