"""Two-factor sign-in in a real browser, under the Content-Security-Policy: command staff set
up a phone at their first sign-in, then sign in with the password and the phone's code."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.browser.helpers import open_menu, sign_out, submit_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


COMMAND_HOME = re.compile(r"^https?://[^/]+/reports/command/$")


def phone_code(secret: str, steps_ahead: int = 0) -> str:
    """What the authenticator app shows for the key typed from the page."""
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    totp = TOTP(key)
    totp.drift = steps_ahead
    return f"{totp.token():06d}"


def test_command_staff_set_up_a_phone_then_sign_in_with_its_code(cast, page, settings):
    settings.REQUIRE_TWO_FACTOR = True

    # First sign-in: the password, then straight to setting up a phone.
    submit_sign_in(page, "command_a")
    page.wait_for_url(re.compile(r"/accounts/two-factor/\?next="))
    expect(page.get_by_text("Your role requires two-factor sign-in")).to_be_visible()
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    assert qr.is_visible() and qr.evaluate("img => img.naturalWidth") > 0
    secret = page.locator("#secret").inner_text()
    page.get_by_label("6-digit code from your authenticator app").fill(phone_code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").tap()
    page.wait_for_url(COMMAND_HOME)
    expect(page.get_by_role("heading", level=1).first).to_be_visible()

    sign_out(page)

    # Next sign-in: the password, then the code.
    submit_sign_in(page, "command_a")
    page.wait_for_url(re.compile(r"/accounts/two-factor/code/"))
    page.goto("/reports/command/")  # nothing opens before the code
    page.wait_for_url(re.compile(r"/accounts/two-factor/code/"))
    field = page.get_by_label("6-digit code from your authenticator app")
    field.fill("000000" if phone_code(secret) != "000000" else "111111")
    page.get_by_role("button", name="Sign in").tap()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    # After a wrong code the app waits a second before it takes another.
    page.wait_for_timeout(1_100)
    # The code used to set up is spent; a phone running a little ahead shows the next one,
    # which is accepted (one 30-second step either way).
    page.get_by_label("6-digit code from your authenticator app").fill(phone_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Sign in").tap()
    page.wait_for_url(COMMAND_HOME)

    open_menu(page)
    page.get_by_role("link", name="Two-factor sign-in").tap()
    page.wait_for_url(re.compile(r"^https?://[^/]+/accounts/two-factor/$"))
    expect(page.get_by_text("On since")).to_be_visible()


def test_the_password_and_lockout_pages_run_under_the_policy(cast, page, settings):
    settings.AXES_ENABLED = True
    submit_sign_in(page, "officer_a1")
    page.wait_for_url(re.compile(r"/log/$"))
    for path in ["/accounts/password/", "/accounts/two-factor/"]:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
    sign_out(page)

    for _ in range(5):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("officer_a2")
        page.get_by_label("Password").fill("not-the-password")
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").tap()
    expect(page.get_by_role("heading", name="Sign-in paused for 15 minutes")).to_be_visible()
    expect(page.get_by_text("You can try again at")).to_be_visible()
