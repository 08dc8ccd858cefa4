"""Who may use which page, for the whole cast: the access table.

Every URL of the app is in EXPECTED: a page added without deciding who may use it
fails test_every_url_is_in_the_access_table. What each one sees on the pages they may use
is in test_what_each_role_sees.py.
"""

from __future__ import annotations

import json
import uuid
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from api.models import IntegrationClient, WebhookSubscription
from api.webhooks.services import webhook_subscribe
from buyin.models import (
    Champion,
    Commendation,
    PulseAnswer,
    PulseParticipation,
    PulseSurvey,
    RecognitionKind,
    TrainingAttendance,
    TrainingSession,
)
from deflection.models import User
from partners.forms import checked
from partners.models import PartnerContact, PartnerTierChange, ServicePartner
from referrals import services
from referrals.models import ChargeNotice, HeldCharge, Pathway, PossibleDuplicate, Referral
from reports.models import Digest
from tests.conftest import MEMBERS, Cast, changed_as_meant, kept_for_the_module, make_cast, referral_state
from tests.factories.api import integration_client
from tests.factories.buyin import (
    SUGGESTION_CHANGES,
    ChampionFactory,
    CommendationFactory,
    TrainingAttendanceFactory,
    TrainingSessionFactory,
    answered_suggestions,
    pulse_wave,
    suggestions_state,
)
from tests.factories.buyin import suggestion_to_answer as _suggestion
from tests.factories.partners import PartnerContactFactory
from tests.factories.referrals import (
    JusticeAgencyFactory,
    OfficerFactory,
    accepted_referral,
    consent_given,
    criminal_justice_consent_given,
    flagged_deflection,
    held_charge_on,
    sent_from_the_phone,
)

pytestmark = pytest.mark.django_db

CAST = [None, *MEMBERS]
OFFICERS = {"officer_a1", "officer_a2", "officer_b", "supervisor_a"}
EVERYONE = {who for who in CAST if who is not None}
# The first program's administration: the role decides, with or without the superuser flag
# (`admin`, a superuser, sees every program).
ADMINS = {"admin", "program_admin"}
# With the second program's administrator: a page about no particular row opens on their own
# program (its agency, partners, people); a row of the first program answers them 404.
ADMINS_ANY = {*ADMINS, "program_admin_2"}
# Regional coordinators: the program view, and what everyone signed in has.
COORDINATORS = {"coordinator", "coordinator_2"}
OK, DONE, NOT_FOUND, LOGIN = 200, 302, 404, "login"
# A deflection sent from the phone: saved, and said so in JSON (not a redirect).
SAVED = 201


def _expect(allowed: set[str], code: int = OK) -> dict:
    return {who: (code if who in allowed else LOGIN if who is None else NOT_FOUND) for who in CAST}


CASEWORK = {"case_manager_y", *ADMINS}
# Today where the cast's agencies are (a check-in may not be dated after it).
PHOENIX_TODAY = timezone.now().astimezone(zoneinfo.ZoneInfo("America/Phoenix")).date().isoformat()
PULSE_ASKED = {"officer_a1", "officer_a2", "supervisor_a", "case_manager_y"}
# A partner directory of one new partner, in Open Referral HSDS: uploaded to be checked (a dry
# run: nothing changes), then sent back checked to be imported (the partner is created).
NEW_DIRECTORY = {
    "contents": [
        {
            "id": "4b7d3a52-9c1e-4f0a-8d7e-2a6b5c4d3e2f",
            "name": "Saguaro Sobering Center",
            "description": "Sobering and recovery support, day and night.",
        }
    ]
}


def _directory_upload(cast) -> dict:
    return {"file": SimpleUploadedFile("directory.json", json.dumps(NEW_DIRECTORY).encode(), "application/json")}


