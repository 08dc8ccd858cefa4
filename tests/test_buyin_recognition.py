"""Recognition: who commends whom, no client in the text, the officer's choice to be named,
the letter for the personnel file, the digest's commendations and the officer's notice."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from buyin.letters import commendation_letter_document
from buyin.models import Commendation, RecognitionKind
from buyin.selectors.recognition import commendations_of_week
from buyin.services.recognition import commendation_create, commendation_email_send, commendation_set_naming
from deflection.models import User
from referrals.models import Referral
from reports.digest import agency_zone, digest_context, digest_render, digest_send, reported_week
from tests.conftest import MEMBERS, has_word
from tests.factories.buyin import CommendationFactory, RecognitionKindFactory
from tests.factories.core import UnitFactory, UserFactory
from tests.factories.referrals import ClientFactory, OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db

COMMEND = "/buyin/commend/"
TEXT = "Talked a man down from the overpass and walked him into the crisis centre."


@pytest.fixture
def referral(cast):
    """A deflection by officer_a1 whose client has every kind of identifier on file."""
    client = ClientFactory(
        agency=cast.agency_a,
        first_name="Zebulon",
        last_name="Quackenbush",
        aliases="Zeb the Quack",
        phone="520-555-0187",
    )
    return ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), client=client, partner=cast.partner_y)


def _post(
    cast, who: str, officer: User, *, text: str = TEXT, referral=None, kind: str = "Commendation", incident: str = ""
):
    data = {"officer": officer.pk, "kind": kind, "text": text, "referral": referral.pk if referral else ""}
    return cast.login(who).post(COMMEND, {**data, "incident_number": incident})


def _writes(captured) -> list[str]:
    return [
        q["sql"][:100]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) and "django_session" not in q["sql"]
    ]


# -- who commends whom -----------------------------------------------------------------


def test_a_supervisor_commends_an_officer_of_their_agency(cast, referral, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(cast, "supervisor_a", cast.officer_a1, referral=referral)
    assert response.status_code == 302
    commendation = Commendation.objects.get()
    assert (commendation.officer, commendation.commended_by, commendation.kind.name) == (
        cast.officer_a1,
        cast.supervisor_a,
        "Commendation",
    )
    assert commendation.referral == referral and commendation.agency == cast.agency_a
    assert not commendation.may_name  # the officer decides, later


@pytest.mark.parametrize("who", ["supervisor_a", "command_a"])
def test_a_commender_of_agency_a_may_not_commend_an_officer_of_agency_b(cast, who):
    response = _post(cast, who, cast.officer_b)
    assert response.status_code == 404
    assert not Commendation.objects.exists()
    with pytest.raises(ValidationError):
        commendation_create(actor=getattr(cast, who), officer=cast.officer_b, kind_name="Commendation", text=TEXT)
    assert not Commendation.objects.exists()


@pytest.mark.parametrize("who", ["officer_a2", "case_manager_y"])
def test_officers_and_case_managers_cannot_commend(cast, who):
    assert _post(cast, who, cast.officer_a1).status_code == 404
    assert cast.login(who).get(COMMEND).status_code == 404
    with pytest.raises(ValidationError):
        commendation_create(actor=getattr(cast, who), officer=cast.officer_a1, kind_name="Commendation", text=TEXT)
    assert not Commendation.objects.exists()


def test_nobody_commends_themselves(cast):
    assert _post(cast, "supervisor_a", cast.supervisor_a).status_code == 404
    assert not Commendation.objects.exists()


def test_command_staff_commend_a_sergeant_and_the_program_admin_commends_in_every_agency(cast):
    assert _post(cast, "command_a", cast.supervisor_a).status_code == 302
    assert _post(cast, "program_admin", cast.officer_b).status_code == 302
    assert set(Commendation.objects.values_list("officer__username", "commended_by__username")) == {
        ("supervisor_a", "command_a"),
        ("officer_b", "program_admin"),
    }
    # Agency B's own kinds were saved for it, on its first commendation.
    assert Commendation.objects.get(officer=cast.officer_b).kind.agency == cast.agency_b


def test_a_supervisor_sees_their_own_unit_first_and_no_other_agency(cast):
    patrol = UnitFactory(agency=cast.agency_a, name="Westside Patrol")
    UserFactory(username="aaron", first_name="Aaron", last_name="Aardvark", agency=cast.agency_a, unit=patrol)
    page = cast.login("supervisor_a").get(COMMEND).content.decode()
    select = page[page.index('name="officer"') : page.index("</select>")]
    assert select.index("Oakhurst") < select.index("Pinecrest") < select.index("Aardvark")
    assert "Rivermoor" not in select and "Stonebridge" not in select  # agency B's officer; herself


# -- no client in the text -------------------------------------------------------------


@pytest.mark.parametrize("mention", ["Zebulon", "Quackenbush", "Zeb the Quack", "555-0187"])
def test_a_text_naming_the_referrals_client_is_refused(cast, referral, mention):
    response = _post(cast, "supervisor_a", cast.officer_a1, referral=referral, text=f"Helped {mention} into detox.")
    page = response.content.decode()
    assert response.status_code == 200 and "A commendation names no client" in page
    assert mention not in page.split("A commendation names no client")[1].split("</")[0]  # names the kind only
    assert not Commendation.objects.exists()


@pytest.mark.parametrize("mention", ["Zebulon Quackenbush", "Quackenbush, Zebulon", "Zeb the Quack", "520 555 0187"])
def test_without_a_referral_the_text_is_checked_against_the_officers_clients(cast, referral, mention):
    response = _post(cast, "supervisor_a", cast.officer_a1, text=f"Helped {mention} into detox.")
    page = response.content.decode()
    assert response.status_code == 200 and "a client this officer referred" in page
    assert "Zebulon" not in page.split("A commendation names no client")[1].split("</")[0]
    assert not Commendation.objects.exists()
    with pytest.raises(ValidationError):
        commendation_create(
            actor=cast.supervisor_a, officer=cast.officer_a1, kind_name="Commendation", text=f"Helped {mention}."
        )


def test_without_a_referral_a_first_name_alone_or_another_officers_clients_alias_passes(cast, referral):
    """Among a year of clients a first name alone is a common word; another officer's client's
    alias or birth date is no one this commendation is about."""
    assert _post(cast, "supervisor_a", cast.officer_a1, text="Helped Zebulon into detox.").status_code == 302
    assert _post(cast, "supervisor_a", cast.officer_a2, text="Stayed with Zeb the Quack.").status_code == 302
    assert Commendation.objects.filter(referral=None).count() == 2


@pytest.mark.parametrize("mention", ["Zebulon Quackenbush", "Mr. Quackenbush", "el Sr. Quackenbush", "(520) 555-0187"])
def test_any_client_of_the_agency_or_its_program_is_refused_by_name_title_or_phone(cast, referral, mention):
    """The briefing and the letter are read well beyond the officer: another officer's client,
    or one of another agency of the program, named whole, by a title and surname, or by phone,
    is refused too, for a commendation with or without a deflection."""
    other_agency = ClientFactory(agency=cast.agency_b, first_name="Colin", last_name="Gonzalez", phone="520-555-0117")
    assert cast.agency_b.program_id == cast.agency_a.program_id
    for text in (f"Stayed with {mention} for an hour.", "Stayed with Colin Gonzalez.", "Called 520 555 0117 twice."):
        response = _post(cast, "supervisor_a", cast.officer_a2, text=text)
        assert response.status_code == 200 and "this text contains a client" in response.content.decode()
    assert other_agency.pk and not Commendation.objects.exists()
    with pytest.raises(ValidationError):
        commendation_create(
            actor=cast.supervisor_a, officer=cast.officer_a2, kind_name="Commendation", text=f"Met {mention}."
        )
    # A title before a word that is no client's surname is just a title.
    assert _post(cast, "supervisor_a", cast.officer_a2, text="Thanked by Mr. Nobodyknows.").status_code == 302


def test_a_client_referred_over_a_year_ago_is_checked_only_by_whole_name(cast, referral):
    """The officer's own clients of the last year by alias and birth date too; older ones as
    anyone's (a whole name, a title and surname, a phone)."""
    Referral.objects.filter(pk=referral.pk).update(occurred_at=timezone.now() - timedelta(days=400))
    assert _post(cast, "supervisor_a", cast.officer_a1, text="Helped Zeb the Quack.").status_code == 302
    assert _post(cast, "supervisor_a", cast.officer_a1, text="Helped Zebulon Quackenbush.").status_code == 200


