"""The notes the program writes in a referral's history (referrals/event_notes.py) read in the
reader's language, whatever the language of the person whose action wrote them; a note a
person typed reads as they typed it."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone, translation

from deflection import l10n
from referrals import services
from referrals.event_notes import NOTES, note, said
from referrals.models import CaseEvent, Consent, FollowUp, HeldCharge, OfficerContact, Referral
from tests.factories.core import PASSWORD, UserFactory
from tests.factories.referrals import accepted_referral, another_deflection_form, consent_given
from tests.test_held_charges import _charge_fields, _log_form
from tests.test_log_deflection import _form

pytestmark = pytest.mark.django_db


@pytest.fixture
def lucia(cast):
    """A second case manager at partner Y, who reads Spanish."""
    return UserFactory(
        username="cm_y_es",
        first_name="Lucía",
        last_name="Quintanar",
        role="case_manager",
        partner=cast.partner_y,
        agency=None,
        badge_number="",
        language="es",
    )


def _signed_in(user) -> HttpClient:
    client = HttpClient()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _reads_spanish(user) -> None:
    user.language = "es"
    user.save(update_fields=["language"])


def _history(client: HttpClient, referral: Referral) -> str:
    """The text of the referral's History, as the signed-in reader sees it."""
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    section = page.split('id="history-h"', 1)[1].split("</section>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())


def _in(language: str, say) -> str:
    with translation.override(language):
        return str(say())


def test_a_charge_held_by_an_officer_reading_spanish_reads_in_each_readers_language(cast, attorney, lucia):
    _reads_spanish(cast.officer_a1)
    assert cast.login("officer_a1").post("/log/", _log_form(cast, **_charge_fields(attorney))).status_code == 302
    charge = HeldCharge.objects.get()
    english = f"Reach intake by {_in('en', lambda: l10n.day(charge.deadline))}"
    spanish = f"Llegar a la admisión para el {_in('es', lambda: l10n.day(charge.deadline))}"

    in_english = _history(cast.login("case_manager_y"), charge.referral)
    assert f"Held charge: Held: {english}" in in_english and "Llegar" not in in_english
    in_spanish = _history(_signed_in(lucia), charge.referral)
    assert spanish in in_spanish and "Reach intake" not in in_spanish


def test_the_stored_note_is_in_the_sites_language_whoever_wrote_it(cast, attorney):
    _reads_spanish(cast.officer_a1)
    cast.login("officer_a1").post("/log/", _log_form(cast, **_charge_fields(attorney)))
    charge = HeldCharge.objects.get()
    event = CaseEvent.objects.get(referral=charge.referral, kind=CaseEvent.Kind.HELD_CHARGE)
    # What the admin and any reader of the table without the keys have; the date kept as ISO.
    assert event.note == f"Reach intake by {_in('en', lambda: l10n.day(charge.deadline))}"
    assert (event.note_key, event.note_params) == (
        "charge_held",
        {"condition": "intake", "engaged_days": None, "deadline": charge.deadline.isoformat()},
    )


def test_seen_again_by_an_officer_reading_spanish_reads_in_english_to_an_english_case_manager(cast, lucia):
    cast.login("officer_a1").post("/log/", _form(cast))
    first = Referral.objects.get()
    _reads_spanish(cast.officer_a2)
    assert cast.login("officer_a2").post("/log/", another_deflection_form(first, cast.partner_y)).status_code == 302
    contact = OfficerContact.objects.get()
    name = contact.officer.display_name
    english = f"Seen again by {name} on {_in('en', lambda: l10n.month_day(contact.occurred_at))}"
    spanish = f"Visto de nuevo por {name} el {_in('es', lambda: l10n.month_day(contact.occurred_at))}"

    in_english = _history(cast.login("case_manager_y"), first)
    assert f"Seen again by an officer: {english}" in in_english and "Visto de nuevo" not in in_english
    assert spanish in _history(_signed_in(lucia), first)


def test_a_follow_up_scheduled_in_spanish_reads_in_english_and_back(cast, lucia):
    referral = accepted_referral(cast)
    due = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = _signed_in(lucia).post(
        f"/referrals/{referral.pk}/follow-ups/", {"kind": "contact_attempt", "due_at": due}
    )
    assert response.status_code == 302

    in_english = _history(cast.login("case_manager_y"), referral)
    assert "Follow-up: Contact attempt scheduled" in in_english and "programado" not in in_english
    assert "Seguimiento: Intento de contacto programado" in _history(_signed_in(lucia), referral)


def test_a_follow_up_done_and_a_consent_recorded_in_english_read_in_spanish(cast, lucia):
    referral = accepted_referral(cast)
    consent_given(referral, cast.case_manager_y)
    check = referral.follow_ups.get(kind=FollowUp.Kind.CHECK_72H)
    services.follow_up_complete(follow_up_id=check.pk, actor=cast.case_manager_y, outcome="engaged")
    scope_es = _in("es", lambda: Consent.Scope.STATUS_OUTCOMES.label)

    in_spanish = _history(_signed_in(lucia), referral)
    assert f"Consentimiento: registrado ({scope_es})" in in_spanish
    assert "Contactado y participando" in in_spanish
    assert "recorded (" not in in_spanish and "Reached and engaged" not in in_spanish
    in_english = _history(cast.login("case_manager_y"), referral)
    assert f"Consent: recorded ({Consent.Scope.STATUS_OUTCOMES.label})" in in_english
    assert "Reached and engaged" in in_english


def test_what_a_person_typed_reads_as_they_typed_it(cast, attorney, lucia):
    referral = accepted_referral(cast)
    _signed_in(lucia).post(f"/referrals/{referral.pk}/act/hold/", {"hold-note": "Está en el hospital."})
    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.ON_HOLD
    assert "Está en el hospital." in _history(cast.login("case_manager_y"), referral)
    # An event written before the keys: its text, whatever the reader's language.
    CaseEvent.objects.create(referral=referral, kind=CaseEvent.Kind.CONSENT, note="recorded (Full record)")
    assert "recorded (Full record)" in _history(_signed_in(lucia), referral)


def test_a_note_this_version_cannot_say_falls_back_to_what_was_stored(cast):
    referral = accepted_referral(cast)
    unknown = CaseEvent(referral=referral, kind=CaseEvent.Kind.NOTE, note="as written", note_key="gone_since")
    unreadable = CaseEvent(
        referral=referral, kind=CaseEvent.Kind.FOLLOW_UP, note="as written", note_key="follow_up_done"
    )
    unreadable.note_params = {"outcome": "no_longer_an_outcome"}
    assert unknown.note_text == unreadable.note_text == "as written"


def test_a_note_the_messages_cannot_take_fails_its_write():
    with pytest.raises(KeyError):
        note("no_such_note")
    with pytest.raises(TypeError):
        note("follow_up_scheduled", kind="contact_attempt", extra="value")


# One example of each note's values: a new key comes with its example, or this fails.
EXAMPLES = {
    "seen_again": {"officer": "Ofc. Rivera", "at": datetime(2026, 12, 6, 20, 5, tzinfo=UTC)},
    "client_merged": {"old": 12, "new": 7},
    "follow_up_scheduled": {"kind": FollowUp.Kind.RETENTION_30},
    "follow_up_done": {"outcome": FollowUp.Outcome.NO_CONTACT},
    "charge_held": {"condition": "engaged_days", "engaged_days": 30, "deadline": date(2026, 12, 27)},
    "charge_decided_by_the_check": {},
    "consent_recorded": {"scope": Consent.Scope.FULL_RECORD},
    "justice_consent_recorded": {"court": "Pima Valley County Attorney"},
    "consent_revoked": {},
    "consent_revocation_asked": {},
    "consent_revocation_took_effect": {},
}


def test_every_note_has_an_example():
    assert set(EXAMPLES) == set(NOTES)


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_every_note_reads_in_spanish_and_in_english(key):
    with translation.override("es"):
        written = note(key, **EXAMPLES[key])
    english = _in("en", lambda: said(written["note_key"], written["note_params"], stored=""))
    spanish = _in("es", lambda: said(written["note_key"], written["note_params"], stored=""))
    assert english == written["note"] and english != spanish and spanish
