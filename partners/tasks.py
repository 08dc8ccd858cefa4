"""Thin Celery tasks: they call services and nothing else."""

from __future__ import annotations

from celery import shared_task

from deflection.celery import MAIL_TASK_OPTIONS
from partners.reminders import partner_next_steps_remind


@shared_task(**MAIL_TASK_OPTIONS)
def send_partner_next_step_reminders() -> int:
    """The periodic sweep (deflection/schedules.py). Safe to run twice at once or to retry."""
    return partner_next_steps_remind()
