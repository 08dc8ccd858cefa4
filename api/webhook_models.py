"""Webhooks: where a partner's system is told that one of its referrals changed, and each
notification sent (its attempts, whether it arrived). Kept in their own module; importable
from api.models like the others."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookSubscription(models.Model):
    """One https URL per integration client of a partner, set by the program administrator.

    The secret signs every delivery (HMAC-SHA256): it is shown once, when it is made, and kept
    as it is, since signing needs it (a new URL makes a new secret). Removing the webhook stops
    new deliveries; those already made stay on record.
    """

    client = models.OneToOneField(
        "api.IntegrationClient", on_delete=models.CASCADE, related_name="webhook", verbose_name=_("integration client")
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("since"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook")

    def __str__(self) -> str:
        return f"Webhook of {self.client}"


class WebhookDelivery(models.Model):
    """One notification of one change (a case event) to one subscriber, until it arrives.

    Its key is the idempotency key the receiver sees on every attempt (webhook-id), and its
    body is made once, so that every attempt sends the same bytes.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Gave up")

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("referrals.CaseEvent", on_delete=models.CASCADE, related_name="+")
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    body = models.TextField(editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    # What the last attempt got, in a few words ("HTTP 503", "timed out"): never the body.
    last_result = models.CharField(_("last result"), max_length=100, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once_per_event"),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "delivered", "failed"]), name="webhook_delivery_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due", condition=models.Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"Webhook delivery {self.key}"


class WebhookScan(models.Model):
    """Up to when the case events were scanned for webhooks (one row): the next scan starts a
    margin before it, so that an event whose transaction committed late is not missed."""

    scanned_until = models.DateTimeField()

    class Meta:
        verbose_name = _("webhook scan")

    def __str__(self) -> str:
        return f"Webhooks scanned until {self.scanned_until:%Y-%m-%d %H:%M}"
