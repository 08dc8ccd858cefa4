"""FHIR's JSON: answered as application/fhir+json (or application/json to a client that
asks for that), read from either, and JSON Patch for PATCH. No XML: the CapabilityStatement
says json only, and asking for XML answers 406."""

from __future__ import annotations

from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer

FHIR_JSON = "application/fhir+json"
JSON_PATCH = "application/json-patch+json"


class FhirJSONRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir+json"
    charset = "utf-8"


class PlainJSONRenderer(JSONRenderer):
    """For clients that ask for application/json, as FHIR allows."""

    charset = "utf-8"


class FhirJSONParser(JSONParser):
    media_type = FHIR_JSON


class JSONPatchParser(JSONParser):
    media_type = JSON_PATCH


RENDERERS = [FhirJSONRenderer, PlainJSONRenderer]
PARSERS = [FhirJSONParser, JSONParser, JSONPatchParser]
