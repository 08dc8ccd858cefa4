"""Two-factor sign-in: a code from the phone after the password; required of command staff
and program administrators (REQUIRE_TWO_FACTOR), offered to everyone."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from tests.factories.core import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def required(settings):
    settings.REQUIRE_TWO_FACTOR = True


def code_for(hex_key: str, steps_ago: int = 0) -> str:
    totp = TOTP(bytes.fromhex(hex_key))
    totp.drift = -steps_ago
    return f"{totp.token():06d}"


def give_phone(user) -> str:
    key = random_hex(20)
    TOTPDevice.objects.create(user=user, name="Phone", key=key, confirmed=True)
    return key


def sign_in(username: str) -> HttpClient:
    client = HttpClient()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _location(response) -> str:
    assert response.status_code == 302, response.status_code
    return response["Location"]


# --- A phone set up: the code after the password -------------------------------------------


def test_a_user_with_a_phone_enters_its_code_after_the_password(cast):
    key = give_phone(cast.officer_a1)
    client = sign_in("officer_a1")
    assert _location(client.get("/mine/")) == "/accounts/two-factor/code/?next=/mine/"

    response = client.post("/accounts/two-factor/code/", {"code": code_for(key), "next": "/mine/"})
    assert _location(response) == "/mine/"
    assert client.get("/mine/").status_code == 200


def test_a_request_sent_just_before_the_code_was_accepted_does_not_sign_the_user_out(cast, required):
    """Every page asks the service worker's script again (is there a new version?): a request
    that left with the session's old key just before the code was accepted, and is answered
    after it, must not take the new session's cookie from the browser."""
    key = give_phone(cast.command_a)
    client = sign_in("command_a")
    old_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post("/accounts/two-factor/code/", {"code": code_for(key), "next": "/reports/command/"})
    assert _location(response) == "/reports/command/"
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != old_key  # a new key for the trusted session

    late = HttpClient()
    late.cookies[settings.SESSION_COOKIE_NAME] = old_key
    for path in ["/sw.js", "/reports/command/"]:
        answer = late.get(path)
        assert settings.SESSION_COOKIE_NAME not in answer.cookies, path
        client.cookies.update(answer.cookies)  # the browser takes the late answer's cookies last
    assert client.get("/reports/command/").status_code == 200

    # Signing out still takes the cookie away.
    signed_out = client.post("/accounts/logout/")
    assert signed_out.cookies[settings.SESSION_COOKIE_NAME].value == ""
    assert _location(client.get("/reports/command/")).startswith("/accounts/login/")


def test_until_the_code_nothing_opens_but_the_code_page_and_signing_out(cast):
    give_phone(cast.officer_a1)
    client = sign_in("officer_a1")
    for path in ["/", "/log/", "/mine/", "/reports/my-record/", "/accounts/password/", "/accounts/two-factor/"]:
        assert _location(client.get(path)).startswith("/accounts/two-factor/code/"), path
    assert client.get("/accounts/two-factor/code/").status_code == 200
    assert _location(client.post("/accounts/logout/")) == "/accounts/login/"


