"""Seen again: a second encounter while the client's referral to the same partner is open is
an officer contact on that referral, not a second referral; a re-engagement is a new referral
after the last one closed, or to another partner."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals import selectors, services
from referrals.models import CaseEvent, Consent, FollowUp, HeldCharge, OfficerContact, Referral
from referrals.services import deflections
from reports import metrics
from tests.factories.referrals import JusticeAgencyFactory, consent_given
from tests.test_log_deflection import _form

pytestmark = pytest.mark.django_db


def _again(cast, first: Referral, **overrides) -> dict:
    """The log form for the same client, picked by id, at the same partner unless told."""
    return _form(cast, client=str(first.client_id), first_name="", last_name="", **overrides)


@pytest.fixture
def first(cast) -> Referral:
    cast.login("officer_a1").post("/log/", _form(cast))
    return Referral.objects.get()


def _scope(cast) -> metrics.Scope:
    now = timezone.now()
    return metrics.Scope(cast.agency_a.pk, now - timedelta(days=1), now + timedelta(days=1))


def test_a_second_deflection_while_the_referral_is_open_at_that_partner_is_a_contact_on_it(cast, first):
    client = cast.login("officer_a1")
    response = client.post("/log/", _again(cast, first, naloxone_administered="on", officer_minutes="20"), follow=True)
    page = response.content.decode()
    assert Referral.objects.count() == 1
    contact = OfficerContact.objects.get()
    assert (contact.referral, contact.officer.user, contact.officer_minutes) == (first, cast.officer_a1, 20)
    assert contact.naloxone_administered
    # The officer lands on the open referral, told what happened to what they logged.
    assert response.redirect_chain[-1][0] == f"/referrals/{first.pk}/"
    assert "Seen again: added to the open referral to Y 24/7 MAT Clinic" in page
    assert "Deflection logged" not in page
    assert "Seen again by officer" in page
    # Its history has the contact, written with it.
    event = CaseEvent.objects.filter(referral=first).order_by("-id").first()
    assert event.kind == CaseEvent.Kind.OFFICER_CONTACT and event.actor == cast.officer_a1
    # Not a deflection, nor a re-engagement; on the officer's own record.
    assert metrics.deflections(_scope(cast)) == 1 and metrics.reengagements(_scope(cast)) == 0
    record = client.get(reverse("reports:my_record")).content.decode()
    assert 'data-figure="contacts">1<' in record


def test_the_case_manager_sees_one_item_seen_again_by_the_officer(cast, first):
    cast.login("officer_a2").post("/log/", _again(cast, first))
    manager = cast.login("case_manager_y")
    queue = manager.get("/queue/").content.decode()
    assert queue.count(f'data-referral="{first.pk}"') == 1
    assert queue.count("Lorenzo Abernathy") == 1
    today = timezone.localtime().strftime("%b %-d")
    assert f"Seen again by officer Blake Pinecrest on {today}" in queue
    casework = manager.get(f"/referrals/{first.pk}/").content.decode()
    assert f"Seen again by officer Blake Pinecrest on {today}" in casework
    assert "Seen again by an officer" in casework  # the history's entry


def test_the_consent_on_the_open_referral_still_covers_what_follows(cast, first):
    consent_given(first, cast.case_manager_y, scope=Consent.Scope.STATUS_OUTCOMES)
    services.referral_accept(referral_id=first.pk, actor=cast.case_manager_y)
    client = cast.login("officer_a1")
    client.post("/log/", _again(cast, first))
    services.referral_record_intake(referral_id=first.pk, actor=cast.case_manager_y)
    # No second referral without consent: the officer sees the intake on the one they landed on.
    page = client.get(f"/referrals/{first.pk}/").content.decode()
    assert Referral.objects.count() == 1
    assert "In treatment" in page and "Intake: the client attended" in page


def test_a_double_tap_makes_one_contact(cast, first):
    client = cast.login("officer_a1")
    data = _again(cast, first)
    client.post("/log/", data)
    response = client.post("/log/", data, follow=True)
    assert OfficerContact.objects.count() == 1 and Referral.objects.count() == 1
    assert "already saved" in response.content.decode()
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.OFFICER_CONTACT).count() == 1


def test_a_double_tap_of_a_new_referral_is_not_taken_for_a_contact_on_it(cast, first):
    token = uuid.uuid4()
    kwargs = {
        "officer_user": cast.officer_a1,
        "partner": cast.partner_x,
        "pathway": "officer_prevention",
        "officer_minutes": 10,
        "client": first.client,
        "submission_token": token,
    }
    made = services.referral_create(**kwargs)
    # The second tap comes after the first committed: the client now has an open referral at X.
    again = services.referral_create(**kwargs)
    assert made.created and not made.is_contact
    assert not again.created and again.referral == made.referral and not again.is_contact
    assert not OfficerContact.objects.exists()


def test_another_officers_open_referral_is_named_only_by_the_partner_chosen(cast, first):
    response = cast.login("officer_a2").post("/log/", _again(cast, first), follow=True)
    page = response.content.decode()
    assert OfficerContact.objects.get().referral == first
    # Not theirs to open: they land on their own list, told only what they chose.
    assert response.redirect_chain[-1][0] == "/mine/"
    assert "open referral at the partner you chose (Y 24/7 MAT Clinic)" in page
    assert timezone.localtime(first.occurred_at).strftime("%b %d") not in page
    # Their list shows the client they saw again, without the other officer's referral's status.
    assert 'id="my-contacts"' in page and "Lorenzo Abernathy" in page
    assert "Received by partner" not in page
    contact = page[page.index('id="my-contacts"') :]
    contact = contact[: contact.index("</ul>")]
    assert "Encounter at" in contact and "Officer intervention referral · Y 24/7 MAT Clinic" in contact
    # In the officer's language.
    cast.officer_a2.language = "es"
    cast.officer_a2.save(update_fields=["language"])
    spanish = cast.login("officer_a2").get("/mine/").content.decode()
    assert "Encuentro" in spanish.split('id="my-contacts"')[1]


def test_another_partner_makes_a_new_referral_linked_as_a_reengagement(cast, first):
    response = cast.login("officer_a1").post("/log/", _again(cast, first, partner=str(cast.partner_x.pk)), follow=True)
    second = Referral.objects.exclude(pk=first.pk).get()
    assert second.reengagement_of == first and second.partner == cast.partner_x
    assert not OfficerContact.objects.exists()
    assert "Deflection logged" in response.content.decode()
    assert metrics.reengagements(_scope(cast)) == 1


def test_after_the_referral_closed_the_same_partner_gets_a_new_referral_a_reengagement(cast, first):
    services.referral_reject(referral_id=first.pk, actor=cast.case_manager_y, reason="no_capacity")
    cast.login("officer_a1").post("/log/", _again(cast, first))
    second = Referral.objects.exclude(pk=first.pk).get()
    assert second.reengagement_of == first and second.partner == cast.partner_y
    assert not OfficerContact.objects.exists()
    assert metrics.reengagements(_scope(cast)) == 1


def test_encounter_and_logged_times_are_labelled(cast):
    hour_ago = timezone.localtime() - timedelta(hours=5)
    cast.login("officer_a1").post("/log/", _form(cast, occurred_at=hour_ago.strftime("%Y-%m-%dT%H:%M")))
    referral = Referral.objects.get()
    encounter = timezone.localtime(referral.occurred_at).strftime("%H:%M")
    logged = timezone.localtime(referral.created_at).strftime("%H:%M")
    assert encounter != logged
    officer = cast.login("officer_a1")
    detail = officer.get(f"/referrals/{referral.pk}/").content.decode()
    assert f"Encounter at {timezone.localtime(referral.occurred_at):%b %-d, %Y} {encounter}" in detail
    assert f"Logged at {timezone.localtime(referral.created_at):%b %-d, %Y} {logged}" in detail
    assert "Encounter at" in officer.get("/mine/").content.decode()
    manager = cast.login("case_manager_y")
    casework = manager.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Encounter at" in casework and "Logged at" in casework
    assert (
        f"Encounter at {timezone.localtime(referral.occurred_at):%b %-d, %Y} {encounter}"
        in manager.get("/queue/").content.decode()
    )


def _checked(cast, referral: Referral, *, hours: float, outcome: str = "engaged") -> None:
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    check = referral.follow_ups.get(kind=FollowUp.Kind.CHECK_72H)
    services.follow_up_complete(follow_up_id=check.pk, actor=cast.case_manager_y, outcome=outcome)
    referral.refresh_from_db()
    FollowUp.objects.filter(pk=check.pk).update(completed_at=referral.accepted_at + timedelta(hours=hours))


@pytest.mark.parametrize(
    ("scope", "shown"),
    [
        (Consent.Scope.STATUS_ONLY, False),
        (Consent.Scope.STATUS_OUTCOMES, True),
        (Consent.Scope.FULL_RECORD, True),
    ],
)
def test_the_officer_sees_the_72_hour_contact_only_with_consent_to_outcomes(cast, first, scope, shown):
    consent_given(first, cast.case_manager_y, scope=scope)
    _checked(cast, first, hours=30)
    officer = cast.login("officer_a1")
    detail = officer.get(f"/referrals/{first.pk}/").content.decode()
    mine = officer.get("/mine/").content.decode()
    assert ("72-hour check: reached and engaged, within 72 hours of acceptance" in detail) is shown
    assert ("Reached within 72 hours" in mine) is shown
    assert "Accepted" in detail  # the status flows under any scope


def test_without_consent_the_72_hour_contact_is_not_shown(cast, first):
    _checked(cast, first, hours=30)
    officer = cast.login("officer_a1")
    assert "72-hour" not in officer.get(f"/referrals/{first.pk}/").content.decode()
    assert "Reached within 72 hours" not in officer.get("/mine/").content.decode()


def test_a_late_or_failed_72_hour_contact_says_so(cast, first):
    consent_given(first, cast.case_manager_y)
    _checked(cast, first, hours=80, outcome="not_engaged")
    officer = cast.login("officer_a1")
    assert "more than 72 hours after acceptance" in officer.get(f"/referrals/{first.pk}/").content.decode()
    assert "Reached after 72 hours" in officer.get("/mine/").content.decode()


def test_a_referral_closed_while_the_officer_was_saving_gets_a_new_referral_not_a_contact(cast, first, monkeypatch):
    # What the officer's save read a moment ago: the referral open at this partner. The case
    # manager closes it before the contact is written; the save sees that under its lock.
    stale = selectors.past_referrals(client=first.client, agency_id=first.agency_id, partner_id=first.partner_id)
    assert stale.open_at_partner == first
    services.referral_reject(referral_id=first.pk, actor=cast.case_manager_y, reason="no_capacity")
    monkeypatch.setattr(deflections, "past_referrals", lambda **kwargs: stale)

    cast.login("officer_a1").post("/log/", _again(cast, first))

    assert not OfficerContact.objects.exists()
    later = Referral.objects.exclude(pk=first.pk).get()
    assert (later.status, later.reengagement_of) == (Referral.Status.REQUESTED, first)


def test_my_record_says_how_many_contacts_had_naloxone_and_the_minutes_in_all(cast, first):
    client = cast.login("officer_a1")
    client.post("/log/", _again(cast, first, naloxone_administered="on", officer_minutes="20"))
    record = client.get(reverse("reports:my_record")).content.decode()
    assert "1 with naloxone given · 20 minutes in all" in record
    assert "naloxone given at" not in record


def _held_charge(attorney) -> dict:
    deadline = (timezone.localdate() + timedelta(days=21)).isoformat()
    return {
        "charge_description": "Trespass",
        "charge_case_number": "PV26-00777",
        "charge_condition": "intake",
        "charge_deadline": deadline,
        "charge_decider": str(attorney.pk),
    }


def test_a_charge_held_when_seen_again_goes_on_the_officers_own_open_referral(cast, first):
    attorney = JusticeAgencyFactory(agencies=[cast.agency_a])
    response = cast.login("officer_a1").post("/log/", _again(cast, first, **_held_charge(attorney)))
    assert response.status_code == 302
    assert HeldCharge.objects.get().referral == first and OfficerContact.objects.count() == 1


def test_a_charge_held_when_seen_again_is_refused_on_a_colleagues_open_referral_and_nothing_is_saved(cast, first):
    # Officer A2 sees A1's client again: the charge would sit on A1's referral, which A2 cannot open.
    attorney = JusticeAgencyFactory(agencies=[cast.agency_a])
    response = cast.login("officer_a2").post("/log/", _again(cast, first, **_held_charge(attorney)))
    assert response.status_code == 200
    assert "logged by another officer" in response.content.decode()
    assert not HeldCharge.objects.exists() and not OfficerContact.objects.exists()
    assert Referral.objects.count() == 1
    # Without the charge, the encounter is added to the open referral as before.
    assert cast.login("officer_a2").post("/log/", _again(cast, first)).status_code == 302
    assert OfficerContact.objects.get().referral == first
