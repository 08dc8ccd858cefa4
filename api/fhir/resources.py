"""The FHIR R4 resources made from the program's rows, as plain JSON-ready dicts.

What each shows is what the partner's case managers see on the casework page, no more:
the Patient only what a case manager needs to find the person (name, aliases, date of
birth, phone, language), the ServiceRequest what the officer asked for, the Task where the
partner's work stands and its outcomes. A resource names the others by reference
("Patient/12") and never by a name or any other identity.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from api.fhir import codes
from api.fhir.selectors import TaskFacts
from deflection.models import Agency
from partners.models import ServicePartner
from referrals.models import Client, Consent, FollowUp, Referral


def instant(moment: datetime) -> str:
    """A FHIR instant: in UTC, with its zone."""
    return moment.astimezone(UTC).isoformat()


def agency_id(agency_pk: int) -> str:
    return f"agency-{agency_pk}"


def partner_id(partner_pk: int) -> str:
    return f"partner-{partner_pk}"


def organization_ref(organization: Agency | ServicePartner) -> dict:
    """A reference to an agency or a partner, with its name: organizations are not clients."""
    if isinstance(organization, Agency):
        return {"reference": f"Organization/{agency_id(organization.pk)}", "display": organization.name}
    return {"reference": f"Organization/{partner_id(organization.pk)}", "display": organization.name}


def _meta(facts: TaskFacts, referral: Referral) -> dict:
    return {"versionId": str(facts.version), "lastUpdated": instant(facts.updated_at or referral.created_at)}


def task(referral: Referral, facts: TaskFacts) -> dict:
    """The partner's work on the referral (the guide's Task for referral management): its
    status, the reason it was declined, cancelled or not completed, and the follow-ups'
    outcomes as outputs. executionPeriod runs from intake to closing."""
    status = codes.TASK_STATUS[referral.status]
    resource: dict = {
        "resourceType": "Task",
        "id": str(referral.pk),
        "meta": _meta(facts, referral),
        "status": status,
        "businessStatus": codes.concept("referral-status", referral.status),
        "intent": "order",
        "code": {"coding": [{"system": codes.TASK_CODE, "code": "fulfill", "display": "Fulfill the focal request"}]},
        "focus": {"reference": f"ServiceRequest/{referral.pk}"},
        "for": {"reference": f"Patient/{referral.client_id}"},
        "authoredOn": instant(referral.created_at),
        "lastModified": instant(facts.updated_at or referral.created_at),
        "requester": organization_ref(referral.agency),
        "owner": organization_ref(referral.partner),
    }
    reason = _status_reason(referral)
    if reason:
        resource["statusReason"] = reason
    period = {}
    if referral.intake_at:
        period["start"] = instant(referral.intake_at)
    if referral.closed_at and referral.intake_at:
        period["end"] = instant(referral.closed_at)
    if period:
        resource["executionPeriod"] = period
    if facts.outputs:
        resource["output"] = [output(follow_up) for follow_up in facts.outputs]
    return resource


def searchset(
    referrals: list[Referral], facts: dict[int, TaskFacts], *, base: str, links: dict[str, str], mark: datetime
) -> dict:
    """A search's Bundle of Tasks (`base`: …/fhir/Task); its meta.lastUpdated is `mark`, what
    the next poll passes as `_lastUpdated=gt`."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "meta": {"lastUpdated": instant(mark)},
        "link": [{"relation": relation, "url": url} for relation, url in links.items()],
        "entry": [
            {
                "fullUrl": f"{base}/{referral.pk}",
                "resource": task(referral, facts[referral.pk]),
                "search": {"mode": "match"},
            }
            for referral in referrals
        ],
    }


def _status_reason(referral: Referral) -> dict | None:
    action = codes.REASON_OF_STATUS.get(referral.status)
    if action is not None and referral.status_reason:
        name, _choices = codes.REASONS[action]
        return codes.concept(name, referral.status_reason)
    if referral.status == Referral.Status.ON_HOLD:
        return {"text": str(Referral.Status.ON_HOLD.label)}
    return None


def output(follow_up: FollowUp) -> dict:
    """A follow-up's outcome as a Task output: the guide's "resulting activity", of the
    follow-up's kind; its element id names the follow-up (follow-up-<id>)."""
    kind = codes.coding("follow-up-kind", follow_up.kind)
    return {
        "id": f"follow-up-{follow_up.pk}",
        "type": {
            "coding": [
                {"system": codes.SDOHCC_TEMPORARY, "code": "resulting-activity", "display": "Resulting Activity"},
                kind,
            ],
            "text": kind["display"],
        },
        "valueCodeableConcept": codes.concept("follow-up-outcome", follow_up.outcome),
    }