def test_a_referral_of_another_officer_is_refused(cast, referral):
    response = _post(cast, "supervisor_a", cast.officer_a2, referral=referral)
    assert response.status_code == 200 and "This deflection is not this officer&#x27;s" in response.content.decode()
    assert not Commendation.objects.exists()
    with pytest.raises(ValidationError):
        commendation_create(
            actor=cast.supervisor_a, officer=cast.officer_a2, kind_name="Commendation", text=TEXT, referral=referral
        )


@pytest.mark.parametrize("typed", ["PV26-11142038", "pv26 11142038", "11142038"])
def test_a_sergeant_commends_for_a_deflection_by_its_incident_number(cast, referral, typed):
    """As the sergeant knows it from the report: capitals or not, with or without its dashes,
    or its digits alone."""
    Referral.objects.filter(pk=referral.pk).update(incident_number="PV26-11142038")
    assert 'name="incident_number"' in cast.login("supervisor_a").get(COMMEND).content.decode()
    response = _post(cast, "supervisor_a", cast.officer_a1, incident=typed)
    assert response.status_code == 302
    assert Commendation.objects.get().referral == referral


def test_the_incident_number_checks_the_text_against_that_client(cast, referral):
    Referral.objects.filter(pk=referral.pk).update(incident_number="PV26-11142038")
    response = _post(cast, "supervisor_a", cast.officer_a1, incident="PV26-11142038", text="Helped Zeb the Quack.")
    assert response.status_code == 200 and "A commendation names no client" in response.content.decode()
    assert not Commendation.objects.exists()


