"""How long logging a deflection took, from the form shown to the deflection saved, as the
server saw it: carried by the form's signed submission token, never trusted when tampered."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals.models import OfficerContact, Referral
from referrals.submission import submission_read, submission_token_new
from tests.factories.referrals import ClientFactory, OfficerFactory, ReferralFactory, another_deflection_form
from tests.test_log_deflection import _form

pytestmark = pytest.mark.django_db


def _shown(seconds_ago: float) -> str:
    return submission_token_new(now=timezone.now() - timedelta(seconds=seconds_ago))


def test_the_form_carries_a_token_signed_with_when_it_was_shown(cast):
    token = cast.login("officer_a1").get("/log/").context["form"]["submission_token"].value()
    read = submission_read(token)
    assert read is not None and abs((timezone.now() - read.shown_at).total_seconds()) < 5


def test_saving_stores_the_seconds_from_the_form_shown_to_the_deflection_saved(cast):
    cast.login("officer_a1").post("/log/", _form(cast, submission_token=_shown(75)))
    assert 75 <= Referral.objects.get().seconds_to_log <= 80


def test_a_contact_added_to_an_open_referral_stores_its_seconds_too(cast):
    first = ReferralFactory(officer=OfficerFactory(user=cast.officer_a2), partner=cast.partner_y)
    form = another_deflection_form(first, cast.partner_y, submission_token=_shown(42))
    cast.login("officer_a1").post("/log/", form)
    assert 42 <= OfficerContact.objects.get().seconds_to_log <= 47


def _tampered(token: str) -> str:
    """The same token with its time moved an hour earlier and the signature kept."""
    token_uuid, shown, signature = token.split(":")
    return f"{token_uuid}:{int(shown) - 3600}:{signature}"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: _tampered(_shown(30)), id="time-changed"),
        pytest.param(lambda: _shown(30)[:-2] + "xx", id="signature-changed"),
        pytest.param(lambda: _shown(2 * 3600 + 60), id="left-open-over-two-hours"),
        pytest.param(lambda: _shown(-120), id="shown-in-the-future"),
        pytest.param(lambda: str(uuid.uuid4()), id="unsigned"),
    ],
)
def test_a_tampered_or_unbelievable_time_is_not_measured_but_the_deflection_is_saved(cast, token):
    value = token()
    response = cast.login("officer_a1").post("/log/", _form(cast, submission_token=value))
    referral = Referral.objects.get()
    assert response.status_code == 302 and referral.seconds_to_log is None
    # The token still stops a double tap.
    cast.login("officer_a1").post("/log/", _form(cast, submission_token=value))
    assert Referral.objects.count() == 1


def test_a_token_without_a_uuid_is_refused(cast):
    page = cast.login("officer_a1").post("/log/", _form(cast, submission_token="1733:abc:def")).content.decode()
    assert "This form is damaged" in page and not Referral.objects.exists()


def test_a_double_tap_of_a_signed_form_saves_once(cast):
    data = _form(cast, submission_token=_shown(20))
    client = cast.login("officer_a1")
    client.post("/log/", data)
    page = client.post("/log/", data, follow=True).content.decode()
    assert Referral.objects.count() == 1 and "already saved" in page


def test_measuring_costs_the_save_no_query(cast):
    known = ClientFactory(agency=cast.agency_a)
    client = cast.login("officer_a1")
    client.post("/log/", _form(cast, client=str(known.pk), first_name="", last_name="", partner=str(cast.partner_x.pk)))

    def queries(token: str) -> int:
        other = ClientFactory(agency=cast.agency_a)
        data = _form(cast, client=str(other.pk), first_name="", last_name="", submission_token=token)
        with CaptureQueriesContext(connection) as captured:
            assert client.post("/log/", data).status_code == 302
        return len(captured)

    assert queries(_shown(60)) == queries(str(uuid.uuid4()))
