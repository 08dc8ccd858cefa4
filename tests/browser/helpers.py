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
