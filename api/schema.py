"""What the OpenAPI description says of the API's authentication (imported by ApiConfig.ready)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.IntegrationTokenAuthentication"
    name = "integrationToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An integration client's token, made by the program administrator (Integrations).",
        }


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, in the words the pages use."},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "For invalid input: the messages for each field.",
        },
    },
    "required": ["detail"],
}
# Answers any operation may give besides its own.
_ALWAYS = {
    "401": "No token, or a token that is not valid, expired or revoked (a user's sign-in does not open the API).",
    "404": "Not found, or not this client's to see (never 403: that would confirm it exists).",
    "429": "Too many requests: wait the seconds in Retry-After.",
}
_WRITES = {
    "400": "The body is not JSON.",
    "409": "The referral's status does not allow this step now (the page's own message).",
    "413": "The body is too large.",
    "415": "The body is not application/json.",
    "422": "Some of what was sent is not valid (messages by field).",
}


def add_error_responses(result, generator, request, public):
    """Postprocessing hook: the error answers every operation may give, in one Error shape."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            extra = dict(_ALWAYS)
            if method in ("post", "put", "patch"):
                extra.update(_WRITES)
            elif any(p.get("in") == "query" and p.get("name") != "page" for p in operation.get("parameters", [])):
                extra["422"] = _WRITES["422"]
            for code, description in extra.items():
                operation["responses"].setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": ref}}}
                )
    return result
