"""Integration clients made as the program admin makes them, and test clients that call the API."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client as HttpClient
from django.utils import timezone

from api import services
from api.models import IntegrationClient


def integration_client(
    cast, *, partner=None, agency=None, name: str = "", days: int = 365
) -> tuple[IntegrationClient, str]:
    """A client for the partner or the agency (made by the cast's program admin), and its token."""
    created = services.integration_client_create(
        actor=cast.program_admin,
        name=name or f"{(partner or agency).name} system",
        expires_at=timezone.now() + timedelta(days=days),
        partner=partner,
        agency=agency,
    )
    return created.client, created.token


def api_client(token: str | None, **extra) -> HttpClient:
    """A test client that sends the token with every call (None: no token)."""
    if token is None:
        return HttpClient(**extra)
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}", **extra)