# The referral under test: logged by officer_a1 (unit MHST of agency A), routed to partner Y,
# accepted by partner Y's case manager, with a consent on file.
# name: (method, data to send (or a function of the cast giving it), expected answer for each member of the cast)
EXPECTED = {
    # The probes of compose and the proxy: anyone, signed in or not (they show no data).
    "healthz": ("get", None, {who: OK for who in CAST}),
    "readyz": ("get", None, {who: OK for who in CAST}),
    "referrals:log": ("get", None, _expect(OFFICERS)),
    "referrals:client_search": ("post", {"search": "x"}, _expect(OFFICERS)),
    # Logging with no signal: the log form the phone keeps, and what it sends once it can
    # (partner Y serves both agencies).
    "referrals:log_offline": ("get", None, _expect(OFFICERS)),
    "referrals:log_send": ("post", lambda cast: sent_from_the_phone(cast.partner_y), _expect(OFFICERS, SAVED)),
    # Same person? Each officer sees their own questions; only officer_a1, who logged the
    # deflection under test's possible duplicate, may answer it.
    "referrals:possible_duplicates": ("get", None, _expect(OFFICERS)),
    "referrals:possible_duplicate_answer": ("post", {"different": "on"}, _expect({"officer_a1"}, DONE)),
    # The installable app: the same for everyone, signed in or not (browsers fetch the
    # manifest without cookies).
    "manifest": ("get", None, _expect(set(CAST))),
    "service_worker": ("get", None, _expect(set(CAST))),
    "referrals:mine": ("get", None, _expect(OFFICERS)),
    "referrals:queue": ("get", None, _expect({"case_manager_x", "case_manager_y"})),
    "referrals:detail": ("get", None, _expect({"officer_a1", "supervisor_a", "case_manager_y", *ADMINS})),
    "referrals:client": ("get", None, _expect({"officer_a1", "supervisor_a", "case_manager_y", *ADMINS})),
    "referrals:act": ("post", {"hold-note": ""}, _expect(CASEWORK, DONE)),
    "referrals:follow_up_add": (
        "post",
        {"kind": "contact_attempt", "due_at": "2099-01-01T10:00"},
        _expect(CASEWORK, DONE),
    ),
    "referrals:follow_up_done": ("post", {"outcome": "engaged"}, _expect(CASEWORK, DONE)),
    # The referring officer records consent only at the scene (while requested); this one is accepted.
    "referrals:consent_new": ("get", None, _expect(CASEWORK)),
    "referrals:consent_pdf": ("get", None, _expect(CASEWORK)),
    "referrals:consent_revoke": ("post", {"note": "by phone"}, _expect(CASEWORK, DONE)),
    # A charge held on officer A1's intervention deflection to partner Y (its condition met):
    # casework records the condition met and the criminal-justice consent, and prints the
    # notice to the prosecutor's office; the officer who wrote it (or program administration)
    # withdraws it; their sergeant sees it and does neither.
    "referrals:charge_satisfy": ("post", {}, _expect(CASEWORK, DONE)),
    "referrals:charge_withdraw": ("post", {"note": "Entered in error"}, _expect({"officer_a1", *ADMINS}, DONE)),
    "referrals:consent_new_criminal_justice": ("get", None, _expect(CASEWORK)),
    "referrals:consent_pdf_criminal_justice": ("get", None, _expect(CASEWORK)),
    "referrals:charge_notice_pdf": ("get", None, _expect(CASEWORK)),
    # A check-in with the person referred: the referring officer only, not their sergeant.
    "referrals:check_in_add": (
        "post",
        {"on": PHOENIX_TODAY, "kind": "doing_well", "where": "Library steps"},
        _expect({"officer_a1"}, DONE),
    ),
    "reports:command_home": ("get", None, _expect({"command_a"})),
    "reports:dashboard": ("get", None, _expect({"command_a", "supervisor_a", *ADMINS_ANY})),
    "reports:process": ("get", None, _expect({"command_a", "supervisor_a", *ADMINS_ANY})),
    # Every agency of a program beside the others: its coordinators and administration.
    "reports:program": ("get", None, _expect({*COORDINATORS, *ADMINS_ANY})),
    "reports:program_digest": ("get", None, _expect({*COORDINATORS, *ADMINS_ANY})),
    "reports:my_record": ("get", None, _expect(OFFICERS)),
    "reports:wins": ("get", None, _expect(OFFICERS)),
    # Only in the embedded demo (DEMO_MODE); tests run as a real deployment.
    "demo_outbox": ("get", None, _expect(set())),
    "reports:digest_preview": ("get", None, _expect({"command_a", *ADMINS_ANY})),
    "reports:digest_send": ("post", {}, _expect(ADMINS_ANY, DONE)),
    # A unit's roll-call briefing: its supervisors, its agency's command staff, program admins.
    "reports:briefing": ("get", None, _expect({"supervisor_a", "command_a", *ADMINS_ANY})),
    "reports:briefing_pdf": ("get", None, _expect({"supervisor_a", "command_a", *ADMINS_ANY})),
    "reports:story_new": ("get", None, _expect({"officer_a1", "case_manager_y", *ADMINS})),
    "reports:export": ("get", None, _expect({"command_a", *ADMINS_ANY})),
    "reports:codebook": ("get", None, _expect({"command_a", *ADMINS_ANY})),
    # Partners' relationships: program administration keeps them; command staff read those
    # of the partners serving their agency (partner Y serves agency A).
    "partners:list": ("get", None, _expect({"command_a", *ADMINS_ANY})),
    "reports:partner": ("get", None, _expect({"command_a", *ADMINS})),
    "partners:contact_add": (
        "post",
        {"contact_on": "2020-01-02", "kind": "call", "what": "Checked in."},
        _expect(ADMINS, DONE),
    ),
    "partners:tier_change": ("post", {"tier": "wait_and_see", "reason": "Short of staff."}, _expect(ADMINS, DONE)),
    "partners:next_step_done": ("post", {}, _expect(ADMINS, DONE)),
    # The partner directory (Open Referral HSDS): program administration exchanges it.
    "partners:directory": ("get", None, _expect(ADMINS_ANY)),
    "partners:directory_download": ("get", None, _expect(ADMINS_ANY)),
    "partners:directory_check": ("post", _directory_upload, _expect(ADMINS_ANY)),
    "partners:directory_import": ("post", lambda cast: checked(NEW_DIRECTORY), _expect(ADMINS_ANY, DONE)),
    # The question after a deflection: only the officer who logged it, right after logging.
    "buyin:feedback_answer": ("post", {"ease": "easier"}, _expect({"officer_a1"}, DONE)),
    # Officers' sentences: program administration only, never who wrote them.
    "buyin:feedback_comments": ("get", None, _expect(ADMINS_ANY)),
    # Each signed-in user's own sign-in settings.
    "password_change": ("get", None, _expect(EVERYONE)),
    "two_factor": ("get", None, _expect(EVERYONE)),
    "language": ("post", {"language": "es"}, _expect(EVERYONE, DONE)),
    # Nothing to verify for a session that owes no code: on to the user's home.
    "two_factor_verify": ("get", None, _expect(EVERYONE, DONE)),
    "two_factor_remove": ("post", {}, _expect(EVERYONE, DONE)),
    # Training and champions: the agency's command staff and program administration.
    "buyin:training": ("get", None, _expect({"command_a", *ADMINS_ANY})),
    "buyin:training_new": (
        "post",
        {"held_on": "2026-01-05", "topic": "naloxone", "trainer": "Lt. Ruiz", "executive_staff_attended": "on"},
        _expect({"command_a", *ADMINS_ANY}, DONE),
    ),
    # Nobody ticked: the one who attended is taken off.
    "buyin:training_attendance": ("post", {}, _expect({"command_a", *ADMINS}, DONE)),
    "buyin:champions": ("get", None, _expect({"command_a", *ADMINS_ANY})),
    "buyin:champion_end": ("post", {"until": date.today().isoformat()}, _expect({"command_a", *ADMINS}, DONE)),
    # Pulse surveys: the open wave asks unit MHST and partner Y's staff.
    "buyin:pulse_list": ("get", None, _expect({"command_a", *ADMINS_ANY})),
    "buyin:pulse_new": ("get", None, _expect(ADMINS_ANY)),
    "buyin:pulse_answer": ("post", {"s0": "4", "s1": "5"}, _expect(PULSE_ASKED, DONE)),
    "buyin:pulse_results": ("get", None, _expect({"command_a", *ADMINS})),
    # Recognition: officer_a1 commended by their sergeant for the referral under test.
    "buyin:commend": ("get", None, _expect({"supervisor_a", "command_a", *ADMINS_ANY})),
    "buyin:commendation_naming": ("post", {"may_name": "yes"}, _expect({"officer_a1"}, DONE)),
    "buyin:commendation_letter": ("get", None, _expect({"officer_a1", "supervisor_a", "command_a", *ADMINS})),
    "buyin:recognition_kinds": ("get", None, _expect({"command_a", *ADMINS_ANY})),
    "buyin:recognition_kind_offer": ("post", {"offered": "no"}, _expect({"command_a", *ADMINS}, DONE)),
    # Suggestions: anyone sends one and reads the answers; program administration answers them.
    "buyin:suggestion_new": ("post", {"topic": "form", "text": "Fewer taps, please."}, _expect(EVERYONE, DONE)),
    "buyin:suggestions_mine": ("get", None, _expect(EVERYONE)),
    "buyin:suggestions_mark_read": ("post", {}, _expect(EVERYONE, DONE)),
    "buyin:you_said_we_did": ("get", None, _expect(EVERYONE)),
    "buyin:suggestion_triage": ("get", None, _expect(ADMINS_ANY)),
    "buyin:suggestion_detail": ("get", None, _expect(ADMINS)),
    "buyin:suggestion_act": ("post", {"review-note": ""}, _expect(ADMINS, DONE)),
    "buyin:change_new": (
        "post",
        {"topic": "form", "what": "The form lost a field.", "changed_on": "2025-01-06"},
        _expect(ADMINS_ANY, DONE),
    ),
    # Integration clients: program administration makes and revokes them (creating one is
    # tested in test_api_clients: its answer is the page showing the token, once).
    "integrations:list": ("get", None, _expect(ADMINS_ANY)),
    "integrations:new": ("get", None, _expect(ADMINS_ANY)),
    "integrations:revoke": ("post", {"confirm": "yes"}, _expect(ADMINS, DONE)),
    # A partner's system's webhook: program administration sets it (its answer is the page
    # showing the secret, once: tested in test_webhooks), watches its deliveries, removes it.
    "webhooks:edit": ("get", None, _expect(ADMINS)),
    "webhooks:subscribe": (
        "post",
        lambda cast: {"url": "https://8.8.8.8/hooks", "form_key": str(uuid.uuid4())},
        _expect(ADMINS),
    ),
    "webhooks:remove": ("post", {}, _expect(ADMINS, DONE)),
}
# What each action in the table changes when it is allowed (a DONE answer): a casework form
# of test_offered_equals_allowed, or the digest sent. Refused, or a page shown, nothing changes.
CHANGES = {
    "referrals:act": "act:hold",
    "referrals:follow_up_add": "follow_up_add",
    "referrals:follow_up_done": "follow_up_done",
    "referrals:consent_revoke": "consent_revoke",
    "referrals:check_in_add": "check_in",
    "referrals:charge_satisfy": "charges_satisfied",
    "referrals:charge_withdraw": "charges_withdrawn",
    "reports:digest_send": "digest_send",
    "partners:contact_add": "partner_contacts",
    "partners:tier_change": "partner_tier_changes",
    "partners:next_step_done": "partner_next_steps_done",
    "partners:directory_import": "partner_directory",
    "buyin:feedback_answer": "feedback",
    # Nobody in the cast has two-factor sign-in on: nothing to verify, nothing to turn off
    # (test_signin_two_factor turns it on and off).
    "two_factor_verify": None,
    "two_factor_remove": None,
    "language": "languages_chosen",
    "buyin:training_new": "training_sessions",
    "buyin:training_attendance": "attendance_removed",
    "buyin:champion_end": "champions_ended",
    "buyin:pulse_answer": "pulse_answer",
    "buyin:commendation_naming": "named",
    "buyin:recognition_kind_offer": "kind_retired",
    "buyin:suggestion_new": "suggestions",
    "buyin:suggestions_mark_read": "suggestions_read",
    "buyin:suggestion_act": "suggestion_state",
    "buyin:change_new": "changes_made",
    "integrations:revoke": "integration_revoked",
    "webhooks:remove": "webhook_removed",
    "referrals:log_send": "deflections",
    "referrals:possible_duplicate_answer": "duplicates_answered",
}
# Pages outside the app's own views, checked separately below.
OTHER_URLS = {"home", "login", "logout"}
# The API's URLs have a table of their own, with the integration clients in its cast
# (tests/test_api_access.py, which checks that each of them is in it); so do FHIR's
# (tests/test_fhir_access.py).
API_NAMESPACE = "api:"
FHIR_NAMESPACE = "fhir:"


