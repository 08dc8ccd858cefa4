"""Many programs on one installation: each program's administrator sees and runs only their
program (another program's rows answer 404, and refused writes change nothing), a superuser
sees all, agencies of one program stay apart, and a partner may serve several programs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from buyin.models import ChangeMade, Commendation, PulseSurvey, Suggestion, TrainingSession
from buyin.selectors.suggestions import you_said_we_did
from buyin.services.pulse import DEFAULT_STATEMENTS, pulse_survey_create
from deflection.models import Agency, Program, User
from deflection.permissions import administers_agency, agencies_of_program, in_program, programs_of
from partners.models import PartnerContact
from partners.reminders import recipients as next_step_recipients
from referrals.models import Client, Referral
from referrals.services import client_merge
from tests.factories.buyin import (
    CommendationFactory,
    SuggestionFactory,
    TrainingSessionFactory,
    agency_today,
    pulse_wave,
)
from tests.factories.core import PASSWORD, UserFactory
from tests.factories.partners import PartnerContactFactory
from tests.factories.referrals import ClientFactory, OfficerFactory, ReferralFactory, consent_given

pytestmark = pytest.mark.django_db


@dataclass
class SecondProgram:
    """Rows of the second program: officer C's referral to partner Z (accepted, with a
    consent), a training session and a pulse wave of agency C, a suggestion of officer C and
    a commendation of officer C."""

    officer_c: User
    case_manager_z: User
    referral: Referral
    session: TrainingSession
    wave: PulseSurvey
    suggestion: Suggestion
    commendation: Commendation


@pytest.fixture
def second(cast) -> SecondProgram:
    from referrals import services

    officer_c = UserFactory(username="officer_c", agency=cast.agency_c, unit=cast.unit_c)
    case_manager_z = UserFactory(
        username="cm_z", role=User.Role.CASE_MANAGER, partner=cast.partner_z, agency=None, badge_number=""
    )
    referral = ReferralFactory(officer=OfficerFactory(user=officer_c), partner=cast.partner_z)
    services.referral_accept(referral_id=referral.pk, actor=case_manager_z)
    # Signed today where agency C is (an hour ahead of Phoenix: at 06:40 UTC, a day ahead).
    consent_given(referral, case_manager_z, signed_on=agency_today(cast.agency_c))
    return SecondProgram(
        officer_c=officer_c,
        case_manager_z=case_manager_z,
        referral=referral,
        session=TrainingSessionFactory(agency=cast.agency_c),
        wave=pulse_wave(actor=cast.program_admin_2, agency=cast.agency_c, units=[cast.unit_c]),
        suggestion=SuggestionFactory(author=officer_c, topic=Suggestion.Topic.TRAINING),
        commendation=CommendationFactory(officer=officer_c),
    )


def _pages(cast, second: SecondProgram) -> list[str]:
    """The second program's pages: about one of its rows, or one of its agencies picked."""
    referral = second.referral
    return [
        reverse("referrals:detail", kwargs={"referral_id": referral.pk}),
        reverse("referrals:client", kwargs={"client_id": referral.client_id}),
        reverse("referrals:consent_pdf", kwargs={"referral_id": referral.pk}),
        reverse("reports:story_new", kwargs={"referral_id": referral.pk}),
        reverse("reports:partner", kwargs={"partner_id": cast.partner_z.pk}),
        reverse("buyin:pulse_results", kwargs={"survey_id": second.wave.pk}),
        reverse("buyin:suggestion_detail", kwargs={"suggestion_id": second.suggestion.pk}),
        reverse("buyin:commendation_letter", kwargs={"commendation_id": second.commendation.pk}),
        f"{reverse('reports:dashboard')}?agency={cast.agency_c.pk}",
        f"{reverse('reports:process')}?agency={cast.agency_c.pk}",
        f"{reverse('reports:digest_preview')}?agency={cast.agency_c.pk}",
        f"{reverse('reports:export')}?agency={cast.agency_c.pk}",
        f"{reverse('buyin:training')}?agency={cast.agency_c.pk}",
        f"{reverse('buyin:champions')}?agency={cast.agency_c.pk}",
        f"{reverse('buyin:recognition_kinds')}?agency={cast.agency_c.pk}",
        f"{reverse('reports:briefing')}?unit={cast.unit_c.pk}",
        f"{reverse('reports:program')}?program={cast.program_2.pk}",
        f"/admin/referrals/client/{referral.client_id}/disclosures/",
    ]


def test_the_first_programs_administrator_gets_404_on_every_page_of_the_second(cast, second):
    admin_1, admin_2, superuser = cast.login("program_admin"), cast.login("program_admin_2"), cast.login("admin")
    for url in _pages(cast, second):
        assert admin_1.get(url).status_code == 404, url
        assert admin_2.get(url).status_code == 200, url
        assert superuser.get(url).status_code == 200, url


