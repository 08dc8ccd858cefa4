"""FHIR in tests: a partner's system calling /fhir/, and every resource it is sent checked
against the R4B models of fhir.resources (R4B's Task, ServiceRequest, Patient and Consent
are R4's)."""

from __future__ import annotations

import json

from fhir.resources.R4B import get_fhir_model_class

from tests.factories.api import api_client, integration_client

FHIR_JSON = "application/fhir+json"
# Task.status as the SDOH Clinical Care guide's value set has it (TaskStatus less ready, received).
GUIDE_TASK_STATUSES = {
    "draft",
    "requested",
    "accepted",
    "rejected",
    "cancelled",
    "in-progress",
    "on-hold",
    "failed",
    "completed",
    "entered-in-error",
}


def valid(resource: dict) -> dict:
    """The resource, after checking it against its R4B model (extra elements, wrong types and
    missing required elements fail); Bundles' entries and Task statuses are checked too."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    if resource["resourceType"] == "Task":
        assert resource["status"] in GUIDE_TASK_STATUSES
    for entry in resource.get("entry", []) if resource["resourceType"] == "Bundle" else []:
        valid(entry["resource"])
    return resource


class Ehr:
    """A partner's record system: its integration client and an HTTP client with its token."""

    def __init__(self, cast, partner, name: str = "") -> None:
        self.integration, token = integration_client(cast, partner=partner, name=name or f"{partner.name} EHR")
        self.http = api_client(token, HTTP_ACCEPT=FHIR_JSON)

    def get(self, path: str, params: dict | None = None):
        return self.http.get(path, params or {})

    def read(self, path: str, params: dict | None = None) -> dict:
        """GET a resource that must come back 200 and valid."""
        response = self.get(path, params)
        assert response.status_code == 200, response.content[:500]
        assert response["Content-Type"].startswith(FHIR_JSON)
        return valid(response.json())

    def put(self, path: str, resource: dict, **headers):
        return self.http.put(path, json.dumps(resource), content_type=FHIR_JSON, **headers)

    def patch(self, path: str, operations: list, **headers):
        return self.http.patch(path, json.dumps(operations), content_type="application/json-patch+json", **headers)


def refused(response, code: int) -> dict:
    """The OperationOutcome of a refusal with this status (checked against its R4B model)."""
    assert response.status_code == code, (response.status_code, response.content[:500])
    body = valid(response.json())
    assert body["resourceType"] == "OperationOutcome"
    return body


def diagnostics(outcome: dict) -> str:
    return " ".join(issue.get("diagnostics", "") for issue in outcome["issue"])
