"""The program admin's pages for integration clients (outside /api/: they are pages, signed in)."""

from __future__ import annotations

from django.urls import path

import deflection.converters  # noqa: F401 (registers <id:...>)
from api.views import pages

app_name = "integrations"

urlpatterns = [
    path("", pages.client_list, name="list"),
    path("new/", pages.client_new, name="new"),
    path("<id:client_id>/revoke/", pages.client_revoke, name="revoke"),
]