@pytest.mark.parametrize("incident", ["", "PV26-11150001"])
def test_a_commendation_for_one_deflection_that_names_another_client_of_the_officer_is_refused(
    cast, referral, incident
):
    """For one deflection, by its page or its incident number, the text may still tell of
    another: it is checked against the officer's other clients too (their whole names)."""
    other = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a1),
        client=ClientFactory(agency=cast.agency_a, first_name="Walker", last_name="Testperson"),
        partner=cast.partner_y,
        incident_number="PV26-11150001",
    )
    response = _post(
        cast,
        "supervisor_a",
        cast.officer_a1,
        referral=None if incident else other,
        incident=incident,
        text="Stayed with Zebulon Quackenbush for an hour and got him to the clinic.",
    )
    # The deflection commended is the other one; the text names the fixture referral's client.
    assert response.status_code == 200 and "a client this officer referred" in response.content.decode()
    assert not Commendation.objects.exists()
    with pytest.raises(ValidationError):
        commendation_create(
            actor=cast.supervisor_a,
            officer=cast.officer_a1,
            kind_name="Commendation",
            text="Helped Zebulon Quackenbush into detox.",
            referral=other,
        )
    # The deflection's own client's first name alone is refused; another client's alone passes.
    refused = _post(cast, "supervisor_a", cast.officer_a1, referral=other, text="Walked Walker in.")
    assert refused.status_code == 200 and "this text contains the client&#x27;s name" in refused.content.decode()
    assert _post(cast, "supervisor_a", cast.officer_a1, referral=other, text="Walked Zebulon in.").status_code == 302


def test_an_incident_number_not_of_the_officer_or_of_several_deflections_is_refused(cast, referral):
    Referral.objects.filter(pk=referral.pk).update(incident_number="PV26-11142038")
    # Another officer's incident: refused as unknown, without saying whose it is.
    response = _post(cast, "supervisor_a", cast.officer_a2, incident="PV26-11142038")
    assert response.status_code == 200
    assert "None of this officer&#x27;s deflections has this incident number." in response.content.decode()
    # Two people of one incident, both referred by the officer: the sergeant picks on its page.
    ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y, incident_number="PV26-11142038"
    )
    response = _post(cast, "supervisor_a", cast.officer_a1, incident="PV26-11142038")
    assert response.status_code == 200 and "Several of this officer&#x27;s deflections" in response.content.decode()
    assert not Commendation.objects.exists()


