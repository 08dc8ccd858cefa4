"""Logging with no signal, as the server sees it: the installable app's manifest and service
worker, the log form the phone keeps (naming no client), deflections sent from the phone
(saved once however often they arrive, checked like the form), and the question a possible
duplicate leaves, which only the officer who logged it may answer.

The phone's side (the worker, the encrypted outbox) is tested in tests/browser/test_offline.py.
"""

from __future__ import annotations

import json
from datetime import date
from io import BytesIO

import pytest
from django.contrib.messages import constants
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from deflection.models import AccessEvent
from referrals.models import Client, ClientMerge, PossibleDuplicate, Referral
from tests.factories.referrals import (
    ClientFactory,
    OfficerFactory,
    ReferralFactory,
    flagged_deflection,
    sent_from_the_phone,
)

pytestmark = pytest.mark.django_db
SEND = "/log/send/"


# ---------------------------------------------------------------------------
# The installable app
# ---------------------------------------------------------------------------


def test_the_manifest_makes_the_app_installable_for_anyone_who_fetches_it(cast):
    response = cast.login(None).get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Deflection" and manifest["short_name"]
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes


def test_every_icon_the_manifest_names_is_a_png_of_its_size_served_by_the_app(cast):
    manifest = json.loads(cast.login(None).get("/manifest.webmanifest").content)
    for icon in manifest["icons"]:
        response = cast.login(None).get(icon["src"])
        assert response.status_code == 200, icon["src"]
        image = Image.open(BytesIO(b"".join(response.streaming_content)))
        assert image.format == "PNG"
        assert f"{image.width}x{image.height}" == icon["sizes"]


def test_the_service_worker_is_served_from_the_root_as_javascript_with_what_it_keeps(cast):
    response = cast.login("officer_a1").get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    script = response.content.decode()
    config = json.loads(script.split("const CONFIG = ", 1)[1].split(";\n", 1)[0])
    assert config["shell"] == "/log/offline/"
    # What it keeps is served, and is only static files (public, the same for everyone).
    for url in config["assets"]:
        assert url.startswith(config["staticPrefix"])
        assert finders.find(url.removeprefix(config["staticPrefix"])), url
    assert "/static/js/offline.js" in config["assets"]
    # The template's own syntax never reaches the browser.
    assert "{%" not in script and "{{" not in script


def test_the_service_worker_is_served_to_anyone_so_a_signed_out_phone_still_updates_it(cast):
    assert cast.login(None).get("/sw.js").status_code == 200


# ---------------------------------------------------------------------------
# The log form the phone keeps
# ---------------------------------------------------------------------------


def test_the_kept_log_form_names_no_client_and_leaves_the_officers_messages_for_the_next_page(cast):
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    flagged_deflection(cast)
    officer = cast.login("officer_a1")
    # A message waiting for the officer's next page (as after a save).
    officer.post(
        "/log/",
        sent_from_the_phone(cast.partner_y, action="save", first_name="Lucinda", last_name="Marchetti"),
    )
    shell = officer.get("/log/offline/")
    page = shell.content.decode()
    assert shell.status_code == 200 and shell["X-Offline-Shell-User"] == str(cast.officer_a1.pk)
    assert 'id="log-form"' in page and "data-offline-shell" in page
    for client in Client.objects.all():
        assert client.last_name not in page and client.first_name not in page
    assert referral.client.last_name not in page
    assert "Deflection logged" not in page and "may be for someone already known" not in page
    # The message is still there for the page the officer opens next.
    after = [m.message for m in officer.get("/mine/").context["messages"]]
    assert any("Deflection logged" in m for m in after)


def test_the_kept_log_form_is_an_officers_only(cast):
    assert cast.login("case_manager_y").get("/log/offline/").status_code == 404
    assert cast.login("command_a").get("/log/offline/").status_code == 404


def test_fetching_the_kept_log_form_writes_nothing(cast):
    officer = cast.login("officer_a1")
    officer.get("/log/")
    with CaptureQueriesContext(connection) as captured:
        assert officer.get("/log/offline/").status_code == 200
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) and "django_session" not in q["sql"]
    ]
    assert writes == []


# ---------------------------------------------------------------------------
# Deflections sent from the phone
# ---------------------------------------------------------------------------


def test_a_deflection_sent_from_the_phone_is_saved_once_however_often_it_arrives(cast):
    officer = cast.login("officer_a1")
    sent = sent_from_the_phone(cast.partner_y, queued_by=str(cast.officer_a1.pk))
    first = officer.post(SEND, sent)
    again = officer.post(SEND, sent)
    assert (first.status_code, first.json()["result"]) == (201, "saved")
    assert (again.status_code, again.json()["result"]) == (200, "already")
    referral = Referral.objects.get()
    assert str(referral.submission_token) == sent["submission_token"]
    assert (referral.client.first_name, referral.client.last_name) == ("Teodoro", "Villalobos")
    assert referral.created_by == cast.officer_a1 and referral.partner == cast.partner_y
    assert Client.objects.count() == 1
    assert first.json()["url"] == again.json()["url"] == f"/referrals/{referral.pk}/"
    assert first.json()["partner"] == cast.partner_y.name


