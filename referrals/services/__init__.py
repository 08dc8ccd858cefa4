"""Writes for officers, clients and referrals. Each is atomic and keyword-only.

A referral's status changes only here, and each change writes its CaseEvent in the
same transaction (events). Nothing here waits on the Celery broker. Callers import this
package; its modules are deflections (logging one: officers, new clients, referrals,
officer contacts), lifecycle (the moves between statuses and the follow-ups they
schedule), consent, clients (merges, and the question a deflection logged with no signal
may leave) and checkins (the referring officer's check-ins).
"""

from __future__ import annotations

from referrals.services.checkins import CheckInRefused, agency_today, check_in_record
from referrals.services.clients import PossibleDuplicateRefused, client_merge, possible_duplicate_resolve
from referrals.services.consent import REVOCATION_TERMS, consent_capture, consent_revoke
from referrals.services.deflections import (
    CLOCK_DRIFT,
    LOG_WINDOW,
    POSSIBLY_KNOWN,
    Logged,
    NewClient,
    PossibleDuplicates,
    client_create,
    officer_for_user,
    referral_create,
    validate_occurred_at,
)
from referrals.services.lifecycle import (
    ACTION_ORDER,
    ACTION_PAST,
    CHECK_72H,
    CLOSED_STATUSES,
    CONTACT_KINDS,
    RETENTION_CHECKS,
    TRANSITIONS,
    TransitionRefused,
    allowed_actions,
    follow_up_complete,
    follow_up_create,
    referral_accept,
    referral_cancel,
    referral_complete,
    referral_fail,
    referral_hold,
    referral_mark_seen,
    referral_record_intake,
    referral_reject,
    referral_resume,
)

__all__ = [
    "ACTION_ORDER",
    "ACTION_PAST",
    "CHECK_72H",
    "CLOCK_DRIFT",
    "CLOSED_STATUSES",
    "CONTACT_KINDS",
    "LOG_WINDOW",
    "POSSIBLY_KNOWN",
    "RETENTION_CHECKS",
    "REVOCATION_TERMS",
    "TRANSITIONS",
    "Logged",
    "NewClient",
    "PossibleDuplicateRefused",
    "PossibleDuplicates",
    "TransitionRefused",
    "CheckInRefused",
    "agency_today",
    "allowed_actions",
    "check_in_record",
    "client_create",
    "client_merge",
    "consent_capture",
    "consent_revoke",
    "follow_up_complete",
    "follow_up_create",
    "officer_for_user",
    "possible_duplicate_resolve",
    "referral_accept",
    "referral_cancel",
    "referral_complete",
    "referral_create",
    "referral_fail",
    "referral_hold",
    "referral_mark_seen",
    "referral_record_intake",
    "referral_reject",
    "referral_resume",
    "validate_occurred_at",
]
