"""The codes the FHIR resources carry: FHIR's own where one fits (Task.status), the program's
own code systems (pathways, needs, reasons, follow-ups) under the server's base otherwise."""

from __future__ import annotations

from django.conf import settings

from referrals.models import Consent, FollowUp, Need, Pathway, Referral, Substance

# FHIR's and the guide's code systems.
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
SDOHCC_TEMPORARY = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
LANGUAGE = "urn:ietf:bcp:47"
PART_2 = "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2"

S = Referral.Status
# The referral's lifecycle is Task's (DESIGN.md): one status each, spelled FHIR's way.
TASK_STATUS = {
    S.REQUESTED: "requested",
    S.ACCEPTED: "accepted",
    S.REJECTED: "rejected",
    S.CANCELLED: "cancelled",
    S.IN_PROGRESS: "in-progress",
    S.ON_HOLD: "on-hold",
    S.COMPLETED: "completed",
    S.FAILED: "failed",
}
REFERRAL_STATUS = {task: referral for referral, task in TASK_STATUS.items()}
# Task statuses a referral never takes (the guide's value set leaves out ready and received).
OTHER_TASK_STATUSES = frozenset({"draft", "received", "ready", "entered-in-error"})
# The request itself, as the officer's agency made it: open while the partner works it.
SERVICE_REQUEST_STATUS = {
    S.REQUESTED: "active",
    S.ACCEPTED: "active",
    S.IN_PROGRESS: "active",
    S.ON_HOLD: "on-hold",
    S.COMPLETED: "completed",
    S.REJECTED: "revoked",
    S.CANCELLED: "revoked",
    S.FAILED: "revoked",
}
# The moves (referrals.services.TRANSITIONS) that lead to each status, tried in this order:
# resuming goes back to where the referral was, accepted or in treatment.
STEPS_TO = {
    "accepted": ("accept", "resume"),
    "rejected": ("reject",),
    "cancelled": ("cancel",),
    "in-progress": ("record_intake", "resume"),
    "on-hold": ("hold",),
    "completed": ("complete",),
    "failed": ("fail",),
}
# Each closing move's reasons, and the code system that names them.
REASONS = {
    "reject": ("reject-reason", Referral.RejectReason),
    "cancel": ("cancel-reason", Referral.CancelReason),
    "fail": ("fail-reason", Referral.FailReason),
}
REASON_OF_STATUS = {S.REJECTED: "reject", S.CANCELLED: "cancel", S.FAILED: "fail"}

CHOICES = {
    "pathway": Pathway,
    "need": Need,
    "substance": Substance,
    "referral-status": Referral.Status,
    "reject-reason": Referral.RejectReason,
    "cancel-reason": Referral.CancelReason,
    "fail-reason": Referral.FailReason,
    "follow-up-kind": FollowUp.Kind,
    "follow-up-outcome": FollowUp.Outcome,
    "consent-scope": Consent.Scope,
}


def fhir_base() -> str:
    """The FHIR server's base as the deployment is reached (SITE_URL): what the program's
    own code systems are named under, the same whoever asks."""
    return f"{settings.SITE_URL.rstrip('/')}/fhir"


def system(name: str) -> str:
    """The URI of one of the program's code systems (CHOICES)."""
    return f"{fhir_base()}/CodeSystem/{name}"


# Each code system's labels by code (lazy: translated when shown).
LABELS = {name: dict(choices.choices) for name, choices in CHOICES.items()}


def coding(name: str, code: str) -> dict:
    """A Coding of the program's code system `name`, with the code's label as display."""
    label = LABELS[name].get(code)
    return {"system": system(name), "code": code, "display": code if label is None else str(label)}


def concept(name: str, code: str) -> dict:
    """A CodeableConcept of one of the program's codes, its label as text."""
    one = coding(name, code)
    return {"coding": [one], "text": one["display"]}


def code_in(value, name: str) -> str | None:
    """The program's code of system `name` in a CodeableConcept as sent (a coding of that
    system, or of none), or None: never a server error for a shape that is wrong."""
    if not isinstance(value, dict) or not isinstance(value.get("coding", []), list):
        return None
    for one in value.get("coding", []):
        if not isinstance(one, dict) or one.get("system") not in (None, system(name)):
            continue
        code = one.get("code")
        if isinstance(code, str) and code in LABELS[name]:
            return code
    return None
