"""The case manager works a referral from the page; every refusal is explained."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone

from referrals import services
from referrals.consent_documents import consent_document_context
from referrals.models import Consent, FollowUp, Referral
from tests.factories.core import UserFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory
from tests.locks import while_held

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(cast) -> Referral:
    return ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a1),
        partner=cast.partner_y,
        occurred_at=timezone.now() - timedelta(hours=3),
    )


def _act(client, referral, action, **data):
    return client.post(f"/referrals/{referral.pk}/act/{action}/", {f"{action}-{k}": v for k, v in data.items()})


def test_the_case_manager_accepts_from_the_referral_page(cast, referral):
    client = cast.login("case_manager_y")
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert 'data-action="accept"' in page and 'data-action="complete"' not in page
    response = _act(client, referral, "accept")
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.accepted_by == cast.case_manager_y
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Referral accepted" in page
    assert 'data-follow-up="check_72h"' in page


def test_declining_and_cancelling_each_say_what_they_mean_and_count_as(cast, referral):
    page = cast.login("case_manager_y").get(f"/referrals/{referral.pk}/").content.decode()
    decline = page[page.index('data-action="reject"') : page.index("</details>", page.index('data-action="reject"'))]
    cancel = page[page.index('data-action="cancel"') : page.index("</details>", page.index('data-action="cancel"'))]
    assert "Your service cannot take this person" in decline and "counted as declined" in decline
    assert "the person withdrew, or it came to you in error" in cancel
    assert "still counts as the officer's deflection" in cancel
    assert "If there was no encounter (logged by mistake), ask the officer to cancel it instead" in cancel


def test_a_second_case_manager_is_told_who_took_the_referral(cast, referral):
    colleague = UserFactory(role="case_manager", agency=None, partner=cast.partner_y, badge_number="")
    _act(cast.login("case_manager_y"), referral, "accept")
    client = cast.login(None)
    client.force_login(colleague)
    response = _act(client, referral, "accept")
    assert response.status_code == 422
    assert f"{cast.case_manager_y.get_full_name()} already accepted" in response.content.decode()


def test_declining_without_a_reason_is_explained_and_changes_nothing(cast, referral):
    response = _act(cast.login("case_manager_y"), referral, "reject", note="full tonight")
    assert response.status_code == 422
    page = response.content.decode()
    assert "Choose a reason." in page and "full tonight" in page
    referral.refresh_from_db()
    assert referral.status == "requested"


def test_an_illegal_step_is_refused_with_a_message(cast, referral):
    response = _act(cast.login("case_manager_y"), referral, "complete")
    assert response.status_code == 422
    assert "cannot be completed" in response.content.decode()


def test_the_case_manager_records_intake_and_completes_a_follow_up(cast, referral):
    client = cast.login("case_manager_y")
    _act(client, referral, "accept")
    _act(client, referral, "record_intake", note="came in at 9")
    referral.refresh_from_db()
    assert referral.status == "in_progress" and referral.intake_at is not None
    check = referral.follow_ups.get(kind="check_72h")
    response = client.post(f"/follow-ups/{check.pk}/done/", {"outcome": "engaged", "note": "doing well"})
    assert response.status_code == 302
    check.refresh_from_db()
    assert check.outcome == "engaged" and check.completed_at is not None


def test_a_follow_up_added_by_hand_appears_on_the_page(cast, referral):
    client = cast.login("case_manager_y")
    _act(client, referral, "accept")
    due = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/referrals/{referral.pk}/follow-ups/", {"kind": "contact_attempt", "due_at": due})
    assert referral.follow_ups.filter(kind="contact_attempt", assigned_to=cast.case_manager_y).exists()
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/referrals/{referral.pk}/follow-ups/", {"kind": "contact_attempt", "due_at": past})
    assert response.status_code == 422 and "in the past" in response.content.decode()


def _consent_post(**overrides) -> dict:
    data = {
        "scope": "status_outcomes",
        "to_referring_agency": "on",
        "purpose": "Tell the officer how it went",
        "expiry_event": "end_of_treatment",
        "signature_name": "Dana Whitfield",
        "signed_on": timezone.localdate().isoformat(),
        "language": "en",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"signature_name": ""}, "The client signs by typing their full name"),
        ({"expiry_event": "", "expires_on": (timezone.localdate() - timedelta(days=2)).isoformat()}, "in the past"),
        ({"expiry_event": ""}, "Give an expiry date or event"),
        ({"to_referring_agency": None}, "Name at least one recipient"),
        ({"signed_on": (timezone.localdate() + timedelta(days=2)).isoformat()}, "cannot be in the future"),
    ],
)
def test_an_incomplete_consent_form_is_refused_and_keeps_what_was_typed(cast, referral, overrides, message):
    response = cast.login("case_manager_y").post(f"/referrals/{referral.pk}/consent/", _consent_post(**overrides))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and "Tell the officer how it went" in page
    assert Consent.objects.count() == 0


def test_consent_is_recorded_and_revoked_from_the_page(cast, referral):
    client = cast.login("case_manager_y")
    response = client.post(f"/referrals/{referral.pk}/consent/", _consent_post())
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert consent.recipient_agency == cast.agency_a and consent.captured_by == cast.case_manager_y
    client.post(f"/consents/{consent.pk}/revoke/", {"note": "Told me by phone"})
    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revocation_note == "Told me by phone"
    assert "Revoked" in client.get(f"/referrals/{referral.pk}/").content.decode()


def test_the_officer_may_record_consent_at_the_scene(cast, referral):
    response = cast.login("officer_a1").post(f"/referrals/{referral.pk}/consent/", _consent_post())
    assert response.status_code == 302
    assert Consent.objects.get().captured_by == cast.officer_a1


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_consent_form_prints_as_a_pdf_with_the_redisclosure_notice(cast, referral, language):
    response = cast.login("case_manager_y").get(f"/referrals/{referral.pk}/consent-form.pdf?lang={language}")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert referral.client.last_name not in response["Content-Disposition"]
    html = render_to_string(
        "referrals/consent_document.html",
        consent_document_context(referral=referral, consent=None, language=language),
    )
    notice = {"en": "42 CFR part 2", "es": "42 CFR parte 2"}[language]
    title = {"en": "Consent to disclose", "es": "Consentimiento para divulgar"}[language]
    assert notice in html and title in html and referral.client.last_name in html


def test_the_queue_filters_count_and_sort_by_urgency(cast):
    officer = OfficerFactory(user=cast.officer_a1)
    now = timezone.now()
    older_new = ReferralFactory(officer=officer, partner=cast.partner_y)
    newer_new = ReferralFactory(officer=officer, partner=cast.partner_y)
    Referral.objects.filter(pk=older_new.pk).update(created_at=now - timedelta(hours=5))
    overdue = ReferralFactory(officer=officer, partner=cast.partner_y)
    services.referral_accept(referral_id=overdue.pk, actor=cast.case_manager_y)
    FollowUp.objects.filter(referral=overdue).update(due_at=now - timedelta(hours=2))
    calm = ReferralFactory(officer=officer, partner=cast.partner_y)
    services.referral_accept(referral_id=calm.pk, actor=cast.case_manager_y)
    closed = ReferralFactory(officer=officer, partner=cast.partner_y)
    services.referral_reject(referral_id=closed.pk, actor=cast.case_manager_y, reason="no_capacity")
    ReferralFactory(officer=officer, partner=cast.partner_x)  # another partner's

    client = cast.login("case_manager_y")
    response = client.get("/queue/")
    order = [r.pk for r in response.context["page"]]
    assert order == [older_new.pk, newer_new.pk, overdue.pk, calm.pk]
    counts = {name: count for name, _label, count in response.context["filters"]}
    assert counts == {"open": 4, "new": 2, "accepted": 2, "in_progress": 0, "on_hold": 0, "overdue": 1, "closed": 1}
    assert [r.pk for r in client.get("/queue/?filter=overdue").context["page"]] == [overdue.pk]
    assert [r.pk for r in client.get("/queue/?filter=closed").context["page"]] == [closed.pk]
    assert "Follow-up overdue" in response.content.decode()


def test_the_queue_refreshes_in_place_keeping_its_filter(cast, referral):
    response = cast.login("case_manager_y").get("/queue/?filter=new", HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "<html" not in page
    assert 'hx-get="/queue/?filter=new"' in page
    assert referral.client.last_name in page


def test_the_queues_pages_keep_its_filter(cast, settings):
    settings.DEFLECTION = {**settings.DEFLECTION, "PAGE_SIZE": 2}
    officer = OfficerFactory(user=cast.officer_a1)
    for _ in range(3):
        ReferralFactory(officer=officer, partner=cast.partner_y)
    client = cast.login("case_manager_y")
    first = client.get("/queue/?filter=new").content.decode()
    assert 'href="?filter=new&amp;page=2">Next</a>' in first
    second = client.get("/queue/?filter=new&page=2").content.decode()
    assert 'href="?filter=new&amp;page=1">Previous</a>' in second and "Page 2 of 2" in second


def test_the_queue_costs_the_same_queries_however_long_it_is(cast, django_assert_max_num_queries):
    officer = OfficerFactory(user=cast.officer_a1)
    for _ in range(30):
        ReferralFactory(officer=officer, partner=cast.partner_y)
    client = cast.login("case_manager_y")
    client.get("/queue/")  # the first page of a session also notes the time zone in it
    # The queue's own reads, the session and user, and the menu's two (an open pulse survey
    # wave, new answers to the user's suggestions): none grows with the queue.
    with django_assert_max_num_queries(9):
        client.get("/queue/")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_case_managers_accepting_at_once_one_wins_the_other_is_told(cast, referral):
    colleague = UserFactory(role="case_manager", agency=None, partner=cast.partner_y, badge_number="")
    first, second = while_held(
        lambda: services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y),
        lambda: services.referral_accept(referral_id=referral.pk, actor=colleague),
    )
    assert isinstance(first, Referral)
    assert isinstance(second, services.TransitionRefused)
    assert f"{cast.case_manager_y.get_full_name()} already accepted" in " ".join(second.messages)
    referral.refresh_from_db()
    assert referral.accepted_by == cast.case_manager_y
    assert referral.follow_ups.count() == 1


def test_a_retention_check_overdue_after_completion_is_in_the_overdue_filter(cast):
    """The reminder email counts it and links to this filter: the filter must show it."""
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_complete(referral_id=referral.pk, actor=cast.case_manager_y)
    check = referral.follow_ups.get(kind="retention_30")
    FollowUp.objects.filter(pk=check.pk).update(due_at=timezone.now() - timedelta(days=1))
    page = cast.login("case_manager_y").get("/queue/?filter=overdue")
    assert page.context["page"].object_list[0] == referral
    assert dict((name, count) for name, _label, count in page.context["filters"])["overdue"] == 1


def test_the_follow_up_form_lists_me_once(cast):
    colleague = UserFactory(username="cm_y2", role="case_manager", agency=None, partner=cast.partner_y, badge_number="")
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    form = cast.login("case_manager_y").get(f"/referrals/{referral.pk}/").context["follow_up_form"]
    choices = [label for _value, label in form.fields["assigned_to"].choices]
    assert choices == ["Me", colleague.get_full_name()]


def test_the_case_manager_sees_the_same_clients_earlier_and_later_referrals_here_only(cast):
    officer = OfficerFactory(user=cast.officer_a1)
    first = ReferralFactory(officer=officer, partner=cast.partner_y)
    elsewhere = ReferralFactory(officer=officer, partner=cast.partner_x, client=first.client, reengagement_of=first)
    again = ReferralFactory(officer=officer, partner=cast.partner_y, client=first.client, reengagement_of=elsewhere)
    also = ReferralFactory(officer=officer, partner=cast.partner_y, client=first.client, reengagement_of=first)
    client = cast.login("case_manager_y")
    linked = client.get(f"/referrals/{first.pk}/").content.decode().split('id="linked-referrals"')[1].split("</p>")[0]
    assert f"#{also.pk}" in linked and f"#{elsewhere.pk}" not in linked
    page = client.get(f"/referrals/{also.pk}/").content.decode()
    assert "Earlier referral here:" in page and f'href="/referrals/{first.pk}/"' in page
    assert 'id="linked-referrals"' not in client.get(f"/referrals/{again.pk}/").content.decode()


def test_a_failed_referrals_came_due_check_is_not_overdue_work(cast):
    """Its history stays open for the record, but nobody is reminded of it: not in the tab."""
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
    FollowUp.objects.filter(referral=referral, kind="retention_30").update(due_at=timezone.now() - timedelta(days=2))
    services.referral_fail(referral_id=referral.pk, actor=cast.case_manager_y, reason=Referral.FailReason.values[0])
    assert FollowUp.objects.filter(referral=referral, completed_at__isnull=True).exists()
    page = cast.login("case_manager_y").get("/queue/?filter=overdue")
    assert dict((name, count) for name, _label, count in page.context["filters"])["overdue"] == 0
