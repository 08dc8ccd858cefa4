"""Every FHIR error answers an OperationOutcome, in the words the pages use.

A move the lifecycle refuses answers 409 with the page's message (as the REST API does);
input the services refuse answers 422, one issue per field; a body that is not a FHIR
resource of the right kind 400; authentication 401 with its challenge; a resource not the
client's to see 404 (never 403: that would confirm it exists); rate limits 429 with
Retry-After. An unexpected failure is logged, as Django logs it, and answers 500.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from referrals.services import TransitionRefused

logger = logging.getLogger("api.fhir")


class FhirError(Exception):
    """A refusal with its HTTP status, FHIR issue code and message (and the element it is about)."""

    def __init__(self, status_code: int, code: str, message: str, expression: str | None = None) -> None:
        super().__init__(message)
        self.status_code, self.code, self.message, self.expression = status_code, code, message, expression


def invalid(message: str, expression: str | None = None) -> FhirError:
    """Input that is well formed but cannot be taken (422)."""
    return FhirError(status.HTTP_422_UNPROCESSABLE_ENTITY, "invalid", message, expression)


def structure(message: str, expression: str | None = None) -> FhirError:
    """A body or a parameter that is not what FHIR says it must be (400)."""
    return FhirError(status.HTTP_400_BAD_REQUEST, "structure", message, expression)


def issue(code: str, message: str, expression: str | None = None, severity: str = "error") -> dict:
    found = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        found["expression"] = [expression]
    return found


def outcome(*issues: dict) -> dict:
    return {"resourceType": "OperationOutcome", "issue": list(issues)}


# DRF's refusals: (issue code) by exception class, most specific first.
_DRF_CODES: tuple[tuple[type[exceptions.APIException], str], ...] = (
    (exceptions.NotAuthenticated, "login"),
    (exceptions.AuthenticationFailed, "login"),
    (exceptions.NotFound, "not-found"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.Throttled, "throttled"),
    (exceptions.ParseError, "structure"),
    (exceptions.UnsupportedMediaType, "not-supported"),
    (exceptions.NotAcceptable, "not-supported"),
    (exceptions.MethodNotAllowed, "not-supported"),
    (exceptions.ValidationError, "invalid"),
)


def exception_handler(error, context) -> Response:
    """The FHIR views' DRF exception handler (FhirView.get_exception_handler)."""
    if isinstance(error, FhirError):
        return _answer(error.status_code, issue(error.code, error.message, error.expression))
    if isinstance(error, Http404):
        error = exceptions.NotFound()
    if isinstance(error, DjangoValidationError):
        return _validation(error)
    if isinstance(error, exceptions.APIException):
        return _drf(error)
    # What DRF would let through as a server error: logged as Django logs one, answered in FHIR.
    logger.exception("FHIR request failed", exc_info=error)
    return _answer(status.HTTP_500_INTERNAL_SERVER_ERROR, issue("exception", _("The server could not do this.")))


def _drf(error: exceptions.APIException) -> Response:
    code = next((c for cls, c in _DRF_CODES if isinstance(error, cls)), "processing")
    if isinstance(error, exceptions.NotAuthenticated):
        message = _(
            "Send an integration client's token: Authorization: Bearer <token>. A user's sign-in does not open the API."
        )
    elif isinstance(error, exceptions.NotFound):
        message = _("Not found, or not this client's to see.")
    elif isinstance(error, exceptions.ValidationError):
        message = _("Some of what was sent is not valid.")
    else:
        message = str(error.detail)
    headers = {}
    if getattr(error, "auth_header", None):
        headers["WWW-Authenticate"] = error.auth_header
    if getattr(error, "wait", None):
        headers["Retry-After"] = str(int(error.wait))
    return _answer(error.status_code, issue(code, message), headers=headers)


def _validation(error: DjangoValidationError) -> Response:
    if hasattr(error, "error_dict"):
        issues = [
            issue("invalid", str(message), _FIELD_ELEMENTS.get(field, None))
            for field, messages in error.message_dict.items()
            for message in messages
        ]
        return _answer(status.HTTP_422_UNPROCESSABLE_ENTITY, *issues)
    message = " ".join(str(m) for m in error.messages)
    if isinstance(error, TransitionRefused):
        # The step itself is refused (taken already, not allowed now): the page's words.
        return _answer(status.HTTP_409_CONFLICT, issue("business-rule", message))
    return _answer(status.HTTP_422_UNPROCESSABLE_ENTITY, issue("invalid", message))


# The services' field names, as the Task elements that carry them.
_FIELD_ELEMENTS = {
    "reason": "Task.statusReason",
    "intake_at": "Task.executionPeriod.start",
    "outcome": "Task.output.valueCodeableConcept",
}


def _answer(code: int, *issues: dict, headers: dict | None = None) -> Response:
    return Response(outcome(*issues), status=code, headers=headers)
