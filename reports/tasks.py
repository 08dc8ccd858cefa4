"""Thin Celery tasks for quick wins: ids in, a service call."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from deflection.celery import MAIL_TASK_OPTIONS
from deflection.models import Agency
from reports.briefing import briefings_send_due
from reports.digest import digest_send, digests_send_due
from reports.milestones import milestones_detect
from reports.program_digest import program_digests_send_due
from reports.rollups import rollups_rebuild, rollups_refresh_all


@shared_task(acks_late=True)
def detect_milestones() -> int:
    return milestones_detect()


@shared_task(**MAIL_TASK_OPTIONS)
def send_weekly_digests() -> int:
    """The beat's check: every agency whose Monday 07:00 has passed gets last week's digest
    once; every program has its ended months published, and its coordinators get last
    month's digest once the first Monday 07:00 of this month has passed."""
    return digests_send_due() + program_digests_send_due()


@shared_task(**MAIL_TASK_OPTIONS)
def send_digest(agency_id: int, week_start: str) -> bool:
    return digest_send(agency_id=agency_id, week_start=date.fromisoformat(week_start)) is not None


@shared_task(**MAIL_TASK_OPTIONS)
def send_roll_call_briefings() -> int:
    """The beat's check: every unit whose agency's Monday 07:00 has passed gets last week's
    briefing once."""
    return briefings_send_due()


@shared_task(acks_late=True)
def refresh_rollups() -> int:
    return rollups_refresh_all()


@shared_task(acks_late=True)
def rebuild_rollups() -> None:
    for agency in Agency.objects.all():
        rollups_rebuild(agency=agency)
