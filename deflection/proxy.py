"""The client's address and scheme behind trusted reverse proxies (PROXY_COUNT).

With PROXY_COUNT = 0 (the default: the app is reached directly) forwarded headers are
ignored, as anyone can send them. With N trusted proxies in front, each appending the
address it received the request from to X-Forwarded-For, the client's address is the Nth
entry from the right: what the outermost trusted proxy saw. The audit trail and the
sign-in lockout both read REMOTE_ADDR, so this middleware runs first.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def forwarded_client(forwarded_for: str, proxies: int) -> str | None:
    """The address `proxies` entries from the right of X-Forwarded-For, if it is one."""
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if proxies <= 0 or len(hops) < proxies:
        return None
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


class TrustedProxyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.proxies = settings.PROXY_COUNT

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.proxies:
            client = forwarded_client(request.META.get("HTTP_X_FORWARDED_FOR", ""), self.proxies)
            if client:
                request.META["REMOTE_ADDR"] = client
        return self.get_response(request)
