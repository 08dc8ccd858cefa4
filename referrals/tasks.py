"""Thin Celery tasks: they call services and nothing else."""

from __future__ import annotations

from celery import shared_task

from deflection.celery import MAIL_TASK_OPTIONS
from referrals.charge_notices import charge_notice_email_send
from referrals.charge_reminders import held_charges_sweep
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


@shared_task(**MAIL_TASK_OPTIONS)
def sweep_held_charges() -> dict[str, int]:
    """The periodic sweep (deflection/schedules.py): decide at the deadline, send the notices,
    remind. Safe to run twice at once or to retry."""
    return held_charges_sweep()


@shared_task(**MAIL_TASK_OPTIONS)
def send_charge_notice(notice_id: int) -> bool:
    """Email one notice to a prosecutor's office or court (started on commit; sent once)."""
    return charge_notice_email_send(notice_id=notice_id)
