"""Thin Celery tasks: they take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from buyin.services.suggestions import suggestion_tell_author
from deflection.celery import MAIL_TASK_OPTIONS


@shared_task(**MAIL_TASK_OPTIONS)
def tell_suggestion_author(event_id: int) -> bool:
    """Email a suggestion's author about one change of its state (started on commit; safe to run twice)."""
    return suggestion_tell_author(event_id=event_id)