def test_the_referral_page_offers_the_sergeant_to_commend_its_officer(cast, referral):
    link = f"{COMMEND}?referral={referral.pk}"
    detail = reverse("referrals:detail", args=[referral.pk])
    assert link in cast.login("supervisor_a").get(detail).content.decode()
    assert link in cast.login("program_admin").get(detail).content.decode()
    assert link not in cast.login("officer_a1").get(detail).content.decode()
    Referral.objects.filter(pk=referral.pk).update(incident_number="PV26-11142038")
    page = cast.login("supervisor_a").get(link).content.decode()
    assert f'value="{referral.pk}"' in page and f'<option value="{cast.officer_a1.pk}" selected>' in page
    # The page says which deflection, by what the sergeant knows it by; no client.
    said = page.split('id="commend-for">')[1].split("</p>")[0]
    assert "incident PV26-11142038" in said and "Zebulon" not in said
    assert 'name="incident_number"' not in page
    # A referral of agency B: its officer is not the sergeant's to commend.
    other = ReferralFactory(officer=OfficerFactory(user=cast.officer_b), partner=cast.partner_y)
    assert cast.login("supervisor_a").get(f"{COMMEND}?referral={other.pk}").status_code == 404


def test_a_referral_whose_page_the_user_may_not_open_is_not_described_on_the_commend_page(cast, referral):
    """The sergeant may commend an officer of another unit, and command staff any officer of the
    agency, but neither may open that officer's referral: its date and incident number are not
    shown for a number typed into the address. The incident number typed in the form still works."""
    eastside = UnitFactory(agency=cast.agency_a, name="Eastside")
    east_officer = UserFactory(agency=cast.agency_a, unit=eastside, role=User.Role.OFFICER)
    theirs = ReferralFactory(officer=OfficerFactory(user=east_officer), partner=cast.partner_y, incident_number="E-77")
    for who in ("supervisor_a", "command_a"):
        client = cast.login(who)
        assert client.get(reverse("referrals:detail", args=[theirs.pk])).status_code == 404
        assert client.get(f"{COMMEND}?referral={theirs.pk}").status_code == 404
        assert "E-77" not in client.get(COMMEND).content.decode()
    # Nor when posted with the referral's number and something to fix.
    refused = _post(cast, "command_a", east_officer, text="", referral=theirs).content.decode()
    assert "E-77" not in refused and 'id="commend-for"' not in refused
    assert _post(cast, "command_a", east_officer, incident="E-77").status_code == 302


def test_commend_without_it_keeps_what_was_typed_and_drops_the_deflection(cast, referral):
    link = f"{COMMEND}?referral={referral.pk}"
    client = cast.login("supervisor_a")
    assert 'name="without_referral"' in client.get(link).content.decode()
    data = {"officer": cast.officer_a1.pk, "kind": "Commendation", "text": TEXT, "referral": referral.pk}
    response = client.post(link, {**data, "without_referral": "1"})
    page = response.content.decode()
    assert response.status_code == 200 and not Commendation.objects.exists()
    assert 'id="commend-for"' not in page and 'name="incident_number"' in page
    assert f'<option value="{cast.officer_a1.pk}" selected>' in page and TEXT in page
    assert "This field is required" not in page
    # Saved then, it is for no deflection.
    assert client.post(link, {**data, "referral": ""}).status_code == 302
    assert Commendation.objects.get().referral is None


def test_the_default_kinds_are_saved_in_english_and_read_in_each_readers_language(cast):
    """A Spanish-speaking sergeant commends first: the agency's default kinds are still saved by
    their English names, and each reader sees them in their own language."""
    User.objects.filter(pk__in=[cast.supervisor_a.pk, cast.officer_a1.pk]).update(language="es")
    form = cast.login("supervisor_a").get(COMMEND).content.decode()
    assert '<option value="Training opportunity (a reward)">Oportunidad de capacitación (un premio)</option>' in form
    response = _post(cast, "supervisor_a", cast.officer_a1, kind="Training opportunity (a reward)")
    assert response.status_code == 302
    assert set(RecognitionKind.objects.filter(agency=cast.agency_a).values_list("name", flat=True)) == {
        "Commendation",
        "Training opportunity (a reward)",
        "Other recognition",
    }
    # The officer's record gives the recognition itself: the gloss is for the one commending.
    record = cast.login("officer_a1").get("/reports/my-record/").content.decode()
    assert "Oportunidad de capacitación" in record and "un premio" not in record
    assert "Training opportunity" not in record
    User.objects.filter(pk=cast.officer_a1.pk).update(language="en")
    record = cast.login("officer_a1").get("/reports/my-record/").content.decode()
    assert "Training opportunity" in record and "(a reward)" not in record