def _referral(cast: Cast) -> Referral:
    answered_suggestions(cast)  # one for each member of the cast, to read; one new, to answer
    referral = accepted_referral(cast)
    consent_given(referral, cast.case_manager_y, purpose="Outcome to the officer", signature_name="Client Signature")
    # A contact with the referral's partner, its next step open: for the relationship's pages.
    PartnerContactFactory(partner=referral.partner, next_step="Call back")
    return referral


@dataclass
class Rows:
    """Besides the referral, the rows that the buy-in pages of the table are about, and the
    held charges: one held (its condition met), one decided and told under consent."""

    session: TrainingSession
    champion: Champion
    wave: PulseSurvey
    commendation: Commendation
    integration: IntegrationClient
    charge: HeldCharge
    notice: ChargeNotice
    flag: PossibleDuplicate


def _rows(cast: Cast, referral: Referral) -> Rows:
    """A training session of agency A that officer_a1 attended, a current champion of its unit,
    an open pulse survey wave asking unit MHST and partner Y's staff, and officer_a1
    commended by their sergeant for the referral under test; a deflection officer_a1 sent from
    the phone for someone who may be known, its question open."""
    session = TrainingSessionFactory(agency=cast.agency_a)
    TrainingAttendanceFactory(session=session, officer=OfficerFactory(user=cast.officer_a1))
    attorney = JusticeAgencyFactory(name="County Attorney", agencies=[cast.agency_a])
    charges = []
    for _told in range(2):
        charge = held_charge_on(accepted_referral(cast, pathway=Pathway.OFFICER_INTERVENTION), attorney)
        services.referral_record_intake(referral_id=charge.referral_id, actor=cast.case_manager_y)
        charges.append(charge)
    criminal_justice_consent_given(charges[1].referral, cast.case_manager_y)
    services.held_charge_satisfy(charge_id=charges[1].pk, actor=cast.case_manager_y)
    return Rows(
        session=session,
        champion=ChampionFactory(unit=cast.unit_a, user=cast.supervisor_a),
        wave=pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a], partners=[cast.partner_y]),
        commendation=CommendationFactory(officer=cast.officer_a1, commended_by=cast.supervisor_a, referral=referral),
        integration=_with_webhook(cast, integration_client(cast, partner=cast.partner_y)[0]),
        charge=charges[0],
        notice=ChargeNotice.objects.get(held_charge=charges[1]),
        flag=flagged_deflection(cast),
    )


