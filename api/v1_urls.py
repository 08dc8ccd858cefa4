"""Version 1 of the API: /api/v1/..., URL names api:v1:<name>."""

from __future__ import annotations

from django.urls import path

from api.views import common

app_name = "v1"

urlpatterns = [
    path("me/", common.me, name="me"),
]
