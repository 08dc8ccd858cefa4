"""Passwords: Argon2, at least 12 characters and not a common one; changing it signs out
every other session of the user."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client as HttpClient
from django.test import override_settings

from deflection import settings as production
from deflection.models import User
from tests.factories.core import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-longer-new-passphrase-42"
# The production hashers, and the test settings' fast one that the cast's passwords use.
PRODUCTION_HASHERS = [*production.PASSWORD_HASHERS, "django.contrib.auth.hashers.MD5PasswordHasher"]


def _change(client: HttpClient, new: str, old: str = PASSWORD):
    return client.post("/accounts/password/", {"old_password": old, "new_password1": new, "new_password2": new})


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_new_passwords_are_hashed_with_argon2(cast):
    response = _change(cast.login("officer_a1"), NEW_PASSWORD)
    assert response.status_code == 302
    cast.officer_a1.refresh_from_db()
    assert cast.officer_a1.password.startswith("argon2$")


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_an_older_pbkdf2_hash_still_signs_in_and_is_rehashed_with_argon2(cast):
    User.objects.filter(pk=cast.officer_a1.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    response = HttpClient().post("/accounts/login/", {"username": "officer_a1", "password": PASSWORD})
    assert response.status_code == 302 and "/accounts/login/" not in response["Location"]
    cast.officer_a1.refresh_from_db()
    assert cast.officer_a1.password.startswith("argon2$")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pass1", "at least 12 characters"),
        ("password1234", "too common"),
        ("589302718465", "entirely numeric"),
    ],
)
def test_a_short_common_or_numeric_password_is_refused(cast, password, reason):
    response = _change(cast.login("officer_a1"), password)
    assert response.status_code == 200
    assert reason in response.content.decode()
    cast.officer_a1.refresh_from_db()
    assert cast.officer_a1.check_password(PASSWORD)


def test_the_password_page_asks_for_the_current_password(cast):
    response = _change(cast.login("officer_a1"), NEW_PASSWORD, old="not-my-password-at-all")
    assert response.status_code == 200
    cast.officer_a1.refresh_from_db()
    assert cast.officer_a1.check_password(PASSWORD)


def test_changing_the_password_keeps_this_session_and_signs_out_every_other(cast):
    phone, desk = cast.login("officer_a1"), cast.login("officer_a1")
    assert desk.get("/mine/").status_code == 200

    response = _change(phone, NEW_PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"

    assert phone.get("/mine/").status_code == 200
    signed_out = desk.get("/mine/")
    assert signed_out.status_code == 302 and signed_out["Location"].startswith("/accounts/login/")


def test_after_a_change_only_the_new_password_signs_in(cast):
    _change(cast.login("officer_a1"), NEW_PASSWORD)
    assert not HttpClient().login(username="officer_a1", password=PASSWORD)
    assert HttpClient().login(username="officer_a1", password=NEW_PASSWORD)