def _with_webhook(cast, client: IntegrationClient) -> IntegrationClient:
    """The partner's system, its webhook set (to a public address: none is sent in these tests)."""
    webhook_subscribe(actor=cast.program_admin, client_id=client.pk, url="https://8.8.8.8/hooks")
    return client


@dataclass
class World:
    cast: Cast
    referral: Referral
    rows: Rows


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """The cast, the referral under test and the rows the other pages are about, made once for
    the table's thousand tests: each test's request, and what it changes, is rolled back."""

    def build() -> World:
        cast = make_cast()
        referral = _referral(cast)
        return World(cast=cast, referral=referral, rows=_rows(cast, referral))

    with kept_for_the_module(django_db_blocker, build) as made:
        yield made


def _url(name: str, referral: Referral, rows: Rows) -> str:
    """The URL of `name` for the referral under test and the other rows its page is about."""
    kwargs = {
        "buyin:training_attendance": {"session_id": rows.session.pk},
        "buyin:champion_end": {"champion_id": rows.champion.pk},
        "buyin:pulse_answer": {"survey_id": rows.wave.pk},
        "buyin:pulse_results": {"survey_id": rows.wave.pk},
        "referrals:detail": {"referral_id": referral.pk},
        "referrals:client": {"client_id": referral.client_id},
        "referrals:act": {"referral_id": referral.pk, "action": "hold"},
        "referrals:follow_up_add": {"referral_id": referral.pk},
        "referrals:follow_up_done": {"follow_up_id": referral.follow_ups.get().pk},
        "referrals:consent_new": {"referral_id": referral.pk},
        "referrals:consent_pdf": {"referral_id": referral.pk},
        "referrals:consent_revoke": {"consent_id": referral.consents.get().pk},
        "referrals:check_in_add": {"referral_id": referral.pk},
        "referrals:charge_satisfy": {"charge_id": rows.charge.pk},
        "referrals:charge_withdraw": {"charge_id": rows.charge.pk},
        "referrals:consent_new_criminal_justice": {"referral_id": rows.charge.referral_id},
        "referrals:consent_pdf_criminal_justice": {"referral_id": rows.charge.referral_id},
        "referrals:charge_notice_pdf": {"notice_id": rows.notice.pk},
        "reports:story_new": {"referral_id": referral.pk},
        "buyin:suggestion_detail": {"suggestion_id": _suggestion().pk},
        "buyin:suggestion_act": {"suggestion_id": _suggestion().pk, "action": "review"},
        "reports:partner": {"partner_id": referral.partner_id},
        "partners:contact_add": {"partner_id": referral.partner_id},
        "partners:tier_change": {"partner_id": referral.partner_id},
        "partners:next_step_done": {"contact_id": PartnerContact.objects.get(partner=referral.partner_id).pk},
        "buyin:feedback_answer": {"referral_id": referral.pk},
        "buyin:commendation_naming": {"commendation_id": rows.commendation.pk},
        "buyin:commendation_letter": {"commendation_id": rows.commendation.pk},
        "buyin:recognition_kind_offer": {"kind_id": rows.commendation.kind_id},
        "integrations:revoke": {"client_id": rows.integration.pk},
        "webhooks:edit": {"client_id": rows.integration.pk},
        "webhooks:subscribe": {"client_id": rows.integration.pk},
        "webhooks:remove": {"client_id": rows.integration.pk},
        "referrals:possible_duplicate_answer": {"flag_id": rows.flag.pk},
    }.get(name, {})
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("who", CAST, ids=lambda w: w or "anonymous")
def test_each_page_answers_each_member_of_the_cast_as_decided(world, name, who):
    cast, referral, rows = world.cast, world.referral, world.rows
    method, data, expected = EXPECTED[name]
    client = cast.login(who)
    url = _url(name, referral, rows)
    before = _state(referral)
    # A function of the cast: data made for this request (an upload is read once: a new one each time).
    response = getattr(client, method)(url, data(cast) if callable(data) else data)
    after = _state(referral)
    want = expected[who]
    if want == LOGIN:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif want == SAVED:
        assert response.status_code == SAVED
        assert _made(CHANGES[name], before, after), f"{who} was allowed {name}, yet nothing changed"
        return
    elif want == DONE:
        # The user is sent back to the page they came from...
        assert response.status_code == 302 and "/accounts/login/" not in response["Location"]
        # ... with the change made (some views redirect when they refuse, too).
        if CHANGES[name] is not None:
            assert _made(CHANGES[name], before, after), f"{who} was allowed {name}, yet nothing changed"
            return
    else:
        assert response.status_code == want
    assert after == before, f"{who} got {want} from {name}, yet something changed"


