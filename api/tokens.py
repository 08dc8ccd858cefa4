"""Integration clients' tokens: "dfl_<prefix>_<secret>".

The prefix finds the client and is not secret (the program admin's list shows it); the
secret is 256 random bits. Only a SHA-256 digest of the whole token is stored: with that
much entropy a slow password hash adds nothing, and every API call checks one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

SCHEME = "dfl"
PREFIX_BYTES = 5  # ten hex characters: enough to find one client, meaningless alone


@dataclass(frozen=True)
class NewToken:
    token: str  # shown once, never stored
    prefix: str
    digest: str


def token_new() -> NewToken:
    prefix = secrets.token_hex(PREFIX_BYTES)
    token = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewToken(token=token, prefix=prefix, digest=token_digest(token))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_prefix(token: str) -> str | None:
    """The prefix of a token as sent, or None when it is not shaped like one of ours."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != SCHEME or len(parts[1]) != 2 * PREFIX_BYTES or not parts[2]:
        return None
    return parts[1]


def token_matches(token: str, digest: str) -> bool:
    return hmac.compare_digest(token_digest(token), digest)
