"""Rate limits per integration client, counted in the shared "api" cache (Redis in production).

Rates come from settings.API_RATES (API_RATE_BURST, API_RATE_SUSTAINED), read on each request.
Past a limit the API answers 429 with Retry-After.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from api.models import IntegrationClient


class _ClientThrottle(SimpleRateThrottle):
    rate_name = ""

    @property
    def cache(self):  # the alias's cache of this thread, as settings say now
        return caches["api"]

    def get_rate(self) -> str:
        return settings.API_RATES[self.rate_name]

    def get_cache_key(self, request, view) -> str | None:
        client = request.auth
        if not isinstance(client, IntegrationClient):
            return None  # refused before counting: only clients reach a throttled view
        # By the token's prefix: unique and random, so a client made again (or a test
        # database made again) never inherits another's count.
        return f"api-throttle:{self.rate_name}:{client.token_prefix}"


class BurstThrottle(_ClientThrottle):
    rate_name = "burst"


class SustainedThrottle(_ClientThrottle):
    rate_name = "sustained"
