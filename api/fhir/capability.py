"""The CapabilityStatement at /fhir/metadata: what this server does, for integrators who
have no token yet (public, like the API's OpenAPI description). It carries no client data."""

from __future__ import annotations

from api.fhir import search

# When what the statement says last changed (CapabilityStatement.date is required).
CHANGED_ON = "2026-12-06"

POLLING = (
    "Poll Task?owner=Organization/partner-<id>&_lastUpdated=gt<the last Bundle's meta.lastUpdated> "
    "at least once per business day and hourly during opening hours, and no more often than every "
    "15 minutes (the SDOH Clinical Care guide's checking task status: SHALL, SHOULD and SHOULD NOT). "
    "Or be pushed: the program administrator subscribes the client's https URL, and every change "
    "to one of the partner's referrals is POSTed within about a minute, signed (webhook-id, "
    "webhook-timestamp, webhook-signature: HMAC-SHA256), carrying the Task's reference and status "
    "only; read the Task with the client's token."
)
SECURITY = (
    "An integration client's token, made by the program administrator: Authorization: Bearer <token>. "
    "A partner's record system reads and updates that partner's referrals only; users' sign-ins do "
    "not open FHIR. Every read of a client's referral or identity is on the program's access record."
)


def _interactions(*codes_: str) -> list[dict]:
    return [{"code": code} for code in codes_]


def capability_statement(base: str) -> dict:
    """This server's CapabilityStatement, its implementation at `base` (…/fhir)."""
    read = _interactions("read")
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": CHANGED_ON,
        "publisher": "Deflection",
        "kind": "instance",
        "software": {"name": "Deflection"},
        "implementation": {
            "description": "Deflection: referrals from first responders to treatment partners",
            "url": base,
        },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "patchFormat": ["application/json-patch+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": POLLING,
                "security": {"cors": False, "description": SECURITY},
                "resource": [
                    {
                        "type": "Task",
                        "documentation": (
                            "A referral's Task for referral management: status from the referral's lifecycle, "
                            "statusReason for declines, cancellations and closings, outputs for follow-up "
                            "outcomes. A partner's system changes status (with statusReason, and "
                            "executionPeriod.start for intake) and adds outputs, by PUT or JSON Patch; an "
                            "illegal move answers 409. If-Match with the ETag (meta.versionId) is honored."
                        ),
                        "versioning": "versioned",
                        "readHistory": False,
                        "updateCreate": False,
                        "conditionalUpdate": False,
                        "interaction": _interactions("read", "update", "patch", "search-type"),
                        "searchParam": [
                            {"name": "owner", "type": "reference", "documentation": "Organization/partner-<id>"},
                            {
                                "name": "status",
                                "type": "token",
                                "documentation": "requested, accepted, rejected, in-progress, on-hold, "
                                "completed, failed, cancelled (several: comma-separated)",
                            },
                            {
                                "name": "_lastUpdated",
                                "type": "date",
                                "documentation": "gt, ge, lt or le and a moment with its zone",
                            },
                            {"name": "_id", "type": "token"},
                            {
                                "name": "_count",
                                "type": "number",
                                "documentation": f"{search.PAGE} a page by default, {search.MOST} at most",
                            },
                        ],
                    },
                    {
                        "type": "ServiceRequest",
                        "documentation": "The referral as the officer's agency made it: pathway, needs, consents.",
                        "interaction": read,
                    },
                    {
                        "type": "Patient",
                        "documentation": "The client, minimum necessary, to the partner the referral went to.",
                        "interaction": read,
                    },
                    {
                        "type": "Consent",
                        "documentation": "A client's 42 CFR Part 2 consents (inactive: revoked or ended).",
                        "interaction": read,
                    },
                    {
                        "type": "Organization",
                        "documentation": "Agencies (agency-<id>) and partners (partner-<id>).",
                        "interaction": read,
                    },
                ],
            }
        ],
    }
