"""The partner side of the API: a partner's record system works its referrals through the
same services as the casework page, with the page's messages, and sees no other partner's."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from deflection.models import AccessEvent
from referrals import services
from referrals.models import CaseEvent, FollowUp, Referral
from tests.factories.api import api_client, integration_client
from tests.factories.referrals import OfficerFactory, ReferralFactory
from tests.locks import while_held

pytestmark = pytest.mark.django_db

URL = "/api/v1/referrals/"


@pytest.fixture
def ehr(cast):
    client, token = integration_client(cast, partner=cast.partner_y, name="Y clinic EHR")
    return client, api_client(token)


@pytest.fixture
def referral(cast) -> Referral:
    return ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)


def _post(http, path: str, body: dict | None = None):
    return http.post(path, body or {}, content_type="application/json")


def test_the_ehr_lists_the_partners_referrals_with_the_clients_identity_on_record(cast, ehr, referral):
    integration, http = ehr
    elsewhere = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_x)
    listing = http.get(URL).json()
    assert [r["id"] for r in listing["results"]] == [referral.pk] and listing["count"] == 1
    row = listing["results"][0]
    assert row["client"]["last_name"] == referral.client.last_name and row["status"] == "requested"
    assert row["next_steps"] == ["accept", "decline"]
    assert AccessEvent.objects.filter(user=integration.user, action="listed", referral_id=referral.pk).exists()
    assert http.get(f"{URL}{elsewhere.pk}/").status_code == 404


def test_each_row_names_its_status_officer_and_agency_in_as_many_queries_for_one_row_as_for_eight(
    cast, ehr, referral, django_assert_max_num_queries
):
    _integration, http = ehr
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    [row] = http.get(URL).json()["results"]
    assert row["status_label"] == "Accepted"
    assert (row["officer_name"], row["agency_name"]) == (referral.officer.display_name, cast.agency_a.name)
    for _ in range(7):
        ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    # The token, the count, the page, the access record's check and its insert; a sixth now
    # and then notes the client's last use.
    with django_assert_max_num_queries(6):
        assert len(http.get(URL).json()["results"]) == 8


def test_the_list_filters_new_since_and_by_status(cast, ehr, referral):
    _integration, http = ehr
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    newer = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    assert [r["id"] for r in http.get(URL, {"status": "requested"}).json()["results"]] == [newer.pk]
    assert [r["id"] for r in http.get(URL, {"status": "accepted"}).json()["results"]] == [referral.pk]
    later = (timezone.now() + timedelta(seconds=1)).isoformat()
    assert http.get(URL, {"since": later}).json()["count"] == 0
    assert http.get(URL, {"status": "nonsense"}).status_code == 422


def test_each_step_goes_through_the_services_and_names_the_system(cast, ehr, referral):
    integration, http = ehr
    accepted = _post(http, f"{URL}{referral.pk}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    # A system is not reminded: the 72-hour check waits for the partner's people.
    check = FollowUp.objects.get(referral=referral)
    assert check.kind == "check_72h" and check.assigned_to is None
    assert _post(http, f"{URL}{referral.pk}/hold/", {"note": "Waiting for a bed"}).json()["status"] == "on_hold"
    assert _post(http, f"{URL}{referral.pk}/resume/").json()["status"] == "accepted"
    assert _post(http, f"{URL}{referral.pk}/intake/").json()["status"] == "in_progress"
    done = _post(http, f"/api/v1/follow-ups/{check.pk}/complete/", {"outcome": "engaged"})
    assert done.status_code == 200 and done.json()["outcome"] == "engaged"
    completed = _post(http, f"{URL}{referral.pk}/complete/")
    assert completed.json()["status"] == "completed" and completed.json()["next_steps"] == []
    events = CaseEvent.objects.filter(referral=referral, kind="status_changed")
    assert events.count() == 5 and {e.actor for e in events} == {integration.user}
    referral.refresh_from_db()
    assert referral.accepted_by == integration.user


def test_decline_and_fail_take_a_reason_from_their_lists(cast, ehr, referral):
    _integration, http = ehr
    missing = _post(http, f"{URL}{referral.pk}/decline/", {"note": "Full"})
    assert missing.status_code == 422 and "reason" in missing.json()["errors"]
    wrong = _post(http, f"{URL}{referral.pk}/decline/", {"reason": "moved"})
    assert wrong.status_code == 422
    declined = _post(http, f"{URL}{referral.pk}/decline/", {"reason": "no_capacity", "note": "Full tonight"})
    assert declined.status_code == 200 and declined.json()["status"] == "rejected"
    assert declined.json()["status_reason"] == "no_capacity"


def test_an_illegal_step_answers_409_with_the_pages_message(cast, ehr, referral):
    _integration, http = ehr
    response = _post(http, f"{URL}{referral.pk}/complete/")
    assert response.status_code == 409
    assert response.json()["detail"] == "A referral that is sent to partner cannot be completed."
    # The page says the same words.
    page = cast.login("case_manager_y").post(f"/referrals/{referral.pk}/act/complete/", {"complete-note": ""})
    assert response.json()["detail"] in [str(m) for m in page.wsgi_request._messages]
    referral.refresh_from_db()
    assert referral.status == "requested"


def test_a_second_accept_is_told_who_accepted_first(cast, ehr, referral):
    _integration, http = ehr
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    response = _post(http, f"{URL}{referral.pk}/accept/")
    assert response.status_code == 409
    assert response.json()["detail"].startswith(f"{cast.case_manager_y.get_full_name()} already accepted this referral")


def test_a_follow_up_is_completed_once(cast, ehr, referral):
    _integration, http = ehr
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    check = FollowUp.objects.get(referral=referral)
    bad = _post(http, f"/api/v1/follow-ups/{check.pk}/complete/", {"outcome": "great"})
    assert bad.status_code == 422
    assert _post(http, f"/api/v1/follow-ups/{check.pk}/complete/", {"outcome": "no_contact"}).status_code == 200
    again = _post(http, f"/api/v1/follow-ups/{check.pk}/complete/", {"outcome": "engaged"})
    assert again.status_code == 409 and "already completed" in again.json()["detail"]


def test_another_partners_referrals_and_follow_ups_answer_404_and_stay_as_they_were(cast, ehr):
    _integration, http = ehr
    theirs = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_x)
    services.referral_accept(referral_id=theirs.pk, actor=cast.case_manager_x)
    check = FollowUp.objects.get(referral=theirs)
    for step in ("accept", "decline", "intake", "hold", "resume", "complete", "fail"):
        assert _post(http, f"{URL}{theirs.pk}/{step}/", {"reason": "other"}).status_code == 404
    assert _post(http, f"/api/v1/follow-ups/{check.pk}/complete/", {"outcome": "engaged"}).status_code == 404
    theirs.refresh_from_db()
    check.refresh_from_db()
    assert theirs.status == "accepted" and check.completed_at is None


def test_an_agencys_system_cannot_use_the_partner_side(cast, referral):
    _client, token = integration_client(cast, agency=cast.agency_a)
    http = api_client(token)
    assert http.get(URL).status_code == 404
    assert _post(http, f"{URL}{referral.pk}/accept/").status_code == 404
    referral.refresh_from_db()
    assert referral.status == "requested"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_keep_the_row_locks_outcome(cast):
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    _client, token = integration_client(cast, partner=cast.partner_y, name="Y clinic EHR")
    first, response = while_held(
        lambda: services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y),
        lambda: _post(api_client(token), f"{URL}{referral.pk}/accept/"),
    )
    assert isinstance(first, Referral)
    assert response.status_code == 409
    assert f"{cast.case_manager_y.get_full_name()} already accepted" in response.json()["detail"]
    referral.refresh_from_db()
    assert referral.accepted_by == cast.case_manager_y and referral.follow_ups.count() == 1


def test_a_retention_check_is_refused_before_the_day_it_is_due(cast, ehr, referral):
    """Whether the client is still engaged at 30 days is not known on day 0: a partner's
    system is refused, as the casework page (tests/test_lifecycle.py)."""
    _integration, http = ehr
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    check = FollowUp.objects.get(referral=referral, kind=FollowUp.Kind.RETENTION_30)
    # The referral says from which day; before it, the outcome is refused.
    shown = http.get(f"{URL}{referral.pk}/").json()["follow_ups"]
    due = {f["kind"]: f["recordable_on"] for f in shown}
    assert (
        due["retention_30"] == f"{check.due_at.astimezone(zoneinfo.ZoneInfo(cast.agency_a.timezone)).date():%Y-%m-%d}"
    )
    assert due["check_72h"] is None
    early = _post(http, f"/api/v1/follow-ups/{check.pk}/complete/", {"outcome": "engaged"})
    assert early.status_code == 409 and "still engaged on the day it is due" in early.json()["detail"]
    check.refresh_from_db()
    assert check.completed_at is None
