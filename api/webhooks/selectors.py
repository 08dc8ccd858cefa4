"""Reads about webhooks for the program admin's pages."""

from __future__ import annotations

from django.db.models import QuerySet

from api.models import IntegrationClient, WebhookDelivery, WebhookSubscription
from deflection.models import User
from deflection.permissions import may_manage_integrations

# The deliveries the page lists, latest first.
SHOWN = 50


def webhook_for_client(*, user: User, client: IntegrationClient) -> WebhookSubscription | None:
    """The client's webhook subscription, or None (none set, or the user does not manage integrations)."""
    if not may_manage_integrations(user):
        return None
    return WebhookSubscription.objects.filter(client=client).first()


def deliveries_for_client(*, user: User, client: IntegrationClient) -> QuerySet[WebhookDelivery]:
    """The client's latest deliveries: what each said of which Task, when, whether it arrived.
    Only ids and statuses: a delivery carries no client data."""
    if not may_manage_integrations(user):
        return WebhookDelivery.objects.none()
    return (
        WebhookDelivery.objects.filter(subscription__client=client)
        .select_related("event")
        .order_by("-created_at", "-id")[:SHOWN]
    )
