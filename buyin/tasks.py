"""Thin Celery tasks: they take ids and call a service."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from buyin.services.suggestions import suggestion_tell_author


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=10,
    acks_late=True,
)
def tell_suggestion_author(event_id: int) -> bool:
    """Email a suggestion's author about one change of its state (started on commit; safe to run twice)."""
    return suggestion_tell_author(event_id=event_id)