def _state(referral: Referral) -> dict:
    return {
        **referral_state(referral),
        "digests_sent": Digest.objects.filter(sent_at__isnull=False).count(),
        **suggestions_state(),
        "partner_contacts": PartnerContact.objects.count(),
        "partner_next_steps_done": PartnerContact.objects.filter(next_step_done_at__isnull=False).count(),
        "partner_tier_changes": PartnerTierChange.objects.count(),
        "partner_directory": ServicePartner.objects.count(),
        "training_sessions": TrainingSession.objects.count(),
        "attendance": TrainingAttendance.objects.count(),
        "champions_ended": Champion.objects.filter(until__isnull=False).count(),
        "pulse_answers": PulseAnswer.objects.count(),
        "pulse_answered": PulseParticipation.objects.filter(answered=True).count(),
        "commendations": Commendation.objects.count(),
        "named": Commendation.objects.filter(may_name=True).count(),
        "kinds": RecognitionKind.objects.count(),
        "kinds_offered": RecognitionKind.objects.filter(is_active=True).count(),
        "integration_revoked": IntegrationClient.objects.filter(revoked_at__isnull=False).count(),
        "webhook_removed": WebhookSubscription.objects.filter(is_active=False).count(),
        "charges_satisfied": HeldCharge.objects.filter(state=HeldCharge.State.SATISFIED).count(),
        "charges_withdrawn": HeldCharge.objects.filter(state=HeldCharge.State.WITHDRAWN).count(),
        "deflections": Referral.objects.count(),
        "duplicates_answered": PossibleDuplicate.objects.exclude(decision="").count(),
        "languages_chosen": User.objects.filter(language="es").count(),
    }