def test_the_answer_names_no_client(cast):
    answer = cast.login("officer_a1").post(SEND, sent_from_the_phone(cast.partner_y)).content.decode()
    assert "Teodoro" not in answer and "Villalobos" not in answer and "1975" not in answer


def test_a_deflection_the_form_would_refuse_is_refused_with_what_to_fix_and_nothing_saved(cast):
    answer = cast.login("officer_a1").post(SEND, sent_from_the_phone(cast.partner_y, pathway="", officer_minutes=""))
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert "Pathway: Choose a pathway." in errors
    assert "Minutes spent: Enter the minutes you spent (0 is fine)." in errors
    assert not Referral.objects.exists() and not Client.objects.exists()


def test_a_partner_that_stopped_serving_the_agency_is_refused_as_on_the_form(cast):
    answer = cast.login("officer_b").post(SEND, sent_from_the_phone(cast.partner_x))
    assert answer.status_code == 422
    assert answer.json()["errors"] == [f"Partner: {cast.partner_x.name} does not serve your agency."]
    assert not Referral.objects.exists()


def test_a_deflection_saved_on_the_phone_by_another_officer_is_never_logged_as_this_ones(cast):
    answer = cast.login("officer_a2").post(SEND, sent_from_the_phone(cast.partner_y, queued_by=cast.officer_a1.pk))
    assert answer.status_code == 409
    assert not Referral.objects.exists()


@pytest.mark.parametrize("who", ["case_manager_y", "command_a", "admin"])
def test_only_officers_and_supervisors_send_deflections(cast, who):
    assert cast.login(who).post(SEND, sent_from_the_phone(cast.partner_y)).status_code == 404
    assert not Referral.objects.exists()


def test_a_deflection_for_someone_who_may_be_known_is_saved_and_flagged_never_refused(cast):
    known = ClientFactory(
        agency=cast.agency_a, first_name="Marisol", last_name="Quintanilla", date_of_birth=date(1988, 4, 12)
    )
    sent = sent_from_the_phone(cast.partner_y, first_name="Marisol", last_name="Quintanila", date_of_birth="1988-04-12")
    officer = cast.login("officer_a1")
    first = officer.post(SEND, sent)
    assert first.status_code == 201
    assert first.json()["flagged"] is True and first.json()["check_url"] == "/log/same-person/"
    referral = Referral.objects.get()
    flag = PossibleDuplicate.objects.get()
    assert (flag.referral, flag.client, flag.logged_by, flag.decision) == (
        referral,
        referral.client,
        cast.officer_a1,
        "",
    )
    assert list(flag.candidates.all()) == [known]
    # Sent again (its answer lost on the way): saved once, asked once, and still flagged.
    again = officer.post(SEND, sent)
    assert again.status_code == 200 and again.json()["flagged"] is True
    assert (Referral.objects.count(), Client.objects.count(), PossibleDuplicate.objects.count()) == (1, 2, 1)


def test_online_the_log_form_still_stops_at_a_possible_duplicate(cast):
    ClientFactory(agency=cast.agency_a, first_name="Marisol", last_name="Quintanilla", date_of_birth=date(1988, 4, 12))
    sent = sent_from_the_phone(
        cast.partner_y, action="save", first_name="Marisol", last_name="Quintanilla", date_of_birth="1988-04-12"
    )
    page = cast.login("officer_a1").post("/log/", sent)
    assert page.status_code == 200 and "This person may already be known" in page.content.decode()
    assert not Referral.objects.exists() and not PossibleDuplicate.objects.exists()


# ---------------------------------------------------------------------------
# Same person? The officer's one tap
# ---------------------------------------------------------------------------


def test_the_log_page_tells_the_officer_there_is_a_question_and_its_page_asks_it(cast):
    flag = flagged_deflection(cast)
    log = cast.login("officer_a1").get("/log/").content.decode()
    assert "may be for someone already known" in log and 'href="/log/same-person/"' in log
    assert "Quintanilla" not in log  # the log page names nobody; the question's page does
    page = cast.login("officer_a1").get("/log/same-person/").content.decode()
    known = flag.candidates.get()
    assert page.count("Quintanilla, Marisol") == 2  # the new client and the known one
    assert page.count('<span class="text-nowrap">born 1988-04-12</span>') == 2  # never broken at a hyphen
    assert f'name="same_as" value="{known.pk}"' in page and 'name="different"' in page
    shown = set(
        AccessEvent.objects.filter(user=cast.officer_a1, what="same person check").values_list("client_id", flat=True)
    )
    assert shown == {flag.client_id, known.pk}


def test_another_officer_sees_no_question_of_anyone_elses(cast):
    flagged_deflection(cast)
    assert "may be for someone already known" not in cast.login("officer_a2").get("/log/").content.decode()
    assert "Quintanilla" not in cast.login("officer_a2").get("/log/same-person/").content.decode()


