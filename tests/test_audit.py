"""Every look at a client's identity is on record, and the record cannot be changed."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from deflection import audit
from deflection.models import AccessEvent, AuditRowsAreFinal, User
from referrals import services
from referrals.models import Client, Referral
from tests.factories.core import UserFactory
from tests.factories.referrals import (
    ClientFactory,
    OfficerFactory,
    ReferralFactory,
    accepted_referral,
    another_deflection_form,
    consent_given,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(cast) -> Referral:
    return accepted_referral(
        cast,
        occurred_at=timezone.now() - timedelta(hours=3),
        client__first_name="Marisol",
        client__last_name="Quintero",
    )


def _consent(cast, referral):
    return consent_given(
        referral,
        cast.case_manager_y,
        purpose="Let the referring officer know how it went",
        signature_name="Marisol Quintero",
    )


def _events(**filters) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(**filters).order_by("id"))


@pytest.mark.parametrize("who", ["officer_a1", "supervisor_a", "case_manager_y", "admin"])
def test_the_referral_page_records_who_saw_which_client_from_where(cast, referral, who):
    cast.login(who).get(f"/referrals/{referral.pk}/", REMOTE_ADDR="203.0.113.7")
    (event,) = _events(what="referral page")
    user = getattr(cast, who)
    assert (event.user_id, event.role, event.agency_id, event.partner_id) == (
        user.pk,
        user.role,
        user.agency_id,
        user.partner_id,
    )
    assert (event.client_id, event.referral_id, event.action) == (referral.client_id, referral.pk, "viewed")
    assert event.address == "203.0.113.7"
    assert timezone.now() - event.at < timedelta(minutes=1)


@pytest.mark.parametrize("who", ["officer_b", "case_manager_x", "command_a"])
def test_a_page_refused_records_nothing(cast, referral, who):
    assert cast.login(who).get(f"/referrals/{referral.pk}/").status_code == 404
    assert cast.login(who).get(f"/clients/{referral.client_id}/").status_code == 404
    assert AccessEvent.objects.count() == 0


def test_pages_without_client_identities_record_nothing(cast, referral):
    cast.login("command_a").get("/reports/dashboard/")
    cast.login("officer_a1").get("/log/")
    cast.login("officer_a1").get("/reports/my-record/")
    assert AccessEvent.objects.count() == 0


def test_search_results_record_each_client_shown(cast):
    found = [ClientFactory(agency=cast.agency_a, first_name="Rosalind", last_name=name) for name in ("Ives", "Ivey")]
    ClientFactory(agency=cast.agency_a, first_name="Tobias", last_name="Wren")
    ClientFactory(agency=cast.agency_b, first_name="Rosalind", last_name="Ives")  # another agency's
    cast.login("officer_a1").post("/log/clients/", {"search": "Rosalind Iv"})  # still typing: both shown
    events = _events(what="client search")
    assert {e.client_id for e in events} == {c.pk for c in found}
    assert {e.action for e in events} == {"search_result"} and {e.referral_id for e in events} == {None}


def test_the_search_without_javascript_records_what_it_shows(cast):
    shown = ClientFactory(agency=cast.agency_a, first_name="Rosalind", last_name="Ives")
    cast.login("officer_a1").post(
        "/log/", {"action": "search", "search": "Rosalind Ives", "submission_token": str(uuid.uuid4())}
    )
    assert [e.client_id for e in _events(what="log a deflection")] == [shown.pk]


def test_the_client_page_records_each_referral_shown(cast, referral):
    second = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_x, client=referral.client
    )
    cast.login("officer_a1").get(f"/clients/{referral.client_id}/")
    assert {(e.client_id, e.referral_id) for e in _events(what="client page")} == {
        (referral.client_id, referral.pk),
        (referral.client_id, second.pk),
    }


def test_lists_record_each_client_and_an_unchanged_refresh_only_once(cast, referral):
    other = ReferralFactory(officer=OfficerFactory(user=cast.officer_a2), partner=cast.partner_y)
    client = cast.login("case_manager_y")
    client.get("/queue/")
    assert {e.referral_id for e in _events(what="partner queue")} == {referral.pk, other.pk}
    # The queue refreshing itself, unchanged: already on record.
    client.get("/queue/", HTTP_HX_REQUEST="true", HTTP_X_BACKGROUND_REFRESH="1")
    assert len(_events(what="partner queue")) == 2
    # A new referral arrives: the list shown has changed, so it is recorded again.
    third = ReferralFactory(officer=OfficerFactory(user=cast.officer_a2), partner=cast.partner_y)
    client.get("/queue/", HTTP_HX_REQUEST="true", HTTP_X_BACKGROUND_REFRESH="1")
    assert len(_events(what="partner queue")) == 5
    assert third.pk in {e.referral_id for e in _events(what="partner queue")}


def test_an_unchanged_list_is_recorded_again_later_and_for_each_user_who_sees_it(cast, referral, client):
    queue = cast.login("case_manager_y")
    queue.get("/queue/")
    # A colleague at the same partner sees the very same list: their own record.
    colleague = UserFactory(role=User.Role.CASE_MANAGER, partner=cast.partner_y, agency=None)
    client.force_login(colleague)
    client.get("/queue/")
    assert [e.user_id for e in _events(what="partner queue")] == [cast.case_manager_y.pk, colleague.pk]
    # The same list after the repeat window is shown anew, so it is recorded anew.
    with time_machine.travel(timezone.now() + audit.LIST_REPEAT + timedelta(minutes=1)):
        queue.get("/queue/", HTTP_HX_REQUEST="true", HTTP_X_BACKGROUND_REFRESH="1")
    assert [e.user_id for e in _events(what="partner queue")] == [
        cast.case_manager_y.pk,
        colleague.pk,
        cast.case_manager_y.pk,
    ]


def test_my_deflections_records_the_clients_listed(cast, referral):
    cast.login("officer_a1").get("/mine/")
    assert [(e.client_id, e.referral_id, e.action) for e in _events(what="my deflections")] == [
        (referral.client_id, referral.pk, "listed")
    ]


def test_the_consent_form_and_its_pdf_are_recorded(cast, referral):
    client = cast.login("case_manager_y")
    client.get(f"/referrals/{referral.pk}/consent/")
    response = client.get(f"/referrals/{referral.pk}/consent-form.pdf")
    assert response.status_code == 200
    assert [e.what for e in _events(client_id=referral.client_id)] == ["consent form", "consent form PDF"]
    assert _events(what="consent form PDF")[0].action == "printed"


def test_the_open_referral_notice_is_recorded_as_told(cast, referral):
    cast.login("officer_a1").post("/log/", another_deflection_form(referral, cast.partner_x))
    (event,) = _events(what="open referral notice")
    assert (event.client_id, event.referral_id, event.action) == (referral.client_id, referral.pk, "notified")


def test_admin_pages_showing_clients_are_recorded(cast, referral):
    admin = cast.login("admin")
    assert admin.get("/admin/referrals/client/").status_code == 200
    assert admin.get(f"/admin/referrals/client/{referral.client_id}/change/").status_code == 200
    assert admin.get(f"/admin/referrals/referral/{referral.pk}/change/").status_code == 200
    assert {(e.what, e.action) for e in _events(client_id=referral.client_id)} == {
        ("admin: clients", "listed"),
        ("admin: client", "viewed"),
        ("admin: referral", "viewed"),
    }


# -- the record cannot be changed ------------------------------------------------------


def _one_event(cast, referral) -> AccessEvent:
    cast.login("case_manager_y").get(f"/referrals/{referral.pk}/")
    return AccessEvent.objects.get()


def test_audit_rows_cannot_be_changed_or_deleted_through_the_app(cast, referral):
    event = _one_event(cast, referral)
    event.what = "nothing to see"
    with pytest.raises(AuditRowsAreFinal):
        event.save()
    with pytest.raises(AuditRowsAreFinal):
        event.delete()
    with pytest.raises(AuditRowsAreFinal):
        AccessEvent.objects.filter(pk=event.pk).update(what="nothing")
    with pytest.raises(AuditRowsAreFinal):
        AccessEvent.objects.all().delete()
    assert AccessEvent.objects.get().what == "referral page"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_on_postgresql_the_database_refuses_to_change_audit_rows(cast, referral):
    event = _one_event(cast, referral)
    for sql in ("UPDATE deflection_accessevent SET what = 'x'", "DELETE FROM deflection_accessevent"):
        with pytest.raises(DatabaseError, match="cannot be changed or deleted"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
    assert AccessEvent.objects.get(pk=event.pk).what == "referral page"


def test_the_admin_shows_the_record_read_only(cast, referral):
    event = _one_event(cast, referral)
    admin = cast.login("admin")
    listing = admin.get("/admin/deflection/accessevent/", {"q": str(referral.client_id)})
    assert listing.status_code == 200 and "referral page" in listing.content.decode()
    assert admin.get("/admin/deflection/accessevent/add/").status_code == 403
    assert admin.get(f"/admin/deflection/accessevent/{event.pk}/delete/").status_code == 403
    page = admin.get(f"/admin/deflection/accessevent/{event.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    admin.post(f"/admin/deflection/accessevent/{event.pk}/change/", {"what": "edited"})
    admin.post(
        "/admin/deflection/accessevent/", {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    assert AccessEvent.objects.filter(what="referral page").count() == 1
    assert not AccessEvent.objects.filter(what="edited").exists()


def test_a_staff_program_admin_reviews_the_record_and_other_staff_do_not(cast, referral):
    _one_event(cast, referral)
    reviewer = UserFactory(
        username="privacy", role=User.Role.PROGRAM_ADMIN, agency=None, is_staff=True, badge_number=""
    )
    other_staff = UserFactory(username="it_staff", role=User.Role.COMMAND, agency=cast.agency_a, is_staff=True)
    client = cast.login(None)
    client.force_login(reviewer)
    assert client.get("/admin/deflection/accessevent/").status_code == 200
    client.force_login(other_staff)
    assert client.get("/admin/deflection/accessevent/").status_code == 403


# -- the accounting of disclosures -----------------------------------------------------


def _disclosures_url(client: Client) -> str:
    return f"/admin/referrals/client/{client.pk}/disclosures/"


def test_the_accounting_lists_disclosures_with_the_consent_in_force(cast, referral):
    cast.login("case_manager_y").get(f"/referrals/{referral.pk}/")  # the treating partner: not a disclosure
    cast.login("officer_a1").get(f"/referrals/{referral.pk}/")  # before consent
    consent = _consent(cast, referral)
    cast.login("officer_a1").get(f"/referrals/{referral.pk}/")  # under consent
    cast.login("supervisor_a").get(f"/clients/{referral.client_id}/")

    page = cast.login("admin").get(_disclosures_url(referral.client))
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [(r.recipient, r.organization, r.what) for r in rows] == [
        ("Avery Oakhurst", "Agency A Police Department", "referral page"),
        ("Avery Oakhurst", "Agency A Police Department", "referral page"),
        ("Dana Stonebridge", "Agency A Police Department", "client page"),
    ]
    assert rows[0].consent is None and "only that it was received" in rows[0].basis
    assert rows[1].consent == consent and rows[2].consent == consent
    assert f"Consent #{consent.pk}" in rows[1].basis
    assert all(r.partner == "Y 24/7 MAT Clinic" for r in rows)
    text = page.content.decode()
    assert "Finley Umberwood" not in text  # the treating case manager's own look


def test_after_revocation_the_accounting_names_no_consent(cast, referral):
    consent = _consent(cast, referral)
    services.consent_revoke(consent_id=consent.pk, actor=cast.case_manager_y, note="by phone")
    cast.login("officer_a1").get(f"/referrals/{referral.pk}/")
    (row,) = cast.login("admin").get(_disclosures_url(referral.client)).context["rows"]
    assert row.consent is None


def test_the_accounting_downloads_as_csv_and_is_itself_recorded(cast, referral):
    cast.login("officer_a1").get(f"/referrals/{referral.pk}/")
    response = cast.login("admin").get(_disclosures_url(referral.client), {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "Quintero" not in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert "Marisol Quintero" in rows[0][0]
    assert rows[1][:4] == ["When", "Recipient", "Role", "Organization"]
    assert rows[2][1:4] == ["Avery Oakhurst", "Officer", "Agency A Police Department"]
    recorded = _events(what="admin: accounting of disclosures")
    assert [(e.user_id, e.client_id, e.action) for e in recorded] == [(cast.admin.pk, referral.client_id, "printed")]


def test_the_accounting_follows_a_merged_client(cast, referral):
    duplicate = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a2), partner=cast.partner_y, client__agency=cast.agency_a
    )
    cast.login("officer_a2").get(f"/referrals/{duplicate.pk}/")
    services.client_merge(survivor_id=referral.client_id, merged_id=duplicate.client_id, actor=cast.admin)
    rows = cast.login("admin").get(_disclosures_url(referral.client)).context["rows"]
    assert [r.recipient for r in rows] == ["Blake Pinecrest"]


@pytest.mark.parametrize(
    "who", ["officer_a1", "officer_a2", "officer_b", "supervisor_a", "case_manager_x", "case_manager_y", "command_a"]
)
def test_only_the_program_admin_produces_the_accounting(cast, referral, who):
    response = cast.login(who).get(_disclosures_url(referral.client))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not AccessEvent.objects.filter(what="admin: accounting of disclosures").exists()


# -- admin pages beyond lists and change forms ----------------------------------------


def _client_form(client: Client, **changes) -> dict:
    data = {
        "agency": client.agency_id,
        "first_name": client.first_name,
        "last_name": client.last_name,
        "aliases": "",
        "date_of_birth": "",
        "phone": "",
        "preferred_language": "en",
        "gender": "",
        "race_ethnicity": "",
    }
    return {**data, **changes}


def test_the_admins_history_page_is_recorded_and_its_log_holds_no_name(cast, referral):
    admin = cast.login("admin")
    url = f"/admin/referrals/client/{referral.client_id}"
    assert admin.post(f"{url}/change/", _client_form(referral.client, phone="5205550199")).status_code == 302
    assert "Quintero" not in admin.get("/admin/").content.decode()  # recent actions
    page = admin.get(f"{url}/history/")
    assert page.status_code == 200
    assert _events(what="admin: client history")[0].client_id == referral.client_id


def test_clients_are_never_deleted_in_the_admin(cast, referral):
    admin = cast.login("admin")
    assert admin.get(f"/admin/referrals/client/{referral.client_id}/delete/").status_code == 403
    listing = admin.get("/admin/referrals/client/").content.decode()
    assert "delete_selected" not in listing
    admin.post("/admin/referrals/client/", {"action": "delete_selected", "_selected_action": [referral.client_id]})
    assert Client.objects.filter(pk=referral.client_id).exists()


def test_the_referral_list_is_not_searched_by_client_name(cast, referral):
    page = cast.login("admin").get("/admin/referrals/referral/", {"q": "Quintero"})
    assert page.status_code == 200 and page.context["cl"].result_count == 0
    by_client = cast.login("admin").get("/admin/referrals/referral/", {"q": str(referral.client_id)})
    assert list(by_client.context["cl"].result_list) == [referral]


def test_a_merge_record_shows_the_merged_snapshot_on_record_under_both_ids(cast, referral):
    duplicate = ClientFactory(agency=cast.agency_a, first_name="Marisol", last_name="Quinteros")
    merge = services.client_merge(survivor_id=referral.client_id, merged_id=duplicate.pk, actor=cast.admin)
    page = cast.login("admin").get(f"/admin/referrals/clientmerge/{merge.pk}/change/")
    assert "Quinteros" in page.content.decode()
    assert {e.client_id for e in _events(what="admin: client merge")} == {referral.client_id, duplicate.pk}


def test_the_merge_form_names_no_client_when_it_comes_back(cast):
    one = ClientFactory(agency=cast.agency_a, first_name="Ignatius", last_name="Farnsworth")
    other = ClientFactory(agency=cast.agency_b, first_name="Philippa", last_name="Grantham")
    page = cast.login("admin").post("/admin/referrals/clientmerge/add/", {"survivor": one.pk, "merged": other.pk})
    body = page.content.decode()
    assert page.status_code == 200 and "Farnsworth" not in body and "Grantham" not in body
    assert f"Client #{one.pk}" in body


def test_the_accounting_csv_cannot_smuggle_a_formula(cast, referral):
    User.objects.filter(pk=cast.officer_a1.pk).update(first_name="=HYPERLINK(1)", last_name="")
    cast.login("officer_a1").get(f"/referrals/{referral.pk}/")
    response = cast.login("admin").get(_disclosures_url(referral.client), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[2][1] == "'=HYPERLINK(1)"


def test_admin_pages_of_stories_follow_ups_and_case_events_are_recorded(cast, referral):
    from reports.models import SuccessStory

    story = SuccessStory.objects.create(referral=referral, agency=referral.agency, text="Marisol says thanks")
    follow_up = referral.follow_ups.first()
    event = referral.events.first()
    admin = cast.login("admin")
    for path in (
        f"/admin/reports/successstory/{story.pk}/change/",
        f"/admin/referrals/followup/{follow_up.pk}/change/",
        f"/admin/referrals/caseevent/{event.pk}/change/",
        f"/admin/referrals/followup/{follow_up.pk}/delete/",
    ):
        assert admin.get(path).status_code == 200, path
    assert [e.what for e in _events(client_id=referral.client_id)] == [
        "admin: success story",
        "admin: follow-up",
        "admin: case event",
        "admin: delete follow-ups",
    ]


def test_case_events_cannot_be_changed_in_the_admin(cast, referral):
    event = referral.events.first()
    admin = cast.login("admin")
    page = admin.get(f"/admin/referrals/caseevent/{event.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert admin.get(f"/admin/referrals/caseevent/{event.pk}/delete/").status_code == 403
    assert admin.get("/admin/referrals/caseevent/add/").status_code == 403
