"""Writes for officers, clients and referrals. Each is atomic and keyword-only.

A referral's status changes only here, and each change writes its CaseEvent in the
same transaction (events). Nothing here waits on the Celery broker. Callers import this
package; its modules are deflections (logging one: officers, new clients, referrals,
officer contacts), lifecycle (the moves between statuses and the follow-ups they
schedule), consent, clients (merges), checkins (the referring officer's check-ins) and charges (the
charge held on the officer intervention pathway, and its decision).
"""

from __future__ import annotations

from referrals.services.charges import (
    CHARGE_TRANSITIONS,
    ChargeRefused,
    HeldChargeData,
    held_charge_satisfy,
    held_charge_withdraw,
    held_charges_decide_due,
)
from referrals.services.checkins import CheckInRefused, agency_today, check_in_record
from referrals.services.clients import client_merge
from referrals.services.consent import (
    CJ_REVOCATION_TERMS,
    REVOCATION_TERMS,
    consent_capture,
    consent_capture_for_charge,
    consent_revoke,
    criminal_justice_consent_new,
)
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
    "CHARGE_TRANSITIONS",
    "CJ_REVOCATION_TERMS",
    "ChargeRefused",
    "HeldChargeData",
    "consent_capture_for_charge",
    "criminal_justice_consent_new",
    "held_charge_satisfy",
    "held_charge_withdraw",
    "held_charges_decide_due",
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
