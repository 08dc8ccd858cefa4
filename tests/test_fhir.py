"""FHIR for a partner's record system: every resource it is sent is valid R4, the Task's
status is the referral's lifecycle, and a change to the Task goes through the same services
as the casework page (an illegal move answers 409 with the page's words)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from api.fhir import codes
from deflection.models import AccessEvent
from referrals import services
from referrals.models import CaseEvent, FollowUp, Referral
from tests.factories.fhir import Ehr, diagnostics, refused, valid
from tests.factories.referrals import OfficerFactory, ReferralFactory, consent_given

pytestmark = pytest.mark.django_db


@pytest.fixture
def ehr(cast) -> Ehr:
    return Ehr(cast, cast.partner_y)


@pytest.fixture
def referral(cast) -> Referral:
    return ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a1),
        partner=cast.partner_y,
        presenting_needs=["substance_use", "housing"],
        substances=["fentanyl"],
        naloxone_administered=True,
        note="Met at the bus stop.",
        client__aliases="Sleepy, Tex",
        client__phone="520-555-0100",
    )


def _task(referral: Referral) -> str:
    return f"/fhir/Task/{referral.pk}"


def test_every_resource_of_a_referral_is_valid_r4(cast, ehr, referral):
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    check = referral.follow_ups.get(kind=FollowUp.Kind.CHECK_72H)
    services.follow_up_complete(follow_up_id=check.pk, actor=cast.case_manager_y, outcome="engaged")
    kept = consent_given(referral, cast.case_manager_y, recipient_partner_ids=[cast.partner_x.pk])
    revoked = consent_given(referral, cast.case_manager_y, scope="status_only")
    services.consent_revoke(consent_id=revoked.pk, actor=cast.case_manager_y, note="By phone")

    task = ehr.read(_task(referral))
    assert task["status"] == "in-progress" and task["focus"]["reference"] == f"ServiceRequest/{referral.pk}"
    assert task["for"]["reference"] == f"Patient/{referral.client_id}"
    assert task["owner"]["reference"] == f"Organization/partner-{cast.partner_y.pk}"
    assert task["requester"]["reference"] == f"Organization/agency-{cast.agency_a.pk}"
    assert [o["valueCodeableConcept"]["coding"][0]["code"] for o in task["output"]] == ["engaged"]
    request = ehr.read(f"/fhir/ServiceRequest/{referral.pk}")
    assert request["code"]["coding"][0]["code"] == referral.pathway
    assert {c["coding"][0]["code"] for c in request["reasonCode"]} == {"substance_use", "housing", "fentanyl"}
    assert [s["reference"] for s in request["supportingInfo"]] == [f"Consent/{kept.pk}", f"Consent/{revoked.pk}"]
    patient = ehr.read(f"/fhir/Patient/{referral.client_id}")
    assert patient["name"][0]["family"] == referral.client.last_name
    assert [n["text"] for n in patient["name"][1:]] == ["Sleepy", "Tex"]
    assert set(patient) == {"resourceType", "id", "name", "telecom", "birthDate", "communication"} - (
        set() if referral.client.date_of_birth else {"birthDate"}
    )
    active = ehr.read(f"/fhir/Consent/{kept.pk}")
    assert active["status"] == "active"
    recipients = [a["reference"]["reference"] for a in active["provision"]["actor"]]
    assert recipients == [f"Organization/agency-{cast.agency_a.pk}", f"Organization/partner-{cast.partner_x.pk}"]
    assert active["provision"]["purpose"][0]["display"] == kept.purpose
    assert ehr.read(f"/fhir/Consent/{revoked.pk}")["status"] == "inactive"
    for organization in (f"agency-{cast.agency_a.pk}", f"partner-{cast.partner_y.pk}", f"partner-{cast.partner_x.pk}"):
        assert ehr.read(f"/fhir/Organization/{organization}")["id"] == organization
    bundle = ehr.read("/fhir/Task", {"owner": f"Organization/partner-{cast.partner_y.pk}"})
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(referral.pk)]
    valid(ehr.read("/fhir/metadata"))
    refused(ehr.get("/fhir/Observation/1"), 404)


def test_the_capability_statement_is_public_and_says_how_often_to_poll(cast):
    from django.test import Client as HttpClient

    statement = valid(HttpClient().get("/fhir/metadata").json())
    assert statement["fhirVersion"] == "4.0.1" and statement["format"] == ["json"]
    assert "no more often than every 15 minutes" in statement["rest"][0]["documentation"]
    task = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Task")
    assert {p["name"] for p in task["searchParam"]} >= {"owner", "status", "_lastUpdated"}


def test_a_round_trip_reads_the_task_changes_its_status_and_reads_it_again(cast, ehr, referral):
    task = ehr.read(_task(referral))
    assert task["status"] == "requested"
    changed = ehr.put(_task(referral), {**task, "status": "accepted"})
    assert changed.status_code == 200 and valid(changed.json())["status"] == "accepted"
    again = ehr.read(_task(referral))
    assert again["status"] == "accepted" and int(again["meta"]["versionId"]) > int(task["meta"]["versionId"])
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED and referral.accepted_by == ehr.integration.user
    event = CaseEvent.objects.filter(referral=referral, kind="status_changed").get()
    assert event.actor == ehr.integration.user
    # The casework page's change shows in the Task: the same referral, the same lifecycle.
    page = cast.login("case_manager_y").post(f"/referrals/{referral.pk}/act/record_intake/", {"record_intake-note": ""})
    assert page.status_code == 302
    assert ehr.read(_task(referral))["status"] == "in-progress"


def test_an_illegal_move_answers_409_with_the_pages_words_and_changes_nothing(cast, ehr, referral):
    task = ehr.read(_task(referral))
    outcome = refused(ehr.put(_task(referral), {**task, "status": "completed"}), 409)
    assert diagnostics(outcome) == "A referral that is sent to partner cannot be completed."
    assert outcome["issue"][0]["code"] == "business-rule"
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REQUESTED
    assert "is not a status a referral takes" in diagnostics(
        refused(ehr.put(_task(referral), {**task, "status": "ready"}), 422)
    )


def test_declining_takes_a_reason_from_its_list(cast, ehr, referral):
    task = ehr.read(_task(referral))
    missing = refused(ehr.put(_task(referral), {**task, "status": "rejected"}), 422)
    assert diagnostics(missing) == "Choose a reason." and missing["issue"][0]["expression"] == ["Task.statusReason"]
    reason = {"coding": [{"system": codes.system("reject-reason"), "code": "no_capacity"}], "text": "Full tonight"}
    declined = ehr.put(_task(referral), {**task, "status": "rejected", "statusReason": reason})
    body = valid(declined.json())
    assert body["status"] == "rejected" and body["statusReason"]["coding"][0]["code"] == "no_capacity"
    referral.refresh_from_db()
    assert (referral.status_reason, referral.status_note) == ("no_capacity", "Full tonight")


def test_a_json_patch_changes_the_status_and_resuming_goes_back_where_it_was(cast, ehr, referral):
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    held = ehr.patch(_task(referral), [{"op": "replace", "path": "/status", "value": "on-hold"}])
    assert held.status_code == 200 and held.json()["status"] == "on-hold"
    wrong = refused(ehr.patch(_task(referral), [{"op": "replace", "path": "/status", "value": "in-progress"}]), 409)
    assert "resumes where it was: accepted" in diagnostics(wrong)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ON_HOLD
    back = ehr.patch(
        _task(referral),
        [
            {"op": "test", "path": "/status", "value": "on-hold"},
            {"op": "replace", "path": "/status", "value": "accepted"},
        ],
    )
    assert back.status_code == 200 and back.json()["status"] == "accepted"
    assert refused(ehr.patch(_task(referral), [{"op": "test", "path": "/status", "value": "on-hold"}]), 422)
    refused(ehr.http.patch(_task(referral), "{}", content_type="application/fhir+json"), 415)
    refused(ehr.patch(_task(referral), {"op": "replace"}), 400)


def test_outcomes_sent_as_outputs_complete_the_follow_ups_once(cast, ehr, referral):
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    check = referral.follow_ups.get(kind=FollowUp.Kind.CHECK_72H)
    task = ehr.read(_task(referral))
    engaged = {"coding": [{"system": codes.system("follow-up-outcome"), "code": "engaged"}], "text": "Came to group"}
    by_kind = {
        "type": {"coding": [{"system": codes.system("follow-up-kind"), "code": "check_72h"}]},
        "valueCodeableConcept": engaged,
    }
    # The outcome and the closing step in one change: the outcome is kept, then the referral completes.
    done = ehr.put(_task(referral), {**task, "status": "completed", "output": [by_kind]})
    assert done.status_code == 200, done.content
    check.refresh_from_db()
    assert (check.outcome, check.note) == ("engaged", "Came to group")
    assert done.json()["output"][0]["id"] == f"follow-up-{check.pk}"
    # Sent again as the server shows it: nothing to do. A different outcome: refused, as on the page.
    assert ehr.put(_task(referral), done.json()).status_code == 200
    other = {**done.json()["output"][0], "valueCodeableConcept": {"coding": [{"code": "no_contact"}]}}
    refused(ehr.put(_task(referral), {**done.json(), "output": [other]}), 409)
    check.refresh_from_db()
    assert check.outcome == "engaged"


def test_a_refused_step_keeps_none_of_the_outcomes_sent_with_it(cast, ehr, referral):
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    check = referral.follow_ups.get()
    task = ehr.read(_task(referral))
    output = {"id": f"follow-up-{check.pk}", "valueCodeableConcept": {"coding": [{"code": "engaged"}]}}
    refused(ehr.put(_task(referral), {**task, "status": "completed", "output": [output]}), 409)
    check.refresh_from_db()
    assert check.completed_at is None


def test_a_retention_outcome_sent_before_its_day_is_refused_with_the_step_sent_with_it(cast, ehr, referral):
    """Whether the client is still engaged at 30 days is not known on day 0: the partner's
    system is refused as the page is (409, in the page's words), and the step sent with it
    is not taken either."""
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    check = referral.follow_ups.get(kind=FollowUp.Kind.RETENTION_30)
    task = ehr.read(_task(referral))
    output = {"id": f"follow-up-{check.pk}", "valueCodeableConcept": {"coding": [{"code": "engaged"}]}}
    response = refused(ehr.put(_task(referral), {**task, "status": "completed", "output": [output]}), 409)
    assert "still engaged on the day it is due" in diagnostics(response)
    check.refresh_from_db()
    referral.refresh_from_db()
    assert check.completed_at is None and referral.status == Referral.Status.IN_PROGRESS


def test_a_change_to_an_older_version_is_refused(cast, ehr, referral):
    task = ehr.read(_task(referral))
    stale = f'W/"{task["meta"]["versionId"]}"'
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    refused(ehr.put(_task(referral), {**task, "status": "rejected"}, HTTP_IF_MATCH=stale), 412)
    current = ehr.get(_task(referral))
    held = ehr.put(_task(referral), {**current.json(), "status": "on-hold"}, HTTP_IF_MATCH=current["ETag"])
    assert held.status_code == 200


def test_a_put_must_be_the_task_of_its_url(cast, ehr, referral):
    task = ehr.read(_task(referral))
    refused(ehr.put(_task(referral), {**task, "id": "999"}), 400)
    refused(ehr.put(_task(referral), {**task, "resourceType": "Patient"}), 400)
    refused(ehr.http.put(_task(referral), "{not json", content_type="application/fhir+json"), 400)
    refused(ehr.http.put(_task(referral), "x" * 70_000, content_type="application/fhir+json"), 413)
    refused(ehr.put(_task(referral), {**task, "output": "engaged"}), 400)
    refused(
        ehr.put(
            _task(referral),
            {**task, "output": [{"id": ["x"], "valueCodeableConcept": {"coding": [{"code": "engaged"}]}}]},
        ),
        422,
    )


def test_the_search_filters_by_owner_status_and_last_update_and_pages_without_client_data(cast, ehr, referral):
    owner = f"Organization/partner-{cast.partner_y.pk}"
    older = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    newest = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_x)
    before = timezone.now() - timedelta(seconds=1)
    CaseEvent.objects.filter(referral__in=[referral, older, newest]).update(created_at=before - timedelta(hours=1))
    services.referral_accept(referral_id=older.pk, actor=cast.case_manager_y)

    def ids(params: dict) -> list[str]:
        return [e["resource"]["id"] for e in ehr.read("/fhir/Task", params).get("entry", [])]

    assert ids({"owner": owner}) == [str(newest.pk), str(older.pk), str(referral.pk)]
    assert ids({"owner": owner, "status": "accepted"}) == [str(older.pk)]
    assert ids({"owner": owner, "status": "requested,accepted"}) == [str(newest.pk), str(older.pk), str(referral.pk)]
    assert ids({"owner": owner, "_lastUpdated": f"gt{before.isoformat()}"}) == [str(older.pk)]
    assert ids({"owner": owner, "_lastUpdated": f"lt{before.isoformat()}"}) == [str(newest.pk), str(referral.pk)]
    assert ids({"owner": f"Organization/partner-{cast.partner_x.pk}"}) == []
    first = ehr.read("/fhir/Task", {"owner": owner, "_count": "2"})
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    assert "_cursor=" in next_url and referral.client.last_name not in next_url
    second = ehr.read(next_url.split("testserver", 1)[1])
    assert [e["resource"]["id"] for e in second["entry"]] == [str(referral.pk)]
    assert not [link for link in second["link"] if link["relation"] == "next"]
    # The search is on the access record, as the REST API's list.
    assert AccessEvent.objects.filter(user=ehr.integration.user, what="FHIR: Task search").exists()


@pytest.mark.parametrize(
    "params",
    [
        {"owners": "x"},
        {"status": "done"},
        {"_lastUpdated": "2026-01-01T00:00:00Z"},
        {"_lastUpdated": "gt2026-01-01T00:00:00"},
        {"_lastUpdated": "gt2026-02-30T00:00:00Z"},
        {"_lastUpdated": "gtyesterday"},
        {"_count": "0"},
        {"_count": "1000"},
        {"_id": "abc"},
        {"owner": "Patient/3"},
        {"_cursor": "9" * 40},
        {"_count": "²"},
        {"_id": "²"},
    ],
)
def test_a_search_it_cannot_do_answers_400(cast, ehr, params):
    assert refused(ehr.get("/fhir/Task", params), 400)["issue"][0]["code"] == "structure"


def test_it_answers_json_only(cast, ehr, referral):
    refused(ehr.get(_task(referral), {"_format": "xml"}), 406)
    refused(ehr.http.get(_task(referral), HTTP_ACCEPT="application/fhir+xml"), 406)
    plain = ehr.http.get(_task(referral), HTTP_ACCEPT="application/json")
    assert plain.status_code == 200 and plain["Content-Type"].startswith("application/json")


def test_a_purged_identity_leaves_a_patient_without_one(cast, ehr, referral):
    from referrals.models import Client

    Client.objects.filter(pk=referral.client_id).update(identity_removed_at=timezone.now())
    assert ehr.read(f"/fhir/Patient/{referral.client_id}") == {"resourceType": "Patient", "id": str(referral.client_id)}


def test_organizations_are_those_the_partners_referrals_name(cast, ehr, referral):
    refused(ehr.get(f"/fhir/Organization/partner-{cast.partner_x.pk}"), 404)
    ehr.read(f"/fhir/Organization/agency-{cast.agency_a.pk}")
    ehr.read(f"/fhir/Organization/agency-{cast.agency_b.pk}")  # partner Y serves it
    refused(ehr.get("/fhir/Organization/client-1"), 404)
    refused(ehr.get("/fhir/Organization/agency-²"), 404)
