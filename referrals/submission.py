"""The log form's submission token: what finds the deflection a form already saved (a double
tap, a resubmitted form), signed with the time the form was shown so that the save can tell
how long logging took, as the server saw it, at the cost of one HMAC and no query.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.signing import BadSignature, Signer
from django.utils import timezone

_SALT = "referrals.log-form-shown"
# Longer than this from showing the form to saving it, the form was left open (a phone in a
# pocket, a tab kept overnight): not a measure of logging.
LONGEST_MEASURED = timedelta(hours=2)


@dataclass(frozen=True)
class Submission:
    """A submitted token: the form's UUID, and when the form was shown if the signature holds."""

    token: uuid.UUID
    shown_at: datetime | None  # None: not measured (an unsigned or tampered token)


def submission_token_new(*, now: datetime | None = None) -> str:
    """A fresh token for a log form about to be shown: "<uuid>:<unix seconds>:<signature>"."""
    shown = int((now or timezone.now()).timestamp())
    return Signer(salt=_SALT).sign(f"{uuid.uuid4()}:{shown}")


def submission_read(value: str) -> Submission | None:
    """The token in a posted value, or None when it holds no UUID. A bare UUID (a client that
    makes its own) or a value whose signature fails still finds its deflection, unmeasured."""
    text = str(value or "").strip()
    try:
        token = uuid.UUID(text.split(":", 1)[0])
    except ValueError:
        return None
    try:
        _token, shown = Signer(salt=_SALT).unsign(text).split(":")
        shown_at = datetime.fromtimestamp(int(shown), tz=UTC)
    except (BadSignature, ValueError, OverflowError, OSError):
        shown_at = None
    return Submission(token=token, shown_at=shown_at)


def seconds_to_log(*, shown_at: datetime | None, now: datetime) -> int | None:
    """Seconds from the form being shown to the deflection being saved, or None when not
    measured or not believable (a clock gone backwards, a form left open for hours)."""
    if shown_at is None:
        return None
    elapsed = now - shown_at
    if elapsed < timedelta(0) or elapsed > LONGEST_MEASURED:
        return None
    return int(elapsed.total_seconds())
