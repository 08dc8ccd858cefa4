"""Thin Celery tasks for webhooks: they call api.webhooks.services and nothing else."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from api.webhooks import services

# A due delivery the scan hands out again: one whose worker's retry is this late (lost with
# a worker or the broker). Sooner, it would only race the retry already queued (harmless:
# the row lock lets one of them send).
LOST_AFTER = timedelta(minutes=2)


@shared_task(acks_late=True)
def scan_webhook_events() -> dict[str, int]:
    """Periodic (deflection/schedules.py): deliveries for new case events, handed to workers
    with any that are overdue. Safe to run twice at once: a delivery is made once per event
    and subscriber, and sent by one worker at a time."""
    made = services.webhook_deliveries_make()
    due = services.webhook_deliveries_due(lost_after=LOST_AFTER)
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return {"made": made, "queued": len(due)}


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver_webhook(self, delivery_id: int) -> bool:
    """One attempt; when it fails, Celery retries when the backoff says (the delivery row
    keeps the count and gives up after its MAX_ATTEMPTS)."""
    attempt = services.webhook_deliver(delivery_id=delivery_id)
    if attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in.total_seconds())
    return attempt.delivered
