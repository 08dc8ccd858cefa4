"""Thin Celery tasks: they call services and nothing else."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from partners.reminders import partner_next_steps_remind


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=10,
    acks_late=True,
)
def send_partner_next_step_reminders() -> int:
    """The periodic sweep (deflection/schedules.py). Safe to run twice at once or to retry."""
    return partner_next_steps_remind()