def test_the_second_programs_coordinator_gets_only_its_program_view(cast, second):
    coordinator = cast.login("coordinator_2")
    for url in _pages(cast, second):
        # Not staff: the admin's pages send them to the admin's own sign-in.
        expected = 200 if url.startswith(reverse("reports:program")) else 302 if url.startswith("/admin/") else 404
        assert coordinator.get(url).status_code == expected, url
    page = coordinator.get(reverse("reports:program")).content.decode()
    assert "Agency C Police Department" in page
    assert "Agency A" not in page and "Agency B" not in page


def _state(cast) -> dict:
    return {
        "contacts": PartnerContact.objects.count(),
        "sessions": TrainingSession.objects.count(),
        "waves": PulseSurvey.objects.count(),
        "suggestion_states": sorted(Suggestion.objects.values_list("state", flat=True)),
        "changes": ChangeMade.objects.count(),
        "digests": cast.agency_c.digests.count(),
    }


def test_what_the_first_programs_administrator_posts_about_the_second_is_refused_and_changes_nothing(cast, second):
    client = cast.login("program_admin")
    before = _state(cast)
    posts = [
        (reverse("partners:contact_add", kwargs={"partner_id": cast.partner_z.pk}), {"kind": "call", "what": "Hi."}),
        (reverse("partners:tier_change", kwargs={"partner_id": cast.partner_z.pk}), {"tier": "bowed_out"}),
        (
            reverse("buyin:suggestion_act", kwargs={"suggestion_id": second.suggestion.pk, "action": "review"}),
            {"review-note": ""},
        ),
        (reverse("buyin:training_new"), {"agency": cast.agency_c.pk, "held_on": "2026-01-05", "topic": "naloxone"}),
        (reverse("reports:digest_send"), {"agency": cast.agency_c.pk}),
        (reverse("referrals:act", kwargs={"referral_id": second.referral.pk, "action": "hold"}), {"hold-note": ""}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    # The new wave's form does not offer the other program's agency: refused as a bad choice.
    response = client.post(reverse("buyin:pulse_new"), {"agency": cast.agency_c.pk, "title": "Pulse"})
    assert response.status_code == 200 and "agency" in response.context["form"].errors
    assert _state(cast) == before
    second.referral.refresh_from_db()
    assert second.referral.status == Referral.Status.ACCEPTED


def test_the_services_refuse_another_programs_rows_whatever_the_page_offers(cast, second):
    with pytest.raises(PermissionDenied):
        pulse_survey_create(
            actor=cast.program_admin,
            agency=cast.agency_c,
            title="Pulse",
            statements=[str(s) for s in DEFAULT_STATEMENTS],
            open_question="?",
            units=[cast.unit_c],
            partners=[],
            opens_on=agency_today(cast.agency_c),
            days_open=7,
        )
    mine = ClientFactory(agency=cast.agency_a)
    with pytest.raises(ValidationError):
        client_merge(survivor_id=mine.pk, merged_id=second.referral.client_id, actor=cast.program_admin)
    assert Client.objects.filter(pk=second.referral.client_id).exists()


# --- the one scoping rule ---------------------------------------------------------------


def test_the_scope_is_the_users_program_everything_for_a_superuser_nothing_for_agency_staff(cast, second):
    agencies = Agency.objects.all()
    assert set(in_program(agencies, cast.program_admin)) == {cast.agency_a, cast.agency_b}
    assert set(in_program(agencies, cast.coordinator)) == {cast.agency_a, cast.agency_b}
    assert set(in_program(agencies, cast.program_admin_2)) == {cast.agency_c}
    assert set(in_program(agencies, cast.admin)) == {cast.agency_a, cast.agency_b, cast.agency_c}
    for agency_staff in (cast.command_a, cast.officer_a1, cast.case_manager_y):
        assert not in_program(agencies, agency_staff).exists()
    referrals = Referral.objects.all()
    assert list(in_program(referrals, cast.program_admin_2)) == [second.referral]
    assert not in_program(referrals, cast.program_admin).filter(pk=second.referral.pk).exists()
    assert administers_agency(cast.program_admin_2, agency=cast.agency_c.pk)
    assert not administers_agency(cast.program_admin_2, agency=cast.agency_a)
    assert not administers_agency(cast.coordinator, agency=cast.agency_a)  # coordinates, does not run it
    assert list(agencies_of_program(cast.program_admin_2)) == [cast.agency_c]


def test_the_users_of_a_program_are_its_agencies_its_partners_staff_and_its_own(cast, second):
    users = set(in_program(User.objects.all(), cast.program_admin_2).values_list("username", flat=True))
    sergeant = second.commendation.commended_by.username
    assert users == {"program_admin_2", "coordinator_2", "officer_c", "cm_z", sergeant}


def test_a_program_admin_without_a_program_and_a_coordinator_with_an_agency_are_refused(cast):
    lost = User(username="lost", role=User.Role.PROGRAM_ADMIN)
    with pytest.raises(ValidationError) as error:
        lost.full_clean()
    assert "program" in error.value.message_dict
    both = User(username="both", role=User.Role.COMMAND, agency=cast.agency_a, program=cast.program_1)
    with pytest.raises(ValidationError):
        both.full_clean()
    elsewhere = User(username="elsewhere", role=User.Role.PROGRAM_ADMIN, agency=cast.agency_a, program=cast.program_2)
    with pytest.raises(ValidationError) as error:
        elsewhere.full_clean()
    assert "program" in error.value.message_dict


# --- agencies of one program stay apart ------------------------------------------------


def test_command_staff_never_see_another_agency_of_their_program(cast, command_b):
    for url in (reverse("reports:dashboard"), reverse("reports:digest_preview"), reverse("buyin:training")):
        page = command_b.get(f"{url}?agency={cast.agency_a.pk}").content.decode()
        assert "Agency B Sheriff" in page and "Agency A Police" not in page, url
    assert cast.login("coordinator").get(reverse("reports:dashboard")).status_code == 404


# --- a partner serving two programs --------------------------------------------------------


def test_a_partner_serving_two_programs_is_each_programs_with_each_ones_agencies_only(cast, second):
    cast.partner_y.agencies.add(cast.agency_c)
    contact = PartnerContactFactory(partner=cast.partner_y, next_step="Call back")
    url = reverse("reports:partner", kwargs={"partner_id": cast.partner_y.pk})
    page_1 = cast.login("program_admin").get(url).content.decode()
    page_2 = cast.login("program_admin_2").get(url).content.decode()
    assert "Agency A Police" in page_1 and "Agency C Police" not in page_1
    assert "Agency C Police" in page_2 and "Agency A Police" not in page_2
    # Both programs keep the relationship with it, and hear of its next steps.
    done = reverse("partners:next_step_done", kwargs={"contact_id": contact.pk})
    assert cast.login("program_admin_2").post(done).status_code == 302
    assert PartnerContact.objects.get(pk=contact.pk).next_step_done_at is not None
    assert {cast.program_admin.email, cast.program_admin_2.email} <= set(next_step_recipients(cast.partner_y))
    assert cast.program_admin_2.email not in next_step_recipients(cast.partner_x)


# --- what a program tells its people -----------------------------------------------------


def test_you_said_we_did_tells_each_program_its_own_changes(cast, second):
    from buyin.services.suggestions import change_made_publish

    on = date(2026, 1, 5)
    change_made_publish(actor=cast.program_admin, topic="form", what="One field fewer.", changed_on=on)
    change_made_publish(actor=cast.program_admin_2, topic="form", what="A second van.", changed_on=on)
    assert ChangeMade.objects.get(what="A second van.").program == cast.program_2
    mine = {row["what"] for row in you_said_we_did(programs=programs_of(cast.officer_a1))}
    theirs = {row["what"] for row in you_said_we_did(programs=programs_of(second.officer_c))}
    assert mine == {"One field fewer."} and theirs == {"A second van."}
    page = cast.login("officer_b").get(reverse("buyin:you_said_we_did")).content.decode()
    assert "One field fewer." in page and "A second van." not in page


def test_each_programs_administrator_triages_only_its_peoples_suggestions(cast, second):
    SuggestionFactory(author=cast.officer_a1, text="From the first program.")
    page_1 = cast.login("program_admin").get(reverse("buyin:suggestion_triage")).content.decode()
    page_2 = cast.login("program_admin_2").get(reverse("buyin:suggestion_triage")).content.decode()
    assert "From the first program." in page_1 and second.suggestion.text not in page_1
    assert second.suggestion.text in page_2 and "From the first program." not in page_2


def test_a_case_manager_of_a_partner_serving_two_programs_belongs_to_both(cast):
    cast.partner_y.agencies.add(cast.agency_c)
    assert set(programs_of(cast.case_manager_y)) == {cast.program_1, cast.program_2}
    assert set(programs_of(cast.case_manager_x)) == {cast.program_1}
    assert set(programs_of(cast.admin)) == set(Program.objects.all())


def test_the_second_programs_coordinator_signs_in_to_its_program_view(cast):
    client = cast.login(None)
    assert client.login(username="coordinator_2", password=PASSWORD)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("reports:program")
