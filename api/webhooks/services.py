"""Writes about webhooks: subscribing a partner's system (its secret shown once), removing
it, making the deliveries of new case events, and sending one delivery (an attempt, retried
with backoff until it arrives or MAX_ATTEMPTS is reached)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from api.fhir import codes
from api.fhir.resources import partner_id
from api.fhir.selectors import SHOWN_KINDS
from api.models import IntegrationClient, WebhookDelivery, WebhookScan, WebhookSubscription
from api.webhooks import signing
from api.webhooks.addresses import AddressRefused, check_url
from deflection.models import User
from deflection.permissions import administers_integration, may_manage_integrations
from referrals.models import CaseEvent

# A transaction that commits this long after its case event was written is still found.
SCAN_MARGIN = timedelta(minutes=10)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
# 30 s, 1, 2, 4 ... minutes, then hourly: about 15 hours before giving up.
MAX_ATTEMPTS = 20
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Subscribed:
    """The webhook just set and its secret, which is shown this once and never again."""

    subscription: WebhookSubscription
    secret: str


@transaction.atomic
def webhook_subscribe(*, actor: User, client_id: int, url: str) -> Subscribed:
    """Send the partner's changes to `url` from now on, signed with a new secret."""
    if not may_manage_integrations(actor):
        raise ValidationError(_("Only program administration sets webhooks."))
    client = IntegrationClient.objects.select_for_update().get(pk=client_id)
    if not administers_integration(actor, partner=client.partner, agency=client.agency):
        raise ValidationError(_("Only program administration sets webhooks."))
    if not client.is_partner_client:
        raise ValidationError(_("Webhooks are for partners' record systems."))
    if client.state() != "active":
        raise ValidationError(_("This integration client is revoked or expired."))
    try:
        check_url(url)
    except AddressRefused as refused:
        raise ValidationError({"url": str(refused)}) from None
    secret = signing.secret_new()
    subscription, _made = WebhookSubscription.objects.update_or_create(
        client=client,
        defaults={"url": url, "secret": secret, "is_active": True, "created_by": actor, "created_at": timezone.now()},
    )
    return Subscribed(subscription=subscription, secret=secret)


@transaction.atomic
def webhook_remove(*, actor: User, client_id: int) -> None:
    """No more deliveries to the client's URL (those pending stop; all stay on record)."""
    if not may_manage_integrations(actor):
        raise ValidationError(_("Only program administration removes webhooks."))
    client = IntegrationClient.objects.get(pk=client_id)
    if not administers_integration(actor, partner=client.partner, agency=client.agency):
        raise ValidationError(_("Only program administration removes webhooks."))
    WebhookSubscription.objects.filter(client_id=client_id).update(is_active=False)


def _payload(event: CaseEvent, *, status: str, partner: int, key: str) -> str:
    """What a delivery says: ids, references and the Task's status, nothing about the client."""
    return json.dumps(
        {
            "id": key,
            "type": "task.changed",
            "change": event.kind,
            "occurredAt": event.created_at.isoformat(),
            "task": {"reference": f"Task/{event.referral_id}", "status": codes.TASK_STATUS[status]},
            "focus": {"reference": f"ServiceRequest/{event.referral_id}"},
            "owner": {"reference": f"Organization/{partner_id(partner)}"},
            "url": f"{codes.fhir_base()}/Task/{event.referral_id}",
        },
        separators=(",", ":"),
    )


