"""What is told of a held charge, and to whom: the prosecutor's office only under a
criminal-justice consent (42 CFR §2.35), which cannot be revoked before the charge is decided,
each disclosure in the client's accounting; police only as the client's consent to their
agency allows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from deflection import l10n
from deflection.models import AccessEvent
from referrals import services
from referrals.charge_notices import NOTICE_EMAILED, NOTICE_LETTER, charge_notice_letter_document
from referrals.charge_reminders import held_charges_sweep
from referrals.disclosures import accounting_for_client
from referrals.models import ChargeNotice, Consent, HeldCharge, Pathway
from tests.conftest import has_word
from tests.factories.referrals import (
    OfficerFactory,
    ReferralFactory,
    accepted_referral,
    consent_given,
    criminal_justice_consent_given,
    held_charge_on,
    intake_recorded,
    intervention_charge,
)

pytestmark = pytest.mark.django_db
PHOENIX = ZoneInfo("America/Phoenix")
UTC = ZoneInfo("UTC")
H = HeldCharge.State


# -- what the prosecutor's office is told ------------------------------------------------------


def _satisfied_with_consent(cast, attorney, django_capture_on_commit_callbacks) -> HeldCharge:
    charge = intervention_charge(cast, attorney)
    intake_recorded(charge, cast)
    criminal_justice_consent_given(charge.referral, cast.case_manager_y)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.held_charge_satisfy(charge_id=charge.pk, actor=cast.case_manager_y)
    return charge


def test_with_the_consent_the_office_is_emailed_the_case_number_the_decision_and_the_date(
    cast, attorney, django_capture_on_commit_callbacks
):
    charge = _satisfied_with_consent(cast, attorney, django_capture_on_commit_callbacks)
    notice = ChargeNotice.objects.get()
    assert (notice.recipient, notice.state, notice.consent.kind) == (
        attorney,
        H.SATISFIED,
        Consent.Kind.CRIMINAL_JUSTICE,
    )
    assert notice.emailed_at is not None and notice.email_to == attorney.contact_email
    [message] = mail.outbox
    assert message.to == [attorney.contact_email]
    assert charge.case_number in message.subject and "was met" in message.body
    assert notice.decided_on.isoformat() in message.body
    # The redisclosure notice (§2.32) and the limit on its use (§2.35(d)).
    assert "42 CFR part 2" in message.body and "official duties" in message.body
    client = charge.referral.client
    for secret in (client.first_name, client.last_name, str(client.date_of_birth), charge.description):
        assert not has_word(message.subject + message.body, secret)
    # On the access record (sent by the program), and in the client's accounting of disclosures.
    event = AccessEvent.objects.get(what=NOTICE_EMAILED)
    assert (event.user, event.action, event.referral_id) == (None, AccessEvent.Action.NOTIFIED, charge.referral_id)
    [row] = [d for d in accounting_for_client(client) if d.organization == attorney.name]
    assert row.consent == notice.consent and "§2.35" in row.basis and row.recipient == attorney.contact_email


def test_a_second_send_of_the_notice_sends_nothing(cast, attorney, django_capture_on_commit_callbacks):
    _satisfied_with_consent(cast, attorney, django_capture_on_commit_callbacks)
    assert held_charges_sweep()["notices"] == 0
    assert services.charges.ChargeNotice.objects.count() == 1 and len(mail.outbox) == 1


def test_without_the_consent_nothing_is_told_and_the_page_says_why(cast, attorney, django_capture_on_commit_callbacks):
    charge = intervention_charge(cast, attorney)
    intake_recorded(charge, cast)
    # A consent to the referring agency is not one to the prosecutor's office.
    consent_given(charge.referral, cast.case_manager_y)
    mail.outbox.clear()
    page = cast.login("case_manager_y").get(f"/referrals/{charge.referral_id}/").content.decode()
    assert "will be told nothing: there is no criminal-justice consent" in page
    with django_capture_on_commit_callbacks(execute=True):
        services.held_charge_satisfy(charge_id=charge.pk, actor=cast.case_manager_y)
    assert not ChargeNotice.objects.exists() and mail.outbox == []
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.NOTIFIED).exists()
    page = cast.login("case_manager_y").get(f"/referrals/{charge.referral_id}/").content.decode()
    assert "was told nothing: no criminal-justice consent" in page


def test_after_the_consent_ended_nothing_is_told(cast, attorney, django_capture_on_commit_callbacks):
    with time_machine.travel(datetime(2026, 2, 20, 18, 0, tzinfo=UTC), tick=False):
        charge = intervention_charge(cast, attorney, deadline=datetime(2026, 3, 30).date())
        intake_recorded(charge, cast)
        criminal_justice_consent_given(charge.referral, cast.case_manager_y, expires_on=datetime(2026, 3, 1).date())
    with time_machine.travel(datetime(2026, 3, 5, 18, 0, tzinfo=UTC), tick=False):
        page = cast.login("case_manager_y").get(f"/referrals/{charge.referral_id}/").content.decode()
        assert "criminal-justice consent ended on " + l10n.day(date(2026, 3, 1)) in page
        with django_capture_on_commit_callbacks(execute=True):
            services.held_charge_satisfy(charge_id=charge.pk, actor=cast.case_manager_y)
    charge.refresh_from_db()
    assert charge.state == H.SATISFIED and not ChargeNotice.objects.exists()


def test_the_page_warns_of_a_consent_ending_before_the_deadline(cast, attorney):
    charge = intervention_charge(cast, attorney)
    ends = datetime.now(PHOENIX).date() + timedelta(days=10)
    criminal_justice_consent_given(charge.referral, cast.case_manager_y, expires_on=ends)
    page = cast.login("case_manager_y").get(f"/referrals/{charge.referral_id}/").content.decode()
    assert f"The consent ends on {l10n.day(ends)}, before the deadline" in page


def test_a_revocation_asked_before_the_decision_takes_effect_at_it(cast, attorney, django_capture_on_commit_callbacks):
    charge = intervention_charge(cast, attorney)
    intake_recorded(charge, cast)
    consent = criminal_justice_consent_given(charge.referral, cast.case_manager_y)
    services.consent_revoke(consent_id=consent.pk, actor=cast.case_manager_y, note="Asked at the clinic")
    consent.refresh_from_db()
    assert consent.revocation_asked_at is not None and consent.revoked_at is None and consent.is_active()
    with pytest.raises(Exception, match="already asked"):
        services.consent_revoke(consent_id=consent.pk, actor=cast.case_manager_y)
    # Irrevocable until the case is disposed of: the decision is still told, under it.
    with django_capture_on_commit_callbacks(execute=True):
        services.held_charge_satisfy(charge_id=charge.pk, actor=cast.case_manager_y)
    notice = ChargeNotice.objects.get()
    consent.refresh_from_db()
    charge.refresh_from_db()
    assert notice.consent == consent and notice.emailed_at is not None
    assert consent.revoked_at == charge.state_changed_at and not consent.is_active()


def test_the_page_says_a_revocation_waits_for_the_decision(cast, attorney):
    charge = intervention_charge(cast, attorney)
    consent = criminal_justice_consent_given(charge.referral, cast.case_manager_y)
    client = cast.login("case_manager_y")
    url = reverse("referrals:consent_revoke", kwargs={"consent_id": consent.pk})
    page = client.post(url, {"note": "By phone"}, follow=True).content.decode()
    assert "Revocation recorded: it takes effect when the charge is decided" in page
    assert "Revocation asked" in page and f'action="{url}"' not in page


def test_a_criminal_justice_consent_is_revoked_at_once_after_the_decision(cast, attorney):
    charge = intervention_charge(cast, attorney)
    consent = criminal_justice_consent_given(charge.referral, cast.case_manager_y)
    services.held_charge_withdraw(charge_id=charge.pk, actor=cast.officer_a1)
    services.consent_revoke(consent_id=consent.pk, actor=cast.case_manager_y, note="In writing")
    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revoked_at == consent.revocation_asked_at


def test_police_record_no_criminal_justice_consent_not_even_at_the_scene(cast, attorney):
    """The general consent may be taken by the officer while the referral is new; the one
    letting the treatment program report to the prosecutor is the program's to take."""
    referral = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y, pathway=Pathway.OFFICER_INTERVENTION
    )
    held_charge_on(referral, attorney)
    client = cast.login("officer_a1")
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "criminal-justice" not in page
    url = reverse("referrals:consent_new_criminal_justice", kwargs={"referral_id": referral.pk})
    assert client.get(url).status_code == 404
    assert client.get(f"/referrals/{referral.pk}/criminal-justice-consent-form.pdf").status_code == 404
    with pytest.raises(Exception, match="cannot record consent"):
        criminal_justice_consent_given(referral, cast.officer_a1)
    assert not Consent.objects.exists()


