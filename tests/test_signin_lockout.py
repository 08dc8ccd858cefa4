"""Lockout: 5 wrong passwords for one username from one address pause that pair for 15
minutes, with a page that says until when and whom to call, and a record of it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client as HttpClient
from django.test import override_settings

from tests.factories.core import PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("axes_on")]

START = dt.datetime(2026, 3, 2, 16, 0, 30, tzinfo=dt.UTC)  # 9:00:30 in Phoenix
HOME = "10.1.2.3"
ELSEWHERE = "10.9.9.9"


@pytest.fixture
def axes_on():
    with override_settings(AXES_ENABLED=True):
        yield


def _sign_in(username: str, password: str, address: str = HOME):
    return HttpClient(REMOTE_ADDR=address).post("/accounts/login/", {"username": username, "password": password})


def _signed_in(response) -> bool:
    return response.status_code == 302 and "/accounts/login/" not in response["Location"]


def _admin(cast) -> HttpClient:
    client = HttpClient()
    client.force_login(cast.admin)
    return client


def _fail(username: str, times: int, address: str = HOME):
    return [_sign_in(username, "not-the-password", address) for _ in range(times)][-1]


def test_four_wrong_passwords_still_leave_the_right_one_working(cast):
    assert _fail("officer_a1", 4).status_code == 200
    assert _signed_in(_sign_in("officer_a1", PASSWORD))


def test_five_wrong_passwords_lock_out_and_the_right_one_is_then_refused(cast):
    with time_machine.travel(START, tick=False):
        fifth = _fail("officer_a1", 5)
        assert fifth.status_code == 429
        refused = _sign_in("officer_a1", PASSWORD)
    assert refused.status_code == 429
    assert not _signed_in(refused)


def test_the_lockout_page_says_when_to_try_again_and_whom_to_call(cast, settings):
    settings.SIGN_IN_HELP = "the program manager at 520-555-0142"
    with time_machine.travel(START, tick=False):
        page = _fail("officer_a1", 5).content.decode()
    assert "<nav" in page  # the site's own page, not a bare error
    assert "You can try again at 09:16 (in 15\xa0minutes)." in page
    assert "Call the program manager at 520-555-0142" in page
    assert "officer_a1" in page


def test_another_user_at_the_same_address_can_still_sign_in(cast):
    _fail("officer_a1", 5)
    assert _signed_in(_sign_in("officer_a2", PASSWORD))


def test_the_same_user_from_another_address_can_still_sign_in(cast):
    _fail("officer_a1", 5)
    assert _signed_in(_sign_in("officer_a1", PASSWORD, address=ELSEWHERE))


def test_after_15_minutes_the_right_password_works_again(cast):
    with time_machine.travel(START, tick=False) as traveller:
        _fail("officer_a1", 5)
        traveller.shift(dt.timedelta(minutes=14, seconds=59))
        assert _sign_in("officer_a1", PASSWORD).status_code == 429
        traveller.shift(dt.timedelta(seconds=2))
        assert _signed_in(_sign_in("officer_a1", PASSWORD))


def test_trying_again_during_the_lockout_does_not_extend_it(cast):
    with time_machine.travel(START, tick=False) as traveller:
        _fail("officer_a1", 5)
        traveller.shift(dt.timedelta(minutes=10))
        assert _fail("officer_a1", 3).status_code == 429
        traveller.shift(dt.timedelta(minutes=5, seconds=1))
        assert _signed_in(_sign_in("officer_a1", PASSWORD))


def test_the_admin_sign_in_is_locked_too(cast):
    for _ in range(5):
        HttpClient(REMOTE_ADDR=HOME).post("/admin/login/", {"username": "admin", "password": "wrong-wrong-wrong"})
    assert _sign_in("admin", PASSWORD).status_code == 429


def test_every_failure_and_the_lockout_are_on_record(cast):
    _fail("officer_a1", 5)
    _sign_in("officer_a1", PASSWORD)
    failures = AccessFailureLog.objects.filter(username="officer_a1", ip_address=HOME).order_by("attempt_time")
    assert [f.locked_out for f in failures] == [False, False, False, False, True, True]
    attempt = AccessAttempt.objects.get(username="officer_a1", ip_address=HOME)
    assert attempt.failures_since_start == 5
    assert "not-the-password" not in attempt.post_data


def test_the_program_admin_reads_the_records_and_cannot_change_them(cast):
    _fail("officer_a1", 5)
    failure = AccessFailureLog.objects.filter(username="officer_a1").first()
    admin = _admin(cast)
    page = admin.get("/admin/axes/accessfailurelog/").content.decode()
    assert "officer_a1" in page
    assert admin.get(f"/admin/axes/accessfailurelog/{failure.pk}/change/").status_code == 200
    assert admin.get(f"/admin/axes/accessfailurelog/{failure.pk}/delete/").status_code == 403
    admin.post(f"/admin/axes/accessfailurelog/{failure.pk}/change/", {"username": "someone_else"})
    failure.refresh_from_db()
    assert failure.username == "officer_a1"
    assert admin.get("/admin/axes/accesslog/add/").status_code == 403
    assert "officer_a1" in admin.get("/admin/axes/accessattempt/").content.decode()


def test_the_program_admin_can_lift_a_lockout_early(cast):
    _fail("officer_a1", 5)
    attempt = AccessAttempt.objects.get(username="officer_a1")
    response = _admin(cast).post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert _signed_in(_sign_in("officer_a1", PASSWORD))
    assert AccessFailureLog.objects.filter(username="officer_a1").count() == 5


def test_the_program_admin_lifts_the_pause_from_the_users_page(cast):
    _fail("officer_a1", 5)
    assert not _signed_in(_sign_in("officer_a1", PASSWORD))
    response = _admin(cast).post(
        "/admin/deflection/user/", {"action": "lift_sign_in_pause", "_selected_action": [cast.officer_a1.pk]}
    )
    assert response.status_code == 302
    assert _signed_in(_sign_in("officer_a1", PASSWORD))
    # The five failures and the refused try during the pause stay on record.
    assert AccessFailureLog.objects.filter(username="officer_a1").count() == 6


def test_the_record_names_no_password(cast):
    _fail("officer_a1", 6)
    for row in AccessFailureLog.objects.all():
        assert "not-the-password" not in str(vars(row))


def test_one_address_failing_on_many_usernames_is_paused_for_everyone_there(cast, settings):
    settings.SIGN_IN_ADDRESS_LIMIT = 12
    for i in range(12):
        _sign_in(f"someone{i % 4}-{i}", "guess-one-password")  # never 5 on one username
    refused = _sign_in("officer_a2", PASSWORD)
    assert not _signed_in(refused)
    assert "Too many failed sign-ins from this network" in refused.content.decode()
    assert AccessFailureLog.objects.filter(username="officer_a2", locked_out=True).exists()
    assert _signed_in(_sign_in("officer_a2", PASSWORD, address=ELSEWHERE))


def test_the_admins_own_sign_in_form_pauses_the_address_too(cast, settings):
    settings.SIGN_IN_ADDRESS_LIMIT = 3
    for i in range(3):
        _sign_in(f"nobody{i}", "guess")
    page = HttpClient(REMOTE_ADDR=HOME).post("/admin/login/?next=/admin/", {"username": "admin", "password": PASSWORD})
    assert page.status_code == 200 and "Too many failed sign-ins from this network" in page.content.decode()


def test_refused_tries_during_an_address_pause_do_not_prolong_it(cast, settings):
    settings.SIGN_IN_ADDRESS_LIMIT = 3
    with time_machine.travel(START, tick=False):
        for i in range(3):
            _sign_in(f"nobody{i}", "guess")
    with time_machine.travel(START + dt.timedelta(minutes=10), tick=False):
        for _ in range(3):  # officers at the station keep trying, with the right password
            assert not _signed_in(_sign_in("officer_a1", PASSWORD))
    with time_machine.travel(START + dt.timedelta(minutes=16), tick=False):
        assert _signed_in(_sign_in("officer_a1", PASSWORD))


def test_an_ipv6_network_counts_as_one_address(cast, settings):
    settings.SIGN_IN_ADDRESS_LIMIT = 3
    for i in range(3):
        _sign_in(f"nobody{i}", "guess", address=f"2001:db8:1:2::{i + 1}")
    assert not _signed_in(_sign_in("officer_a1", PASSWORD, address="2001:db8:1:2::99"))
    assert _signed_in(_sign_in("officer_a1", PASSWORD, address="2001:db8:1:3::1"))


def test_lifting_a_users_pause_also_lifts_the_address_pause_they_met(cast, settings):
    settings.SIGN_IN_ADDRESS_LIMIT = 3
    for i in range(3):
        _sign_in(f"nobody{i}", "guess")
    assert not _signed_in(_sign_in("officer_a1", PASSWORD))
    _admin(cast).post(
        "/admin/deflection/user/", {"action": "lift_sign_in_pause", "_selected_action": [cast.officer_a1.pk]}
    )
    assert _signed_in(_sign_in("officer_a1", PASSWORD))
    assert LogEntry.objects.filter(object_id=str(cast.officer_a1.pk), change_message__contains="pause").exists()


def test_staff_who_may_only_view_users_cannot_lift_a_pause(cast):
    _fail("officer_a1", 5)
    viewer = UserFactory(username="viewer", role="command", agency=cast.agency_a, is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    client = HttpClient()
    client.force_login(viewer)
    assert "lift_sign_in_pause" not in client.get("/admin/deflection/user/").content.decode()
    client.post("/admin/deflection/user/", {"action": "lift_sign_in_pause", "_selected_action": [cast.officer_a1.pk]})
    assert AccessAttempt.objects.filter(username="officer_a1").exists()
