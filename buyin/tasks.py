"""Thin Celery tasks for the buy-in loop: a service call each."""

from __future__ import annotations

from celery import shared_task

from buyin.services.pulse import pulse_sweep
from buyin.services.recognition import commendation_email_send
from buyin.services.suggestions import suggestion_tell_author
from deflection.celery import MAIL_TASK_OPTIONS


@shared_task(**MAIL_TASK_OPTIONS)
def sweep_pulse_surveys() -> dict[str, int]:
    """The periodic sweep (deflection/schedules.py): open due waves, invite, remind once. Safe twice at once."""
    return pulse_sweep()


@shared_task(**MAIL_TASK_OPTIONS)
def send_commendation_email(commendation_id: int) -> bool:
    """The officer's notice of a commendation; safe to run twice or to retry (sent once)."""
    return commendation_email_send(commendation_id=commendation_id)


@shared_task(**MAIL_TASK_OPTIONS)
def tell_suggestion_author(event_id: int) -> bool:
    """Email a suggestion's author about one change of its state (started on commit; safe to run twice)."""
    return suggestion_tell_author(event_id=event_id)