# -- the agency's kinds ----------------------------------------------------------------


def test_the_default_kinds_are_offered_and_saved_only_with_the_first_commendation(cast):
    client = cast.login("supervisor_a")
    with CaptureQueriesContext(connection) as captured:
        page = client.get(COMMEND).content.decode()
    assert _writes(captured) == [] and not RecognitionKind.objects.exists()
    assert "Training opportunity (a reward)" in page
    _post(cast, "supervisor_a", cast.officer_a1, kind="Training opportunity (a reward)")
    assert set(RecognitionKind.objects.filter(agency=cast.agency_a).values_list("name", flat=True)) == {
        "Commendation",
        "Training opportunity (a reward)",
        "Other recognition",
    }


def test_the_program_admin_is_offered_the_kinds_before_choosing_an_officer(cast):
    RecognitionKindFactory(agency=cast.agency_b, name="Sheriff's coin")
    page = cast.login("program_admin").get(COMMEND).content.decode()
    assert "Training opportunity (a reward)" in page and "Sheriff&#x27;s coin" in page
    # Checked against the officer's agency: agency A has no such kind.
    _post(cast, "program_admin", cast.officer_a1, kind="Sheriff's coin")
    assert not Commendation.objects.exists()
    assert _post(cast, "program_admin", cast.officer_b, kind="Sheriff's coin").status_code == 302


def test_command_staff_add_and_retire_kinds_and_a_retired_kind_is_not_taken(cast):
    client = cast.login("command_a")
    assert client.post("/buyin/recognition/kinds/", {"name": "Chief's coin"}).status_code == 302
    coin = RecognitionKind.objects.get(agency=cast.agency_a, name="Chief's coin")
    assert RecognitionKind.objects.filter(agency=cast.agency_a).count() == 4  # the defaults, then the coin
    assert "Chief&#x27;s coin" in cast.login("supervisor_a").get(COMMEND).content.decode()
    assert client.post(f"/buyin/recognition/kinds/{coin.pk}/offer/", {"offered": "no"}).status_code == 302
    assert "Chief&#x27;s coin" not in cast.login("supervisor_a").get(COMMEND).content.decode()
    _post(cast, "supervisor_a", cast.officer_a1, kind="Chief's coin")
    assert not Commendation.objects.exists()


def test_command_staff_of_one_agency_cannot_change_anothers_kinds(cast):
    kind = RecognitionKindFactory(agency=cast.agency_b)
    response = cast.login("command_a").post(f"/buyin/recognition/kinds/{kind.pk}/offer/", {"offered": "no"})
    assert response.status_code == 404
    kind.refresh_from_db()
    assert kind.is_active
    assert cast.login("supervisor_a").post("/buyin/recognition/kinds/", {"name": "Coin"}).status_code == 404
    assert not RecognitionKind.objects.filter(name="Coin").exists()


# -- the officer's record, choice and letter ---------------------------------------------


def test_the_officer_sees_their_commendations_newest_first_in_my_record(cast):
    older = CommendationFactory(officer=cast.officer_a1, commended_by=cast.supervisor_a, text="Older: the bridge.")
    Commendation.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=40))
    CommendationFactory(officer=cast.officer_a1, commended_by=cast.command_a, text="Newer: the warm handoff.")
    CommendationFactory(officer=cast.officer_a2, commended_by=cast.supervisor_a, text="Someone else's.")
    page = cast.login("officer_a1").get("/reports/my-record/").content.decode()
    section = page[page.index('id="recognition-heading"') :]
    assert section.index("Newer: the warm handoff.") < section.index("Older: the bridge.")
    assert "Gale Vinewick (Command staff)" in section and "Dana Stonebridge (Supervisor)" in section
    assert "Someone else" not in page
    assert "Someone else" not in cast.login("supervisor_a").get("/reports/my-record/").content.decode()


def test_only_the_officer_decides_to_be_named(cast):
    commendation = CommendationFactory(officer=cast.officer_a1, commended_by=cast.supervisor_a)
    url = f"/buyin/commendations/{commendation.pk}/naming/"
    for who in ["supervisor_a", "command_a", "admin", "officer_a2"]:
        assert cast.login(who).post(url, {"may_name": "yes"}).status_code == 404
    with pytest.raises(ValidationError):
        commendation_set_naming(actor=cast.supervisor_a, commendation_id=commendation.pk, may_name=True)
    commendation.refresh_from_db()
    assert not commendation.may_name
    assert cast.login("officer_a1").post(url, {"may_name": "yes"}).status_code == 302
    commendation.refresh_from_db()
    assert commendation.may_name and commendation.named_choice_at is not None
    cast.login("officer_a1").post(url, {"may_name": "no"})
    commendation.refresh_from_db()
    assert not commendation.may_name


