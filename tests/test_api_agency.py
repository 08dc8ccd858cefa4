"""The agency side of the API: an agency's records system logs deflections for its officers,
with the log form's rules, and reads the agency's referrals as its officers see them."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.utils import timezone

from deflection.models import AccessEvent
from referrals import services
from referrals.models import CaseEvent, Client, Officer, OfficerContact, Referral
from referrals.police_disclosure import officer_view
from tests.factories.api import api_client, integration_client
from tests.factories.referrals import ClientFactory, OfficerFactory, ReferralFactory, consent_given

pytestmark = pytest.mark.django_db

URL = "/api/v1/deflections/"


@pytest.fixture
def rms(cast):
    client, token = integration_client(cast, agency=cast.agency_a, name="Agency A RMS")
    return client, api_client(token)


def _body(cast, **changes) -> dict:
    body = {
        "submission_key": str(uuid.uuid4()),
        "officer_badge": cast.officer_a1.badge_number,
        "incident_number": "24-001234",
        "partner_id": cast.partner_y.pk,
        "pathway": "officer_intervention",
        "presenting_needs": ["substance_use"],
        "naloxone_administered": True,
        "new_client": {"first_name": "Marisol", "last_name": "Quintero", "date_of_birth": "1990-04-02"},
    }
    return {**body, **changes}


def test_the_rms_logs_a_deflection_for_the_officer_named_by_badge(cast, rms):
    integration, http = rms
    response = http.post(URL, _body(cast), content_type="application/json")
    assert response.status_code == 201, response.content
    referral = Referral.objects.get()
    assert referral.officer.user == cast.officer_a1 and referral.agency == cast.agency_a
    assert referral.incident_number == "24-001234" and referral.partner == cast.partner_y
    assert referral.officer_minutes == cast.agency_a.default_deflection_minutes
    # Written by the system, on its own name: the referral, the case event, the access record.
    assert referral.created_by == integration.user
    assert CaseEvent.objects.get(referral=referral).actor == integration.user
    assert AccessEvent.objects.filter(user=integration.user, referral_id=referral.pk).exists()
    data = response.json()
    assert data["created"] is True and data["officer_contact"] is False
    assert data["id"] == referral.pk and data["client_id"] == referral.client_id
    assert data["status"]["label"] == "Received by partner · open"
    # Never the client's identity.
    assert "Marisol" not in response.content.decode() and "1990" not in response.content.decode()
    # The officer sees it among their deflections, with its incident number.
    page = cast.login("officer_a1").get(f"/referrals/{referral.pk}/").content.decode()
    assert "24-001234" in page


def test_the_same_submission_key_saves_once_and_answers_the_same_referral(cast, rms):
    _integration, http = rms
    body = _body(cast)
    first = http.post(URL, body, content_type="application/json")
    again = http.post(URL, body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    assert Referral.objects.count() == 1 and Client.objects.count() == 1


def test_a_known_client_seen_again_while_their_referral_is_open_is_an_officer_contact(cast, rms):
    _integration, http = rms
    first = http.post(URL, _body(cast), content_type="application/json").json()
    second = http.post(URL, _body(cast, new_client=None, client_id=first["client_id"]), content_type="application/json")
    assert second.status_code == 201 and second.json()["officer_contact"] is True
    assert second.json()["id"] == first["id"]
    assert Referral.objects.count() == 1 and OfficerContact.objects.get().incident_number == "24-001234"


def test_a_new_client_who_may_be_known_is_refused_with_the_matches_as_the_form_does(cast, rms):
    integration, http = rms
    known = ClientFactory(
        agency=cast.agency_a, first_name="Marisol", last_name="Quintero", date_of_birth=date(1990, 4, 2)
    )
    response = http.post(URL, _body(cast), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"]["confirm_new"] == [str(services.POSSIBLY_KNOWN)]
    assert [m["client_id"] for m in response.json()["possible_matches"]] == [known.pk]
    assert AccessEvent.objects.filter(user=integration.user, client_id=known.pk, action="search_result").exists()
    assert not Referral.objects.exists()
    confirmed = http.post(URL, _body(cast, confirm_new=True), content_type="application/json")
    assert confirmed.status_code == 201 and Client.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"officer_badge": "NOPE-1"}, "officer_badge"),
        ({"partner_id": 99999}, "partner_id"),
        ({"occurred_at": "2001-01-01T10:00:00Z"}, "occurred_at"),
        ({"officer_minutes": -5}, "officer_minutes"),
        ({"officer_minutes": 100000}, "officer_minutes"),
        ({"pathway": "arrest"}, "pathway"),
        ({"presenting_needs": ["bad"]}, "presenting_needs"),
        ({"new_client": {"first_name": "", "last_name": "Q"}}, "first_name"),
        ({"new_client": {"first_name": "A", "last_name": "Q", "date_of_birth": "2999-01-01"}}, "date_of_birth"),
        ({"client_id": 123456789}, "non_field_errors"),
        ({"submission_key": "not-a-uuid"}, "submission_key"),
    ],
)
def test_what_the_log_form_refuses_the_api_refuses_in_the_same_words(cast, rms, changes, field):
    _integration, http = rms
    response = http.post(URL, _body(cast, **changes), content_type="application/json")
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert field in errors or (field == "non_field_errors" and response.json()["detail"]), errors
    assert not Referral.objects.exists()


def test_an_officer_of_another_agency_cannot_be_named(cast, rms):
    _integration, http = rms
    response = http.post(URL, _body(cast, officer_badge=cast.officer_b.badge_number), content_type="application/json")
    assert response.status_code == 422 and "officer_badge" in response.json()["errors"]
    assert not Referral.objects.exists() and not Officer.objects.filter(user=cast.officer_b).exists()


def test_another_agencys_client_cannot_be_named(cast, rms):
    _integration, http = rms
    theirs = ClientFactory(agency=cast.agency_b)
    body = _body(cast, new_client=None, client_id=theirs.pk)
    response = http.post(URL, body, content_type="application/json")
    assert response.status_code == 422 and "client_id" in response.json()["errors"]


def test_the_rms_reads_status_and_outcome_exactly_as_the_officer_sees_them(cast, rms):
    _integration, http = rms
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    without = http.get(f"{URL}{referral.pk}/").json()["status"]
    assert without["label"] == "Received by partner · open" and without["outcomes"] == []
    consent_given(referral, cast.case_manager_y, scope="status_outcomes", purpose="To the officer")
    shown = http.get(f"{URL}{referral.pk}/").json()["status"]
    referral.refresh_from_db()
    view = officer_view(referral)
    assert shown["label"] == view.label == "In treatment"
    assert [o["text"] for o in shown["outcomes"]] == [item.text for item in view.items]
    assert "Intake: the client attended" in [o["text"] for o in shown["outcomes"]]


def test_the_list_filters_by_incident_number_and_shows_only_the_agencys(cast, rms):
    _integration, http = rms
    mine = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y, incident_number="A-1")
    ReferralFactory(officer=OfficerFactory(user=cast.officer_a2), partner=cast.partner_x, incident_number="A-2")
    theirs = ReferralFactory(officer=OfficerFactory(user=cast.officer_b), partner=cast.partner_y, incident_number="A-1")
    everything = http.get(URL).json()
    assert everything["count"] == 2 and theirs.pk not in [r["id"] for r in everything["results"]]
    found = http.get(URL, {"incident_number": "A-1"}).json()
    assert [r["id"] for r in found["results"]] == [mine.pk]
    assert http.get(f"{URL}{theirs.pk}/").status_code == 404
    later = http.get(URL, {"logged_since": (timezone.now() + timedelta(minutes=1)).isoformat()}).json()
    assert later["count"] == 0


def test_officers_and_supervisors_find_referrals_by_incident_number(cast):
    mine = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y, incident_number="Z-9")
    other = ReferralFactory(officer=OfficerFactory(user=cast.officer_b), partner=cast.partner_y, incident_number="Z-9")
    for who, sees in [("officer_a1", True), ("supervisor_a", True), ("officer_a2", False), ("officer_b", False)]:
        page = cast.login(who).post("/mine/", {"incident_number": "Z-9"})
        assert page.status_code == 200
        found = [r.pk for r, _view in page.context["found"]]
        assert (mine.pk in found) == sees, who
        assert (other.pk in found) == (who == "officer_b"), who
    assert AccessEvent.objects.filter(what="incident number search", referral_id=mine.pk).exists()


def test_an_incident_number_is_found_however_the_officer_types_it(cast):
    mine = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y, incident_number="PV26-11142038"
    )
    ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y, incident_number="PV26-2038")
    officer = cast.login("officer_a1")

    def found(typed: str) -> list[int]:
        return [r.pk for r, _view in officer.post("/mine/", {"incident_number": typed}).context["found"]]

    for typed in ("PV26-11142038", "pv26-11142038", "Pv26 11142038", " PV2611142038 ", "pv26/11142038", "11142038"):
        assert found(typed) == [mine.pk], typed
    # Digits alone find the numbers ending with them; a few digits, or part of the prefix, no.
    assert found("2038") != [] and mine.pk in found("2038")
    assert found("038") == [] and found("PV26") == [] and found("1114") == []


def test_the_clients_accounting_of_disclosures_lists_the_agencys_system_not_the_partners(cast, rms):
    """The agency's system reading a referral is a disclosure to the referring agency (no
    consent needed for "received, open"); the treating partner's own system is its own use."""
    from referrals.disclosures import accounting_for_client

    _integration, http = rms
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    _ehr, ehr_token = integration_client(cast, partner=cast.partner_y, name="Y clinic EHR")
    assert http.get(f"{URL}{referral.pk}/").status_code == 200
    assert api_client(ehr_token).get(f"/api/v1/referrals/{referral.pk}/").status_code == 200
    rows = accounting_for_client(referral.client)
    assert [(row.recipient, row.organization) for row in rows] == [("Agency A RMS", cast.agency_a.name)]
    assert rows[0].basis.startswith("No consent: the referring agency saw only")
