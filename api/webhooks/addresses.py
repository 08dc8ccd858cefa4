"""Where a webhook may point: https (http only where settings.WEBHOOK_ALLOW_HTTP, in
development and tests), and a host whose every address is on the public internet, never
loopback, private, link-local or reserved ones (the cloud's metadata service, the database,
the broker) unless settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES. Checked when the URL is set and
again before each attempt, since a name can come to point elsewhere."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class AddressRefused(ValueError):
    """A URL the webhooks may not be sent to, with the reason in the page's words."""


def check_url(url: str) -> None:
    """Raise AddressRefused unless a webhook may be sent to `url` now."""
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed:
        raise AddressRefused(_("The URL must start with https://."))
    if not parts.hostname or parts.username or parts.password:
        raise AddressRefused(_("The URL needs a host, and no user name or password in it."))
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return
    try:
        found = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)}
    except (OSError, UnicodeError):
        raise AddressRefused(_("This host cannot be found.")) from None
    for address in found:
        if not ipaddress.ip_address(address.split("%", 1)[0]).is_global:
            raise AddressRefused(_("The URL points at a private or local address."))
