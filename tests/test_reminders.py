"""Follow-up reminders: each due follow-up reminded once, to its assignee, with no client details."""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPException

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from deflection.celery import app
from deflection.schedules import BEAT_SCHEDULE
from referrals import services
from referrals.models import FollowUp
from referrals.reminders import follow_up_reminders_send
from referrals.tasks import send_follow_up_reminders
from tests.conftest import has_word
from tests.factories.core import UserFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db


class FailingBackend(BaseEmailBackend):
    attempts = 0

    def send_messages(self, messages):
        FailingBackend.attempts += 1
        raise SMTPException("451 try again later")


@pytest.fixture
def due(cast):
    """Partner Y: two follow-ups of case manager Y (one overdue, one due soon), one not due yet."""
    now = timezone.now()
    officer = OfficerFactory(user=cast.officer_a1)
    referrals = [ReferralFactory(officer=officer, partner=cast.partner_y) for _ in range(3)]
    for r in referrals:
        services.referral_accept(referral_id=r.pk, actor=cast.case_manager_y)
    checks = [r.follow_ups.get() for r in referrals]
    FollowUp.objects.filter(pk=checks[0].pk).update(due_at=now - timedelta(hours=3))
    FollowUp.objects.filter(pk=checks[1].pk).update(due_at=now + timedelta(hours=2))
    FollowUp.objects.filter(pk=checks[2].pk).update(due_at=now + timedelta(days=3))
    return referrals, checks


def test_each_assignee_gets_one_message_listing_what_is_due(cast, due):
    referrals, checks = due
    result = follow_up_reminders_send()
    assert result == {"reminded": 2, "leads": 0}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.case_manager_y.email]
    assert "2 follow-ups due, 1 overdue" in message.subject
    assert f"#{referrals[0].pk}" in message.body and f"#{referrals[1].pk}" in message.body
    assert f"#{referrals[2].pk}" not in message.body
    assert "/queue/?filter=overdue" in message.body
    reminded = set(FollowUp.objects.filter(reminded_at__isnull=False).values_list("pk", flat=True))
    assert reminded == {checks[0].pk, checks[1].pk}


def test_reminders_carry_no_client_details(cast, due):
    referrals, _ = due
    follow_up_reminders_send()
    message = mail.outbox[0]
    text = message.subject + message.body
    for r in referrals:
        assert not has_word(text, r.client.first_name) and not has_word(text, r.client.last_name)
        assert str(r.client.date_of_birth) not in text


def test_a_second_sweep_sends_nothing_twice(cast, due):
    follow_up_reminders_send()
    follow_up_reminders_send()
    assert len(mail.outbox) == 1


def test_a_failed_send_marks_nothing_and_the_next_sweep_delivers(cast, due, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.FailingBackend"
    with pytest.raises(SMTPException):
        follow_up_reminders_send()
    assert not FollowUp.objects.filter(reminded_at__isnull=False).exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert follow_up_reminders_send()["reminded"] == 2
    assert len(mail.outbox) == 1


def test_the_task_asks_to_be_retried_when_the_mail_server_fails(cast, due, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.FailingBackend"
    FailingBackend.attempts = 0
    result = send_follow_up_reminders.apply()
    # Run eagerly, the retries happen at once: the task tried again and again, then gave up
    # (a real worker waits with backoff between tries), and nothing was marked sent.
    assert FailingBackend.attempts > 1
    assert isinstance(result.result, SMTPException)
    assert not FollowUp.objects.filter(reminded_at__isnull=False).exists()


def test_completed_follow_ups_and_closed_referrals_are_not_reminded(cast, due):
    referrals, checks = due
    services.follow_up_complete(follow_up_id=checks[0].pk, actor=cast.case_manager_y, outcome="engaged")
    services.referral_fail(referral_id=referrals[1].pk, actor=cast.case_manager_y, reason="disengaged")
    assert follow_up_reminders_send()["reminded"] == 0
    assert mail.outbox == []


def test_the_partner_lead_is_told_of_follow_ups_more_than_a_day_overdue(cast, due):
    referrals, checks = due
    lead = UserFactory(role="case_manager", agency=None, partner=cast.partner_y, badge_number="")
    cast.partner_y.lead = lead
    cast.partner_y.save()
    FollowUp.objects.filter(pk=checks[0].pk).update(due_at=timezone.now() - timedelta(days=2))
    result = follow_up_reminders_send()
    assert result == {"reminded": 2, "leads": 1}
    to_lead = [m for m in mail.outbox if m.to == [lead.email]]
    assert len(to_lead) == 1 and f"#{referrals[0].pk}" in to_lead[0].body
    assert cast.case_manager_y.get_full_name() in to_lead[0].body
    follow_up_reminders_send()
    assert len(mail.outbox) == 2


def test_the_sweep_is_scheduled_and_runs_as_a_task(cast, due):
    entry = BEAT_SCHEDULE["follow-up-reminders"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] == 15 * 60
    send_follow_up_reminders.delay()  # eager in tests
    assert len(mail.outbox) == 1


class RefusingOneAddressBackend(BaseEmailBackend):
    """A mail server that refuses one address for good and accepts the rest."""

    refused = "nobody@invalid.example"
    sent: list = []

    def send_messages(self, messages):
        from smtplib import SMTPRecipientsRefused

        for message in messages:
            if self.refused in message.to:
                raise SMTPRecipientsRefused({self.refused: (550, b"no such user")})
            RefusingOneAddressBackend.sent.append(message)
        return len(messages)


def test_one_refused_address_does_not_stop_the_others(cast, due, settings):
    referrals, checks = due
    settings.EMAIL_BACKEND = "tests.test_reminders.RefusingOneAddressBackend"
    RefusingOneAddressBackend.sent = []
    # The first assignee in the sweep (lowest id) has an address the server refuses.
    cast.case_manager_y.email = RefusingOneAddressBackend.refused
    cast.case_manager_y.save()
    colleague = UserFactory(role="case_manager", agency=None, partner=cast.partner_y, badge_number="")
    FollowUp.objects.filter(pk=checks[1].pk).update(assigned_to=colleague)
    result = follow_up_reminders_send()
    assert result["reminded"] == 1
    assert [m.to for m in RefusingOneAddressBackend.sent] == [[colleague.email]]
    assert FollowUp.objects.get(pk=checks[0].pk).reminded_at is None