def _made(change: str, before: dict, after: dict) -> bool:
    if change == "digest_send":
        return after["digests_sent"] == before["digests_sent"] + 1
    if change in SUGGESTION_CHANGES:
        return after[change] != before[change]
    if change == "attendance_removed":
        return after["attendance"] == before["attendance"] - 1
    if change.startswith(("partner_", "charges_")) or change in (
        "training_sessions",
        "champions_ended",
        "deflections",
        "duplicates_answered",
        "languages_chosen",
    ):
        return after[change] == before[change] + 1
    if change == "pulse_answer":
        return after["pulse_answers"] == before["pulse_answers"] + 1 == after["pulse_answered"]
    if change == "named":
        return after["named"] == before["named"] + 1
    if change in ("integration_revoked", "webhook_removed"):
        return after[change] == before[change] + 1
    if change == "kind_retired":
        return after["kinds_offered"] == before["kinds_offered"] - 1
    return changed_as_meant(change, before, after)


def test_every_action_in_the_table_says_what_it_changes():
    actions = {name for name, (_method, _data, expected) in EXPECTED.items() if {DONE, SAVED} & set(expected.values())}
    assert actions == set(CHANGES)


def url_names() -> set[str]:
    """Every named URL of the app (nested namespaces joined: api:v1:me), the admin's aside."""
    return set(_names(get_resolver().url_patterns))


def _names(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                continue
            yield from _names(p.url_patterns, f"{prefix}{p.namespace}:" if p.namespace else prefix)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{prefix}{p.name}"


def test_every_url_is_in_the_access_table():
    names = {name for name in url_names() if not name.startswith((API_NAMESPACE, FHIR_NAMESPACE))}
    assert names - set(EXPECTED) - OTHER_URLS == set()
