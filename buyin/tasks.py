"""Thin Celery tasks for the buy-in loop: a service call each."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from buyin.services.pulse import pulse_sweep


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=10,
    acks_late=True,
)
def sweep_pulse_surveys() -> dict[str, int]:
    """The periodic sweep (deflection/schedules.py): open due waves, invite, remind once. Safe twice at once."""
    return pulse_sweep()
