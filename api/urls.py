"""The API: its OpenAPI description, its reference page and version 1 (api.v1_urls)."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from api.views import docs

app_name = "api"

urlpatterns = [
    # The description and its reference hold no client data: public, for integrators who
    # have no token yet.
    path("schema/", SpectacularAPIView.as_view(throttle_classes=[]), name="schema"),
    path("docs/", docs.docs, name="docs"),
    path("v1/", include("api.v1_urls")),
]
