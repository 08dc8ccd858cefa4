"""Mail sent exactly once without a transaction open while the mail server talks
(deflection/claims.py), for every sender: claimed, sent outside any transaction, marked."""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPException

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.utils import timezone

from buyin.models import Commendation, PulseParticipation
from buyin.services.pulse import pulse_sweep
from buyin.services.recognition import commendation_email_send
from partners.models import PartnerContact
from partners.reminders import partner_next_steps_remind
from referrals import services
from referrals.models import FollowUp
from referrals.reminders import follow_up_reminders_send
from reports.briefing import briefing_send
from reports.digest import digest_send
from reports.models import Briefing, Digest
from tests.factories.buyin import CommendationFactory, pulse_wave
from tests.factories.partners import PartnerContactFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory

# Each sender's mail goes out in a test that commits, as in production: a transaction open
# during the send would show in `in_atomic_block`.
pytestmark = pytest.mark.django_db(transaction=True)


class RecordingBackend(EmailBackend):
    """locmem, noting whether a transaction was open when each message was handed over."""

    in_transaction: list[bool] = []

    def send_messages(self, messages):
        RecordingBackend.in_transaction.append(connection.in_atomic_block)
        return super().send_messages(messages)


class FailingBackend(EmailBackend):
    def send_messages(self, messages):
        raise SMTPException("451 try again later")


@pytest.fixture
def recording(settings):
    RecordingBackend.in_transaction = []
    settings.EMAIL_BACKEND = "tests.test_mail_claims.RecordingBackend"
    return RecordingBackend.in_transaction


@pytest.fixture
def due(cast):
    """Two follow-ups of case manager Y, due."""
    officer = OfficerFactory(user=cast.officer_a1)
    referrals = [ReferralFactory(officer=officer, partner=cast.partner_y) for _ in range(2)]
    for r in referrals:
        services.referral_accept(referral_id=r.pk, actor=cast.case_manager_y)
    FollowUp.objects.filter(referral__in=referrals).update(due_at=timezone.now() - timedelta(hours=1))
    return FollowUp.objects.filter(referral__in=referrals)


def _week_start(now):
    today = timezone.localdate(now)
    return today - timedelta(days=today.weekday() + 7)


def test_every_sender_hands_its_mail_over_outside_any_transaction(cast, due, recording):
    PartnerContactFactory(partner=cast.partner_y, next_step="Call back", next_step_due=timezone.localdate())
    pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    commendation = CommendationFactory(officer=cast.officer_a1, commended_by=cast.supervisor_a)
    Commendation.objects.filter(pk=commendation.pk).update(emailed_at=None)
    now = timezone.now()

    assert follow_up_reminders_send()["reminded"] == 2
    assert partner_next_steps_remind(now=now + timedelta(days=1)) == 1
    pulse_sweep()
    assert PulseParticipation.objects.filter(invited_at__isnull=False).exists()
    assert commendation_email_send(commendation_id=commendation.pk)
    assert digest_send(agency_id=cast.agency_a.pk, week_start=_week_start(now)) is not None
    assert briefing_send(unit_id=cast.unit_a.pk, week_start=_week_start(now)) is not None

    assert len(recording) >= 6 and not any(recording), recording
    # Each marked sent, and no claim left behind.
    assert not due.filter(reminded_at__isnull=True).exists()
    assert Commendation.objects.get(pk=commendation.pk).emailed_at is not None
    for model in (FollowUp, PartnerContact, PulseParticipation, Commendation, Digest, Briefing):
        assert not model.objects.filter(mail_claimed_at__isnull=False).exists(), model


def test_a_failed_send_releases_the_claim_and_the_next_sweep_sends_it(cast, due, settings):
    settings.EMAIL_BACKEND = "tests.test_mail_claims.FailingBackend"
    with pytest.raises(SMTPException):
        follow_up_reminders_send()
    assert not due.filter(mail_claimed_at__isnull=False).exists()
    assert not due.filter(reminded_at__isnull=False).exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert follow_up_reminders_send()["reminded"] == 2
    assert len(mail.outbox) == 1


def test_rows_another_sender_is_mailing_are_left_to_it(cast, due, settings):
    # As a worker in the middle of sending them (or killed there, its claim not lapsed yet).
    due.update(mail_claimed_at=timezone.now() - timedelta(seconds=settings.MAIL_CLAIM_SECONDS - 30))
    assert follow_up_reminders_send()["reminded"] == 0
    assert mail.outbox == []


def test_a_claim_left_by_a_killed_sender_lapses_and_the_rows_are_sent_once(cast, due, settings):
    due.update(mail_claimed_at=timezone.now() - timedelta(seconds=settings.MAIL_CLAIM_SECONDS + 1))
    assert follow_up_reminders_send()["reminded"] == 2
    assert follow_up_reminders_send()["reminded"] == 0
    assert len(mail.outbox) == 1
    assert not due.filter(reminded_at__isnull=True).exists()


def test_a_claim_outlasts_the_longest_a_live_mail_task_may_run(settings):
    longest = max(settings.TASK_TIME_LIMITS["reminders"][1], settings.TASK_TIME_LIMITS["mail"][1])
    assert settings.MAIL_CLAIM_SECONDS > longest


def test_a_digest_being_sent_is_not_sent_again_alongside(cast):
    week_start = _week_start(timezone.now())
    Digest.objects.create(agency=cast.agency_a, week_start=week_start, mail_claimed_at=timezone.now())
    assert digest_send(agency_id=cast.agency_a.pk, week_start=week_start) is None
    assert mail.outbox == []