def webhook_deliveries_make(*, now: datetime | None = None) -> int:
    """A delivery for each case event (of the kinds FHIR shows) on a referral of a partner
    whose system subscribed, since the last scan less SCAN_MARGIN: idempotent (one delivery
    per event and subscriber), and one scan at a time. Returns how many were made."""
    now = now or timezone.now()
    with transaction.atomic():
        WebhookScan.objects.get_or_create(pk=1, defaults={"scanned_until": now})
        scan = WebhookScan.objects.select_for_update().get(pk=1)
        since = scan.scanned_until - SCAN_MARGIN
        made = 0
        subscriptions = WebhookSubscription.objects.filter(
            is_active=True, client__revoked_at__isnull=True, client__expires_at__gt=now, client__partner__isnull=False
        ).select_related("client")
        for subscription in subscriptions:
            events = (
                CaseEvent.objects.filter(
                    kind__in=SHOWN_KINDS,
                    created_at__gt=max(since, subscription.created_at),
                    created_at__lte=now,
                    referral__partner_id=subscription.client.partner_id,
                )
                .exclude(pk__in=WebhookDelivery.objects.filter(subscription=subscription).values("event_id"))
                .select_related("referral")
                .order_by("created_at", "id")
            )
            rows = []
            for event in events:
                delivery = WebhookDelivery(subscription=subscription, event=event, next_attempt_at=now)
                delivery.body = _payload(
                    event, status=event.referral.status, partner=subscription.client.partner_id, key=str(delivery.key)
                )
                rows.append(delivery)
            WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
            made += len(rows)
        scan.scanned_until = now
        scan.save(update_fields=["scanned_until"])
    return made


def webhook_deliveries_due(*, lost_after: timedelta, now: datetime | None = None) -> list[int]:
    """The pending deliveries to hand to the workers: those never tried, and retries whose
    worker is `lost_after` late (lost with a worker or the broker)."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).filter(
        Q(attempts=0, next_attempt_at__lte=now) | Q(next_attempt_at__lte=now - lost_after)
    )
    return list(due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:1000])


def backoff(attempts: int) -> timedelta:
    """How long to wait after the attempts made so far failed: doubling, at most an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


@dataclass(frozen=True)
class Attempt:
    """What one attempt did: delivered, or when to try again (None: given up, or not due)."""

    delivered: bool
    retry_in: timedelta | None


@transaction.atomic
def webhook_deliver(*, delivery_id: int, now: datetime | None = None) -> Attempt:
    """One attempt at a pending, due delivery, the row locked while it is sent (a second
    worker skips it: never two attempts at once). A 2xx answer delivers it; anything else
    counts an attempt and says when to try again."""
    now = now or timezone.now()
    delivery = (
        WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("subscription__client")
        .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .first()
    )
    if delivery is None:
        return Attempt(delivered=False, retry_in=None)
    subscription = delivery.subscription
    delivery.attempts += 1
    delivery.last_attempt_at = now
    if not subscription.is_active or subscription.client.state(now) != "active":
        delivery.status, delivery.last_result = WebhookDelivery.Status.FAILED, _("webhook removed")
    else:
        delivery.last_result = _send(subscription, delivery, now)
        if delivery.last_result == "":
            delivery.status, delivery.delivered_at, delivery.last_result = WebhookDelivery.Status.DELIVERED, now, "2xx"
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save(
        update_fields=["attempts", "last_attempt_at", "last_result", "status", "delivered_at", "next_attempt_at"]
    )
    if delivery.status == WebhookDelivery.Status.PENDING:
        return Attempt(delivered=False, retry_in=delivery.next_attempt_at - now)
    return Attempt(delivered=delivery.status == WebhookDelivery.Status.DELIVERED, retry_in=None)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer that is not 2xx: followed, it could lead anywhere."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _send(subscription: WebhookSubscription, delivery: WebhookDelivery, now: datetime) -> str:
    """POST the delivery; "" when the receiver took it (2xx), else what went wrong, in a few
    words (kept on the delivery: never the body, nor what the receiver answered)."""
    try:
        check_url(subscription.url)
    except AddressRefused as refused:
        return str(refused)[:100]
    body = delivery.body
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Deflection-Webhooks/1",
        **signing.headers(secret=subscription.secret, key=str(delivery.key), timestamp=int(now.timestamp()), body=body),
    }
    # check_url let through https only (http where settings allow it): no file: or other schemes.
    request = urllib.request.Request(subscription.url, data=body.encode(), headers=headers, method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as answer:
            return "" if 200 <= answer.status < 300 else f"HTTP {answer.status}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except TimeoutError:
        return "timed out"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return "timed out" if isinstance(reason, TimeoutError) else "could not connect"