def test_a_wrong_code_is_refused(cast):
    key = give_phone(cast.officer_a1)
    client = sign_in("officer_a1")
    wrong = f"{(int(code_for(key)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/two-factor/code/", {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert _location(client.get("/mine/")).startswith("/accounts/two-factor/code/")


def test_wrong_codes_in_a_row_make_the_user_wait(cast):
    key = give_phone(cast.officer_a1)
    client = sign_in("officer_a1")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(3):
            traveller.shift(dt.timedelta(seconds=5))
            client.post("/accounts/two-factor/code/", {"code": "000000" if code_for(key) != "000000" else "111111"})
        # Three wrong codes: 4 seconds before the next try (then 8, 16...).
        response = client.post("/accounts/two-factor/code/", {"code": code_for(key)})
        assert "Too many wrong codes: wait 4 seconds" in response.content.decode()
        assert _location(client.get("/mine/")).startswith("/accounts/two-factor/code/")
        traveller.shift(dt.timedelta(seconds=4))
        assert _location(client.post("/accounts/two-factor/code/", {"code": code_for(key)})) == "/"


def test_a_code_that_was_used_cannot_be_used_again(cast):
    key = give_phone(cast.officer_a1)
    code = code_for(key)
    first = sign_in("officer_a1")
    assert _location(first.post("/accounts/two-factor/code/", {"code": code})) == "/"
    second = sign_in("officer_a1")
    assert second.post("/accounts/two-factor/code/", {"code": code}).status_code == 200
    assert _location(second.get("/mine/")).startswith("/accounts/two-factor/code/")


def test_the_code_page_sends_elsewhere_only_within_the_site(cast):
    key = give_phone(cast.officer_a1)
    client = sign_in("officer_a1")
    response = client.post("/accounts/two-factor/code/", {"code": code_for(key), "next": "https://evil.example/"})
    assert _location(response) == "/"


# --- Required of command staff and program administrators ----------------------------------


def test_command_staff_without_a_phone_set_one_up_before_anything_else(cast, required):
    client = sign_in("command_a")
    assert _location(client.get("/reports/command/")) == "/accounts/two-factor/?next=/reports/command/"

    page = client.get("/accounts/two-factor/?next=/reports/command/").content.decode()
    assert "Your role requires two-factor sign-in" in page
    assert 'src="data:image/svg+xml;base64,' in page
    key = client.session["two_factor_new_key"]
    secret = re.search(r'<code id="secret"[^>]*>([A-Z2-7 ]+)</code>', page).group(1)
    assert len(secret.replace(" ", "")) == 32

    response = client.post("/accounts/two-factor/", {"code": code_for(key), "next": "/reports/command/"})
    assert _location(response) == "/reports/command/"
    assert client.get("/reports/command/").status_code == 200
    assert TOTPDevice.objects.get(user=cast.command_a).confirmed


def test_an_officer_made_command_staff_owes_the_second_factor_at_once(cast, required):
    client = sign_in("officer_a1")
    assert client.get("/log/").status_code == 200
    type(cast.officer_a1).objects.filter(pk=cast.officer_a1.pk).update(role="command")
    assert _location(client.get("/reports/command/")) == "/accounts/two-factor/?next=/reports/command/"


def test_command_staff_with_a_phone_enter_its_code(cast, required):
    key = give_phone(cast.command_a)
    client = sign_in("command_a")
    assert _location(client.get("/")).startswith("/accounts/two-factor/code/")
    client.post("/accounts/two-factor/code/", {"code": code_for(key)})
    assert client.get("/reports/command/").status_code == 200


def test_the_admin_opens_only_after_the_code(cast, required):
    key = give_phone(cast.admin)
    client = sign_in("admin")
    assert _location(client.get("/admin/")) == "/accounts/two-factor/code/?next=/admin/"
    assert _location(client.get("/admin/deflection/user/")).startswith("/accounts/two-factor/code/")
    client.post("/accounts/two-factor/code/", {"code": code_for(key)})
    assert client.get("/admin/").status_code == 200


def test_signing_in_through_the_admins_own_form_needs_the_code_too(cast, required):
    give_phone(cast.admin)
    client = HttpClient()
    client.post("/admin/login/", {"username": "admin", "password": PASSWORD, "next": "/admin/"})
    assert _location(client.get("/admin/")).startswith("/accounts/two-factor/code/")


def test_a_program_admin_without_a_phone_is_sent_to_set_one_up_from_the_admin(cast, required):
    client = sign_in("admin")
    assert _location(client.get("/admin/")) == "/accounts/two-factor/?next=/admin/"


def test_a_wrong_code_does_not_set_up_a_phone(cast, required):
    client = sign_in("command_a")
    client.get("/accounts/two-factor/")
    key = client.session["two_factor_new_key"]
    wrong = f"{(int(code_for(key)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/two-factor/", {"code": wrong})
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.command_a).exists()
    assert _location(client.get("/reports/command/")).startswith("/accounts/two-factor/")


def test_reloading_the_set_up_page_keeps_the_same_key(cast, required):
    client = sign_in("command_a")
    first = client.get("/accounts/two-factor/").content.decode()
    second = client.get("/accounts/two-factor/").content.decode()
    secret = re.compile(r'<code id="secret"[^>]*>([A-Z2-7 ]+)</code>')
    assert secret.search(first).group(1) == secret.search(second).group(1)


def test_officers_and_case_managers_are_not_required_to(cast, required):
    assert sign_in("officer_a1").get("/log/").status_code == 200
    assert sign_in("cm_y").get("/queue/").status_code == 200


def test_command_staff_cannot_turn_it_off_while_it_is_required(cast, required):
    key = give_phone(cast.command_a)
    client = sign_in("command_a")
    client.post("/accounts/two-factor/code/", {"code": code_for(key)})
    response = client.post("/accounts/two-factor/off/", follow=True)
    assert "Your role requires two-factor sign-in" in response.content.decode()
    assert TOTPDevice.objects.filter(user=cast.command_a).exists()


