"""Consent decides what flows back to police; revocation and expiry stop the flow."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from referrals import services
from referrals.models import Consent, Referral
from referrals.police_disclosure import officer_view, with_officer_view
from referrals.selectors import consent_signing_window
from tests.factories.referrals import (
    OfficerFactory,
    ReferralFactory,
    accepted_referral,
    another_deflection_form,
    retention_check_recorded,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(cast) -> Referral:
    return accepted_referral(cast, occurred_at=timezone.now() - timedelta(hours=2))


def _consent(cast, referral, **overrides) -> Consent:
    kwargs = {
        "referral_id": referral.pk,
        "actor": cast.case_manager_y,
        "scope": Consent.Scope.STATUS_OUTCOMES,
        "to_referring_agency": True,
        "purpose": "Let the referring officer know how the referral went",
        "signature_name": "Dana Whitfield",
        "signed_on": timezone.localdate(),
        "expiry_event": Consent.ExpiryEvent.END_OF_TREATMENT,
    }
    kwargs.update(overrides)
    return services.consent_capture(**kwargs)


def _view(referral):
    return officer_view(with_officer_view(Referral.objects.filter(pk=referral.pk)).get())


def _complete_retention_30(cast, referral):
    retention_check_recorded(referral, 30, actor=cast.case_manager_y)


def test_without_consent_the_officer_sees_only_received_and_open(cast, referral):
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    _complete_retention_30(cast, referral)
    view = _view(referral)
    assert view.label == "Received by partner · open"
    assert view.items == []
    assert "In treatment" not in view.label


def test_without_consent_a_closed_referral_shows_only_closed(cast, referral):
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_fail(referral_id=referral.pk, actor=cast.case_manager_y, reason="disengaged")
    view = _view(referral)
    assert view.label == "Closed" and view.items == [] and not view.is_open


def test_with_consent_the_officer_sees_intake_retention_and_the_outcome(cast, referral):
    _consent(cast, referral)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    _complete_retention_30(cast, referral)
    services.referral_complete(referral_id=referral.pk, actor=cast.case_manager_y)
    view = _view(referral)
    texts = [item.text for item in view.items]
    assert texts == ["Intake: the client attended", "30-day retention check: still engaged", "Completed"]
    assert view.label == "Completed"


def test_status_only_consent_shows_the_status_but_no_outcomes(cast, referral):
    _consent(cast, referral, scope=Consent.Scope.STATUS_ONLY)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    view = _view(referral)
    assert view.label == "In treatment"
    assert view.items == []


def test_consent_to_a_partner_only_sends_nothing_to_police(cast, referral):
    _consent(cast, referral, to_referring_agency=False, recipient_partner_ids=[cast.partner_x.pk])
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    assert _view(referral).items == []


def test_after_revocation_nothing_new_flows_and_nothing_is_deleted(cast, referral):
    consent = _consent(cast, referral)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    services.consent_revoke(consent_id=consent.pk, actor=cast.case_manager_y, note="Client asked by phone")
    _complete_retention_30(cast, referral)
    services.referral_complete(referral_id=referral.pk, actor=cast.case_manager_y)
    view = _view(referral)
    assert [item.text for item in view.items] == ["Intake: the client attended"]
    # Closed is always known to police; how it closed came after revocation, so not why.
    assert view.label == "Closed" and not view.is_open
    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revoked_by == cast.case_manager_y
    assert Consent.objects.filter(pk=consent.pk).exists()
    with pytest.raises(ValidationError):
        services.consent_revoke(consent_id=consent.pk, actor=cast.case_manager_y)


def test_an_expired_consent_stops_the_flow_the_same_way(cast, referral):
    consent = _consent(cast, referral, expiry_event="", expires_on=timezone.localdate())
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    # The expiry date passes (set-up: move it into the past).
    Consent.objects.filter(pk=consent.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    services.referral_complete(referral_id=referral.pk, actor=cast.case_manager_y)
    view = _view(referral)
    assert "Completed" not in [item.text for item in view.items]
    assert view.label != "Completed"
    assert not view.consent_active


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"signature_name": "  "}, "signature_name"),
        ({"expiry_event": "", "expires_on": None}, "expires_on"),
        ({"expiry_event": "", "expires_on": timezone.localdate() - timedelta(days=1)}, "expires_on"),
        ({"to_referring_agency": False, "recipient_partner_ids": []}, "to_referring_agency"),
    ],
)
def test_an_incomplete_consent_is_refused(cast, referral, overrides, field):
    with pytest.raises(ValidationError) as refused:
        _consent(cast, referral, **overrides)
    assert field in refused.value.message_dict
    assert Consent.objects.count() == 0


def test_another_partners_case_manager_cannot_record_consent(cast, referral):
    with pytest.raises(ValidationError):
        _consent(cast, referral, actor=cast.case_manager_x)


def test_the_officer_is_shown_what_changed_since_they_last_looked(cast, referral):
    _consent(cast, referral)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    assert _view(referral).updated
    services.referral_mark_seen(referral_id=referral.pk, user=cast.officer_a1)
    assert not _view(referral).updated


def test_consent_given_after_the_officer_looked_shows_as_an_update(cast, referral):
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_mark_seen(referral_id=referral.pk, user=cast.officer_a1)
    assert not _view(referral).updated
    _consent(cast, referral)
    view = _view(referral)
    assert view.updated and view.label == "In treatment"


def test_a_revoked_consent_before_closing_still_shows_closed(cast, referral):
    consent = _consent(cast, referral)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    services.consent_revoke(consent_id=consent.pk, actor=cast.case_manager_y, note="by phone")
    assert _view(referral).label == "In treatment"
    services.referral_fail(referral_id=referral.pk, actor=cast.case_manager_y, reason="moved")
    view = _view(referral)
    assert view.label == "Closed" and "Closed, not completed" not in [i.text for i in view.items]


def test_the_client_page_shows_police_only_the_consent_filtered_status(cast, referral):
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    for who in ("officer_a1", "supervisor_a"):
        page = cast.login(who).get(f"/clients/{referral.client_id}/").content.decode()
        assert "In treatment" not in page and "Received by partner" in page
    assert "In treatment" in cast.login("case_manager_y").get(f"/clients/{referral.client_id}/").content.decode()


def test_another_officers_open_referral_is_mentioned_without_the_partner(cast, referral):
    client = cast.login("officer_a2")
    response = client.post(
        "/log/",
        another_deflection_form(referral, cast.partner_x, submission_token="7f1d0a0e-1111-4c4c-9d9d-000000000001"),
        follow=True,
    )
    page = response.content.decode()
    assert "This client already has an open referral." in page
    assert "Y 24/7 MAT Clinic" not in page


# ---------------------------------------------------------------------------
# When consent may be recorded, and with which date (the service decides).
# ---------------------------------------------------------------------------


def test_the_referring_officer_records_consent_at_the_scene_only(cast):
    fresh = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    assert _consent(cast, fresh, actor=cast.officer_a1).captured_by == cast.officer_a1
    services.referral_accept(referral_id=fresh.pk, actor=cast.case_manager_y)
    with pytest.raises(ValidationError, match="cannot record consent"):
        _consent(cast, fresh, actor=cast.officer_a1)
    assert fresh.consents.count() == 1


@pytest.mark.parametrize("who", ["officer_a1", "case_manager_y", "admin"])
def test_a_closed_referral_takes_no_new_consent_from_anyone(cast, referral, who):
    services.referral_fail(referral_id=referral.pk, actor=cast.case_manager_y, reason=Referral.FailReason.values[0])
    with pytest.raises(ValidationError, match="cannot record consent"):
        _consent(cast, referral, actor=getattr(cast, who))
    assert not referral.consents.exists()
    # Nor does its page let the officer in to try, nor print a blank form for it.
    client = cast.login("officer_a1")
    assert client.get(f"/referrals/{referral.pk}/consent/").status_code == 404
    assert client.post(f"/referrals/{referral.pk}/consent/", {"signature_name": "X"}).status_code == 404


def test_a_consent_cannot_be_signed_before_the_encounter_nor_after_today(cast):
    occurred = timezone.now() - timedelta(days=3)
    referral = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y, occurred_at=occurred
    )
    first_day, today = consent_signing_window(referral=referral)
    with pytest.raises(ValidationError) as refused:
        _consent(cast, referral, signed_on=first_day - timedelta(days=1))
    assert "before the encounter" in str(refused.value.message_dict["signed_on"])
    with pytest.raises(ValidationError) as refused:
        _consent(cast, referral, signed_on=today + timedelta(days=1))
    assert "future" in str(refused.value.message_dict["signed_on"])
    assert not referral.consents.exists()
    assert _consent(cast, referral, signed_on=first_day).signed_on == first_day


def test_the_signing_dates_are_the_agencys_dates_not_utcs(cast):
    # 06:40 UTC on March 10 is 23:40 on March 9 in Phoenix: the encounter at 23:00 there was
    # on the 9th, and the 9th is still today.
    now = datetime(2026, 3, 10, 6, 40, tzinfo=UTC)
    referral = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y, occurred_at=now - timedelta(minutes=40)
    )
    assert consent_signing_window(referral=referral, now=now) == (date(2026, 3, 9), date(2026, 3, 9))


def test_the_consent_form_refuses_a_date_before_the_encounter(cast, referral):
    day_before = consent_signing_window(referral=referral)[0] - timedelta(days=1)
    page = cast.login("case_manager_y").post(
        f"/referrals/{referral.pk}/consent/",
        {
            "scope": "status_only",
            "to_referring_agency": "on",
            "purpose": "Status to the officer",
            "signature_name": "Client Signature",
            "signed_on": day_before.isoformat(),
            "expiry_event": "end_of_treatment",
            "language": "en",
        },
    )
    assert page.status_code == 200 and "cannot be before the encounter" in page.content.decode()
    assert not referral.consents.exists()
