"""deflection.navigation.url_of: a URL without arguments reversed once, as reverse() gives it,
under whichever script prefix the app is served (a deployment behind /deflection/, say)."""

from __future__ import annotations

from django.urls import reverse, set_script_prefix

from deflection.navigation import url_of


def test_each_url_is_what_reverse_gives_under_each_script_prefix():
    names = ["home", "login", "referrals:log", "referrals:mine", "buyin:suggestion_new", "admin:index"]
    try:
        for prefix in ("/", "/deflection/", "/"):
            set_script_prefix(prefix)
            for name in names:
                assert url_of(name) == reverse(name)
                assert url_of(name).startswith(prefix)
    finally:
        set_script_prefix("/")
