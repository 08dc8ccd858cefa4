"""Thin Celery tasks: they call services and nothing else."""

from __future__ import annotations

from celery import shared_task

from deflection.celery import MAIL_TASK_OPTIONS
from referrals.purge import purge_expired
from referrals.reminders import follow_up_reminders_send


@shared_task(**MAIL_TASK_OPTIONS)
def send_follow_up_reminders() -> dict[str, int]:
    """The periodic sweep (deflection/schedules.py). Safe to run twice at once or to retry."""
    return follow_up_reminders_send()


@shared_task(acks_late=True)
def purge_expired_identities() -> dict[str, int]:
    """Nightly: remove the identities of clients inactive beyond the retention period."""
    result = purge_expired()
    return {"clients": result.clients, "referrals": result.referrals}
