"""Steps every browser test takes the same way: signing in, the phone's menu, signing out."""

from __future__ import annotations

import re

from tests.factories.core import PASSWORD


def submit_sign_in(page, username: str, password: str = PASSWORD, *, touch: bool = True) -> None:
    """Fill in the sign-in form and send it, without waiting for where it leads.

    `touch=False` clicks instead of tapping, for contexts made without a touch screen.
    """
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    button = page.get_by_role("button", name="Sign in")
    if touch:
        button.tap()
    else:
        button.click()


def sign_in(page, username: str, *, touch: bool = True) -> None:
    """Sign in with the cast's password and wait until the sign-in page is left behind."""
    submit_sign_in(page, username, touch=touch)
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))


def open_menu(page) -> None:
    """At phone width the navigation sits behind the menu button (a <details> summary)."""
    menu = page.locator("details.nav-menu")
    if menu.get_attribute("open") is None:
        page.get_by_role("navigation", name="Main").locator("summary", has_text="Menu").tap()
    page.locator("details.nav-menu[open]").wait_for()


def sign_out(page) -> None:
    open_menu(page)
    page.get_by_role("button", name="Sign out").tap()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def hold_saves(page) -> list:
    """Hold the log form's saves on their way to the server, as a slow network at 2 a.m. would,
    so that a second tap can land while the first is still in flight. The held requests."""
    held = []

    def hold(route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/log/$"), hold)
    return held


def release_saves(held: list) -> int:
    """Let the held saves go on to the server; how many the page had sent."""
    from playwright.sync_api import Error as PlaywrightError  # installed: the page fixture checked

    sent = len(held)
    for route in held:
        try:
            route.continue_()
        except PlaywrightError:  # a save the browser itself abandoned for the second one
            pass
    return sent


def fill_a_new_deflection(page, cast, first: str, last: str) -> None:
    """The log form filled in for a new client referred to partner Y, ready to save."""
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_role("radio", name="Self-referral").check()
    page.locator(f"input[name=partner][value='{cast.partner_y.pk}']").check()