def _text(document) -> str:
    return " ".join(box.text for page in document.pages for box in page._page_box.descendants() if hasattr(box, "text"))


def test_the_letter_is_a_one_page_pdf_for_the_file_without_the_client(cast, referral):
    commendation = commendation_create(
        actor=cast.supervisor_a,
        officer=cast.officer_a1,
        kind_name="Commendation",
        text="Stayed on scene for an hour. " * 51,  # the longest text the form takes
        referral=referral,
    )
    response = cast.login("officer_a1").get(f"/buyin/commendations/{commendation.pk}/letter.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    document = commendation_letter_document(commendation=commendation)
    assert len(document.pages) == 1
    text = _text(document)
    for expected in ["Agency A Police Department", "Avery Oakhurst", cast.officer_a1.badge_number, "MHST"]:
        assert expected in text
    assert "Commendation" in text and "Dana Stonebridge" in text and "Supervisor" in text
    for secret in ["Zebulon", "Quackenbush", "Zeb", "555-0187"]:
        assert secret not in text


def test_the_letter_names_the_recognition_without_the_pickers_gloss(cast):
    commendation = commendation_create(
        actor=cast.supervisor_a, officer=cast.officer_a1, kind_name="Training opportunity (a reward)", text=TEXT
    )
    text = _text(commendation_letter_document(commendation=commendation))
    assert "Training opportunity" in text and "reward" not in text


@pytest.mark.parametrize(
    "text",
    [
        "\n".join(["W" * 110] * 13)[:1500],  # the most line breaks, each line full
        "\n".join(["A short line."] * 12 + ["Stayed. " * 170])[:1500],
    ],
    ids=["full-lines", "short-lines-then-a-block"],
)
def test_the_longest_letters_still_fit_one_page(cast, text):
    commendation = CommendationFactory(officer=cast.officer_a1, commended_by=cast.supervisor_a, text=text)
    assert len(commendation_letter_document(commendation=commendation).pages) == 1


def test_a_text_of_many_lines_is_refused(cast):
    response = _post(cast, "supervisor_a", cast.officer_a1, text="\n".join(["Thank you."] * 14))
    assert response.status_code == 200 and "at most 12 line breaks" in response.content.decode()
    assert not Commendation.objects.exists()


def test_the_letter_is_not_for_another_sergeant_or_another_agency(cast):
    commendation = CommendationFactory(officer=cast.officer_a1, commended_by=cast.command_a)
    UserFactory(username="sergeant2", role=User.Role.SUPERVISOR, agency=cast.agency_a)
    url = f"/buyin/commendations/{commendation.pk}/letter.pdf"
    assert cast.login("supervisor_a").get(url).status_code == 404
    assert cast.login("officer_b").get(url).status_code == 404
    assert cast.login("command_a").get(url).status_code == 200


def test_reading_recognition_pages_writes_nothing(cast):
    commendation = CommendationFactory(officer=cast.officer_a1, commended_by=cast.supervisor_a)
    pages = {
        "officer_a1": ["/reports/my-record/", f"/buyin/commendations/{commendation.pk}/letter.pdf"],
        "supervisor_a": [COMMEND],
        "command_a": ["/buyin/recognition/kinds/", COMMEND],
        "program_admin": [f"/buyin/recognition/kinds/?agency={cast.agency_b.pk}", COMMEND],
    }
    for who, urls in pages.items():
        client = cast.login(who)
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            assert _writes(captured) == [], (who, url)
    assert RecognitionKind.objects.filter(agency=cast.agency_b).count() == 0


# -- the officer's notice ------------------------------------------------------------------


def test_the_officer_is_emailed_once_without_client_data(cast, referral, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _post(cast, "supervisor_a", cast.officer_a1, referral=referral, text="Stayed an hour at the clinic.")
    assert len(callbacks) == 1 and len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.officer_a1.email]
    assert "Dana Stonebridge" in message.body and "/reports/my-record/" in message.body
    whole = message.subject + message.body + str(message.message())
    for secret in ["Zebulon", "Quackenbush", "Zeb the Quack", "555-0187", "Stayed an hour"]:
        assert secret not in whole
    # A retry or a second worker finds it sent.
    assert commendation_email_send(commendation_id=Commendation.objects.get().pk) is False
    assert len(mail.outbox) == 1


# -- the week's commendations in the digest ------------------------------------------------


@pytest.fixture
def week(cast):
    """Last week's commendations in agency A: one named, two counted; one the week before, one in B."""
    week_start, _due = reported_week(cast.agency_a, timezone.now())
    monday = datetime.combine(week_start, time(12), tzinfo=agency_zone(cast.agency_a))
    rows = [
        (cast.officer_a1, True, monday + timedelta(days=1)),
        (cast.officer_a2, False, monday + timedelta(days=2)),
        (cast.supervisor_a, False, monday + timedelta(days=6, hours=11)),
        (cast.officer_a2, True, monday - timedelta(days=3)),
    ]
    for officer, named, when in rows:
        c = CommendationFactory(officer=officer, commended_by=cast.command_a, may_name=named, text=f"Well done {when}")
        Commendation.objects.filter(pk=c.pk).update(created_at=when)
    CommendationFactory(officer=cast.officer_b, commended_by=UserFactory(role="command", agency=cast.agency_b))
    Commendation.objects.filter(officer=cast.officer_b).update(created_at=monday + timedelta(days=1), may_name=True)
    return week_start, monday


def test_the_weeks_commendations_name_only_officers_who_agreed(cast, week):
    _week_start, monday = week
    start = monday - timedelta(hours=12)  # Monday 00:00 in the agency's zone
    recognition = commendations_of_week(agency=cast.agency_a, start=start, end=start + timedelta(days=7))
    assert [c.officer for c in recognition.named] == [cast.officer_a1] and recognition.others == 2


def test_the_digest_names_those_who_agreed_and_counts_the_others(cast, week, referral):
    week_start, _monday = week
    rendered = digest_render(agency=cast.agency_a, week_start=week_start)
    for body in (rendered.html, rendered.text):
        assert "Avery Oakhurst" in body and "and 2 more commendations" in body
        assert not has_word(body, "Pinecrest") and not has_word(body, "Stonebridge") and "Rivermoor" not in body
        assert "Zebulon" not in body and "Quackenbush" not in body
    assert len(digest_context(agency=cast.agency_a, week_start=week_start)["commendations"].named) == 1
    preview = cast.login("command_a").get("/reports/digest/").content.decode()
    assert "Avery Oakhurst" in preview and "and 2 more commendations" in preview
    digest = digest_send(agency_id=cast.agency_a.pk, week_start=week_start)
    assert "Avery Oakhurst" in digest.html and "and 2 more commendations" in digest.text


@pytest.mark.parametrize("who", MEMBERS)
def test_the_referral_page_offers_commending_its_officer_to_those_the_commend_page_takes(cast, referral, who):
    """Command staff may commend for a referral (by its incident number, or its number posted),
    but see no referral page, nor the commend page's account of one."""
    client = cast.login(who)
    page = client.get(reverse("referrals:detail", args=[referral.pk]))
    link = f"{COMMEND}?referral={referral.pk}"
    offered = page.status_code == 200 and link in page.content.decode()
    assert offered == (who in {"supervisor_a", "admin", "program_admin"})
    assert client.get(link).status_code == (200 if offered else 404)
    taken = who in {"supervisor_a", "command_a", "admin", "program_admin"}
    data = {"officer": cast.officer_a1.pk, "kind": "Commendation", "text": TEXT, "referral": referral.pk}
    client.post(link, data)
    assert Commendation.objects.filter(referral=referral).exists() == taken


def test_my_record_reads_the_commendations_in_one_query_however_many(cast, django_assert_max_num_queries):
    client = cast.login("officer_a1")
    CommendationFactory(officer=cast.officer_a1, commended_by=cast.supervisor_a)
    with CaptureQueriesContext(connection) as one:
        client.get("/reports/my-record/")
    for _ in range(5):
        CommendationFactory(officer=cast.officer_a1, commended_by=cast.command_a)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get("/reports/my-record/").content.decode()
    assert page.count("data-commendation=") == 6
