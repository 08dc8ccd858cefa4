"""Rate limits per integration client, counted in the "shared" cache (Redis in production).

Rates come from settings.API_RATES (API_RATE_BURST, API_RATE_SUSTAINED), read on each request.
Past a limit the API answers 429 with Retry-After.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from api.models import IntegrationClient

logger = logging.getLogger(__name__)


class _ClientThrottle(SimpleRateThrottle):
    rate_name = ""

    @property
    def cache(self):  # the alias's cache of this thread, as settings say now
        return caches["shared"]

    def get_rate(self) -> str:
        return settings.API_RATES[self.rate_name]

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as error:  # the cache (Redis) is down: serve rather than refuse
            # A partner's or an agency's system keeps working through a cache outage, as
            # logging a deflection does through a broker outage; the log says so, by kind only.
            logger.warning("API rate limit not counted: the shared cache failed (%s).", type(error).__name__)
            return True

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