def test_same_person_merges_the_new_client_into_the_known_one(cast):
    flag = flagged_deflection(cast)
    known = flag.candidates.get()
    new_client_id, referral = flag.client_id, flag.referral
    response = cast.login("officer_a1").post(f"/log/same-person/{flag.pk}/", {"same_as": known.pk})
    assert response.status_code == 302 and response["Location"] == "/log/same-person/"
    referral.refresh_from_db()
    flag.refresh_from_db()
    assert referral.client == known
    assert not Client.objects.filter(pk=new_client_id).exists()
    merge = ClientMerge.objects.get()
    assert (merge.survivor, merge.merged_client_id, merge.merged_by) == (known, new_client_id, cast.officer_a1)
    assert (flag.decision, flag.merged_into, flag.decided_at is not None) == ("same", known, True)
    assert referral.events.filter(kind="client_merged").count() == 1


def test_a_different_person_closes_the_question_and_changes_nothing_else(cast):
    flag = flagged_deflection(cast)
    clients = set(Client.objects.values_list("pk", flat=True))
    response = cast.login("officer_a1").post(f"/log/same-person/{flag.pk}/", {"different": "on"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.decision == "different" and flag.merged_into is None
    assert set(Client.objects.values_list("pk", flat=True)) == clients and not ClientMerge.objects.exists()
    assert "may be for someone already known" not in cast.login("officer_a1").get("/log/").content.decode()


@pytest.mark.parametrize("who", ["officer_a2", "supervisor_a", "officer_b", "case_manager_y", "admin"])
@pytest.mark.parametrize("answer", ["same", "different"])
def test_nobody_but_the_officer_who_logged_it_may_answer(cast, who, answer):
    flag = flagged_deflection(cast)
    known = flag.candidates.get()
    data = {"same_as": known.pk} if answer == "same" else {"different": "on"}
    before = (Client.objects.count(), ClientMerge.objects.count(), flag.referral.client_id)
    response = cast.login(who).post(f"/log/same-person/{flag.pk}/", data)
    assert response.status_code == 404
    flag.refresh_from_db()
    flag.referral.refresh_from_db()
    assert flag.decision == "" and flag.decided_at is None
    assert (Client.objects.count(), ClientMerge.objects.count(), flag.referral.client_id) == before


def test_the_service_refuses_anyone_but_the_officer_who_logged_it(cast):
    from referrals import services

    flag = flagged_deflection(cast)
    for actor in (cast.officer_a2, cast.supervisor_a, cast.admin):
        with pytest.raises(services.PossibleDuplicateRefused):
            services.possible_duplicate_resolve(flag_id=flag.pk, actor=actor, same_as_id=None)
    flag.refresh_from_db()
    assert flag.decision == ""


def test_an_answered_question_is_not_answered_twice(cast):
    flag = flagged_deflection(cast)
    officer = cast.login("officer_a1")
    officer.post(f"/log/same-person/{flag.pk}/", {"different": "on"})
    response = officer.post(f"/log/same-person/{flag.pk}/", {"same_as": flag.candidates.get().pk})
    assert response.status_code == 404
    assert not ClientMerge.objects.exists()


def test_only_one_of_the_clients_found_can_be_the_same_person(cast):
    flag = flagged_deflection(cast)
    stranger = ClientFactory(agency=cast.agency_a)
    response = cast.login("officer_a1").post(f"/log/same-person/{flag.pk}/", {"same_as": stranger.pk}, follow=True)
    assert "Choose one of the people listed." in response.content.decode()
    flag.refresh_from_db()
    assert flag.decision == "" and not ClientMerge.objects.exists()


def test_an_answer_must_say_same_or_different(cast):
    flag = flagged_deflection(cast)
    officer = cast.login("officer_a1")
    for data in ({}, {"same_as": flag.candidates.get().pk, "different": "on"}):
        response = officer.post(f"/log/same-person/{flag.pk}/", data, follow=True)
        assert any(m.level == constants.ERROR for m in response.context["messages"])
    flag.refresh_from_db()
    assert flag.decision == ""


def test_a_question_whose_new_client_the_administrator_merged_meanwhile_is_no_longer_asked(cast):
    from referrals import services

    flag = flagged_deflection(cast)
    services.client_merge(survivor_id=flag.candidates.get().pk, merged_id=flag.client_id, actor=cast.admin)
    assert "may be for someone already known" not in cast.login("officer_a1").get("/log/").content.decode()
    assert cast.login("officer_a1").post(f"/log/same-person/{flag.pk}/", {"different": "on"}).status_code == 404


def test_the_phones_words_for_waiting_deflections_are_in_each_officers_language(cast):
    # Rendered once per language and kept (templates/_offline.html): an officer who reads
    # Spanish never gets the words kept for one who reads English, nor the other way round.
    english = cast.login("officer_a1").get("/mine/").content.decode()
    cast.officer_a2.language = "es"
    cast.officer_a2.save(update_fields=["language"])
    spanish = cast.login("officer_a2").get("/mine/").content.decode()
    assert 'data-waiting="Waiting to send ({count})"' in english
    assert 'data-waiting="Esperando para enviar ({count})"' in spanish
    assert 'data-waiting="Waiting to send ({count})"' in cast.login("officer_a1").get("/log/").content.decode()