def test_the_criminal_justice_consent_names_the_office_deciding_the_charge(cast, attorney):
    charge = intervention_charge(cast, attorney)
    consent = criminal_justice_consent_given(charge.referral, cast.case_manager_y)
    assert consent.recipient_justice == attorney and consent.recipient_agency is None
    assert consent.scope == Consent.Scope.TREATMENT_ATTENDANCE and consent.expires_on is not None
    with pytest.raises(Exception, match="how long"):
        criminal_justice_consent_given(charge.referral, cast.case_manager_y, expires_on=None)
    plain = accepted_referral(cast)
    with pytest.raises(Exception, match="no charge held"):
        criminal_justice_consent_given(plain, cast.case_manager_y)


def test_the_consent_form_records_it_and_prints_in_both_languages(cast, attorney):
    charge = intervention_charge(cast, attorney)
    client = cast.login("case_manager_y")
    url = reverse("referrals:consent_new_criminal_justice", kwargs={"referral_id": charge.referral_id})
    page = client.get(url).content.decode()
    assert attorney.name in page and charge.case_number in page and "cannot be revoked before" in page
    today = datetime.now(PHOENIX).date()
    response = client.post(
        url,
        {
            "purpose": "Let the county attorney know",
            "expires_on": (today + timedelta(days=90)).isoformat(),
            "signature_name": "Rosalind Achterberg",
            "signed_on": today.isoformat(),
            "language": "es",
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(kind=Consent.Kind.CRIMINAL_JUSTICE)
    for lang in ("en", "es"):
        pdf = client.get(f"/referrals/{charge.referral_id}/criminal-justice-consent-form.pdf?lang={lang}")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    printed = client.get(f"/referrals/{charge.referral_id}/consent-form.pdf?consent={consent.pk}")
    assert printed.status_code == 200


def test_the_document_says_what_2_35_asks_in_spanish_too(cast, attorney):
    from referrals.consent_documents import consent_document_context

    charge = intervention_charge(cast, attorney)
    context = consent_document_context(referral=charge.referral, consent=None, language="es", charge=charge)
    assert context["recipients"] == [attorney.name]
    assert charge.case_number in context["scopes"]["treatment_attendance"]
    assert "no puede revocarse antes de la resolución final" in context["t"]["revocation_terms"]
    assert "42 CFR parte 2" in context["t"]["notice"] and "funciones oficiales" in context["t"]["notice"]


def test_the_letter_is_printed_by_casework_on_record_and_in_the_accounting(
    cast, attorney, django_capture_on_commit_callbacks
):
    charge = _satisfied_with_consent(cast, attorney, django_capture_on_commit_callbacks)
    notice = ChargeNotice.objects.get()
    url = reverse("referrals:charge_notice_pdf", kwargs={"notice_id": notice.pk})
    page = cast.login("case_manager_y").get(f"/referrals/{charge.referral_id}/").content.decode()
    assert url in page and f"Emailed to {attorney.contact_email}" in page
    assert cast.login("officer_a1").get(url).status_code == 404
    response = cast.login("case_manager_y").get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert charge.case_number not in response["Content-Disposition"]
    event = AccessEvent.objects.get(what=NOTICE_LETTER)
    assert (event.user, event.action) == (cast.case_manager_y, AccessEvent.Action.PRINTED)
    rows = [d for d in accounting_for_client(charge.referral.client) if d.organization == attorney.name]
    assert sorted(r.action for r in rows) == ["Printed or downloaded", "Told in a notice"]


def _letter_text(notice: ChargeNotice) -> str:
    document = charge_notice_letter_document(notice=notice)
    assert len(document.pages) == 1
    return " ".join(box.text for page in document.pages for box in page._page_box.descendants() if hasattr(box, "text"))


def test_the_letter_is_headed_by_its_sender_with_the_address_and_phone_to_answer_to(
    cast, attorney, django_capture_on_commit_callbacks
):
    # The sender is the treatment program that discloses under the consent, as in the email.
    cast.partner_y.address = "410 W Congress St, Tucson, AZ 85701"
    cast.partner_y.phone = "520-555-0142"
    cast.partner_y.save()
    charge = _satisfied_with_consent(cast, attorney, django_capture_on_commit_callbacks)
    text = _letter_text(ChargeNotice.objects.get())
    sender = text.index(cast.partner_y.name)
    assert sender < text.index("410 W Congress St, Tucson, AZ 85701") < text.index("Diversion desk")
    assert text.index("520-555-0142") < text.index("Diversion desk")
    assert "1 Court Plaza, Suite 4, Pima Valley, AZ 85701" in text and charge.case_number in text
    client = charge.referral.client
    assert client.last_name not in text and client.first_name not in text


def test_a_letter_from_a_sender_without_an_address_still_prints_its_name(
    cast, attorney, django_capture_on_commit_callbacks
):
    _satisfied_with_consent(cast, attorney, django_capture_on_commit_callbacks)
    text = _letter_text(ChargeNotice.objects.get())
    assert cast.partner_y.name in text and "None" not in text


# -- what police see ---------------------------------------------------------------------------


def test_police_see_the_decision_only_as_the_clients_consent_to_their_agency_allows(cast, attorney):
    charge = intervention_charge(cast, attorney)
    intake_recorded(charge, cast)
    services.held_charge_satisfy(charge_id=charge.pk, actor=cast.case_manager_y)
    page = cast.login("officer_a1").get(f"/referrals/{charge.referral_id}/").content.decode()
    assert charge.case_number in page and "reaches your agency only with the client" in page
    assert "Condition met" not in page and "data-charge-state" not in page
    consent_given(charge.referral, cast.case_manager_y)  # status and outcomes, to agency A
    page = cast.login("officer_a1").get(f"/referrals/{charge.referral_id}/").content.decode()
    assert "Condition met: to be dropped" in page
