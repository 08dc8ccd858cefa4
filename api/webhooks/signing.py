"""Webhook signatures, as the Standard Webhooks specification has them, so receivers can use
its libraries: the secret is "whsec_" and base64 of 32 random bytes; each delivery carries
webhook-id (the idempotency key, the same on every attempt), webhook-timestamp (the attempt's
Unix time) and webhook-signature, "v1," and base64 of HMAC-SHA256 over "id.timestamp.body"
keyed with the secret's bytes. A receiver recomputes it, compares in constant time and
refuses timestamps more than a few minutes away from its clock (a replay)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def secret_new() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(*, secret: str, key: str, timestamp: int, body: str) -> str:
    signed = f"{key}.{timestamp}.{body}".encode()
    digest = hmac.new(base64.b64decode(secret.removeprefix(PREFIX)), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(*, secret: str, key: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "webhook-id": key,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret=secret, key=key, timestamp=timestamp, body=body),
    }


def verify(*, secret: str, headers: dict[str, str], body: str) -> bool:
    """What a receiver does (the tests do it too)."""
    wanted = signature(secret=secret, key=headers["webhook-id"], timestamp=int(headers["webhook-timestamp"]), body=body)
    return any(hmac.compare_digest(wanted, sent) for sent in headers["webhook-signature"].split())