def service_request(referral: Referral, facts: TaskFacts, consents: list[Consent]) -> dict:
    """What the officer's agency asked of the partner: the pathway, the needs and substances
    the officer recorded, whether naloxone was given and the person handed over in person,
    the officer's note; the consents on file as supporting information."""
    resource: dict = {
        "resourceType": "ServiceRequest",
        "id": str(referral.pk),
        "meta": _meta(facts, referral),
        "status": codes.SERVICE_REQUEST_STATUS[referral.status],
        "intent": "order",
        "code": codes.concept("pathway", referral.pathway),
        "subject": {"reference": f"Patient/{referral.client_id}"},
        "authoredOn": instant(referral.created_at),
        "requester": organization_ref(referral.agency),
        "performer": [organization_ref(referral.partner)],
    }
    reasons = [codes.concept("need", n) for n in referral.presenting_needs if isinstance(n, str)]
    reasons += [codes.concept("substance", s) for s in referral.substances if isinstance(s, str)]
    if reasons:
        resource["reasonCode"] = reasons
    details = []
    if referral.naloxone_administered:
        details.append({"text": str(Referral._meta.get_field("naloxone_administered").verbose_name).capitalize()})
    if referral.warm_handoff:
        details.append({"text": str(Referral._meta.get_field("warm_handoff").verbose_name).capitalize()})
    if details:
        resource["orderDetail"] = details
    if consents:
        resource["supportingInfo"] = [{"reference": f"Consent/{c.pk}"} for c in consents]
    if referral.note:
        resource["note"] = [{"text": referral.note}]
    return resource


def patient(client: Client) -> dict:
    """The minimum a case manager needs to find the person: name and aliases, date of birth,
    phone, the language they prefer. Nothing once their identity was removed (retention)."""
    resource: dict = {"resourceType": "Patient", "id": str(client.pk)}
    if client.identity_removed_at is not None:
        return resource
    names = [{"use": "official", "family": client.last_name, "given": [client.first_name]}]
    names += [{"use": "nickname", "text": alias.strip()} for alias in client.aliases.split(",") if alias.strip()]
    resource["name"] = names
    if client.phone:
        resource["telecom"] = [{"system": "phone", "value": client.phone}]
    if client.date_of_birth:
        resource["birthDate"] = client.date_of_birth.isoformat()
    if client.preferred_language in ("en", "es"):
        resource["communication"] = [
            {
                "language": {
                    "coding": [{"system": codes.LANGUAGE, "code": client.preferred_language}],
                    "text": str(client.get_preferred_language_display()),
                },
                "preferred": True,
            }
        ]
    return resource


def consent(record: Consent, *, now: datetime | None = None) -> dict:
    """A 42 CFR Part 2 consent (§2.31): who may disclose (organization), what (provision.code,
    the consent's scope), to whom (provision.actor, the recipients), for what purpose, for how
    long (provision.period). Revoked or past its end it is inactive: revocation is recorded,
    never deleted."""
    now = now or timezone.now()
    period: dict = {"start": record.signed_on.isoformat()}
    ends = record.ends_at()
    if ends is not None:
        period["end"] = instant(ends)
    recipients = []
    if record.recipient_agency:
        recipients.append(record.recipient_agency)
    recipients += sorted(record.recipient_partners.all(), key=lambda p: p.pk)
    # The purpose is the client's own words on the form, not a code: a Coding with its display only.
    purpose_of_use = {"display": record.purpose}
    resource = {
        "resourceType": "Consent",
        "id": str(record.pk),
        "status": "active" if record.is_active(now) else "inactive",
        "scope": {"coding": [{"system": codes.CONSENT_SCOPE, "code": "patient-privacy", "display": "Privacy Consent"}]},
        "category": [{"coding": [{"system": codes.ACT_CODE, "code": "IDSCL", "display": "information disclosure"}]}],
        "patient": {"reference": f"Patient/{record.client_id}"},
        # The day it was signed (a dateTime may be a date alone).
        "dateTime": record.signed_on.isoformat(),
        "organization": [organization_ref(record.discloser)],
        "policy": [{"uri": codes.PART_2}],
        "policyRule": {"coding": [{"system": codes.ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"}]},
        "provision": {
            "type": "permit",
            "period": period,
            "actor": [
                {
                    "role": {
                        "coding": [{"system": codes.PARTICIPATION, "code": "IRCP", "display": "information recipient"}]
                    },
                    "reference": organization_ref(recipient),
                }
                for recipient in recipients
            ],
            "purpose": [purpose_of_use],
            "code": [codes.concept("consent-scope", record.scope)],
        },
    }
    if record.referral_id:
        resource["provision"]["data"] = [
            {"meaning": "related", "reference": {"reference": f"ServiceRequest/{record.referral_id}"}}
        ]
    return resource


def agency_organization(agency: Agency) -> dict:
    return {
        "resourceType": "Organization",
        "id": agency_id(agency.pk),
        "active": True,
        "type": [{"coding": [{"system": codes.ORGANIZATION_TYPE, "code": "govt", "display": "Government"}]}],
        "name": agency.name,
    }


def partner_organization(partner: ServicePartner) -> dict:
    resource: dict = {
        "resourceType": "Organization",
        "id": partner_id(partner.pk),
        "active": partner.is_active,
        "type": [{"coding": [{"system": codes.ORGANIZATION_TYPE, "code": "prov", "display": "Healthcare Provider"}]}],
        "name": partner.name,
    }
    if partner.phone:
        resource["telecom"] = [{"system": "phone", "value": partner.phone}]
    if partner.address:
        resource["address"] = [{"text": partner.address}]
    return resource
