"""The program admin's webhook pages, beside the integration clients' (/integrations/)."""

from __future__ import annotations

from django.urls import path

import deflection.converters  # noqa: F401 (registers <id:...>)
from api.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("<id:client_id>/webhook/", views.webhook, name="edit"),
    path("<id:client_id>/webhook/subscribe/", views.webhook_subscribe, name="subscribe"),
    path("<id:client_id>/webhook/remove/", views.webhook_remove, name="remove"),
]