def test_with_the_requirement_off_command_staff_sign_in_with_a_password_only(cast, settings):
    settings.REQUIRE_TWO_FACTOR = False
    assert sign_in("command_a").get("/reports/command/").status_code == 200
    assert sign_in("admin").get("/admin/").status_code == 200


def test_the_test_casts_password_sign_in_still_reaches_every_home(cast):
    # The test settings turn the requirement off, so that the cast signs in with a password.
    assert cast.login("command_a").get("/reports/command/").status_code == 200
    assert cast.login("admin").get("/admin/").status_code == 200


def test_a_lost_phone_reset_by_the_program_manager_means_setting_up_a_new_one(cast, required):
    give_phone(cast.command_a)
    client = sign_in("command_a")
    assert _location(client.get("/reports/command/")).startswith("/accounts/two-factor/code/")

    admin_key = give_phone(cast.admin)
    admin = sign_in("admin")
    admin.post("/accounts/two-factor/code/", {"code": code_for(admin_key)})
    device = TOTPDevice.objects.get(user=cast.command_a)
    page = admin.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert "command_a" in page and device.key not in page
    admin.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert not TOTPDevice.objects.filter(user=cast.command_a).exists()

    assert _location(client.get("/accounts/two-factor/code/?next=/reports/command/")) == "/reports/command/"
    assert _location(client.get("/reports/command/")).startswith("/accounts/two-factor/?next=")


# --- Offered to everyone ------------------------------------------------------------------


def test_an_officer_can_turn_it_on_and_then_signs_in_with_a_code(cast):
    client = sign_in("officer_a1")
    client.get("/accounts/two-factor/")
    key = client.session["two_factor_new_key"]
    response = client.post("/accounts/two-factor/", {"code": code_for(key)}, follow=True)
    assert "Two-factor sign-in is on" in response.content.decode()
    assert client.get("/mine/").status_code == 200  # this session was just verified

    later = sign_in("officer_a1")
    assert _location(later.get("/mine/")).startswith("/accounts/two-factor/code/")


def test_an_officer_can_turn_it_off(cast):
    key = give_phone(cast.officer_a1)
    client = sign_in("officer_a1")
    client.post("/accounts/two-factor/code/", {"code": code_for(key)})
    response = client.post("/accounts/two-factor/off/", follow=True)
    assert "Two-factor sign-in is off" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.officer_a1).exists()
    assert sign_in("officer_a1").get("/mine/").status_code == 200


def test_a_new_phone_replaces_the_old_one(cast):
    old_key = give_phone(cast.officer_a1)
    client = sign_in("officer_a1")
    client.post("/accounts/two-factor/code/", {"code": code_for(old_key)})
    client.get("/accounts/two-factor/?new=1")
    new_key = client.session["two_factor_new_key"]
    client.post("/accounts/two-factor/", {"code": code_for(new_key)})
    assert list(TOTPDevice.objects.filter(user=cast.officer_a1).values_list("key", flat=True)) == [new_key]


def test_a_session_from_before_the_phone_cannot_change_or_remove_it(cast):
    old_session = cast.login("officer_a1")
    give_phone(cast.officer_a1)
    page = old_session.get("/accounts/two-factor/?new=1").content.decode()
    assert "sign out and in again" in page and "data:image/svg+xml" not in page
    old_session.post("/accounts/two-factor/off/")
    assert TOTPDevice.objects.filter(user=cast.officer_a1).exists()


# --- The setting ------------------------------------------------------------------------------


def _require_two_factor(env: dict[str, str]) -> str:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "DEMO_MODE", "REQUIRE_TWO_FACTOR", "DJANGO_SETTINGS_MODULE")
    }
    code = "from deflection import settings; print(settings.REQUIRE_TWO_FACTOR)"
    # Our own interpreter and fixed arguments: nothing untrusted is executed.
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_it_is_required_whenever_debug_is_off_whatever_the_setting_says():
    assert _require_two_factor({"DEBUG": "false"}) == "True"
    assert _require_two_factor({"DEBUG": "false", "REQUIRE_TWO_FACTOR": "false"}) == "True"
    assert _require_two_factor({"DEBUG": "false", "DEMO_MODE": "true", "REQUIRE_TWO_FACTOR": "false"}) == "True"


def test_the_demo_that_make_run_starts_does_not_require_it():
    demo_env = re.search(r"^DEMO_ENV = (.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE).group(1)
    env = dict(pair.split("=", 1) for pair in demo_env.split())
    assert _require_two_factor(env) == "False"
    assert _require_two_factor({"DEBUG": "true", "REQUIRE_TWO_FACTOR": "true"}) == "True"
