"""Thin Celery tasks for the buy-in loop: ids in, a service call."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from buyin.services.recognition import commendation_email_send


# Retried with backoff while the mail server is away (jitter, a 10-minute cap and acks_late
# are Celery's and the settings' defaults); the service makes a retry send nothing twice.
@shared_task(autoretry_for=(SMTPException, OSError), retry_backoff=30, max_retries=10)
def send_commendation_email(commendation_id: int) -> bool:
    """The officer's notice of a commendation; safe to run twice or to retry (sent once)."""
    return commendation_email_send(commendation_id=commendation_id)
