"""The API's errors in the words the pages use.

A move the lifecycle refuses (accepted already, not allowed from this status) answers 409
with the page's message; input the services refuse answers 422, field by field; the rest
is DRF's (401 with a challenge, 404, 429 with Retry-After). Bodies are JSON:
{"detail": "...", "errors": {"field": ["..."]}}.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from referrals.services import TransitionRefused


def exception_handler(error, context):
    if isinstance(error, RequestDataTooBig):
        # Refused by Django before reading past DATA_UPLOAD_MAX_MEMORY_SIZE.
        return Response({"detail": _("The body is too large.")}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(error, DjangoValidationError):
        return _validation_response(error)
    if isinstance(error, exceptions.ValidationError):
        return Response(
            {"detail": _("Some of what was sent is not valid."), "errors": _field_errors(error.detail)},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if isinstance(error, exceptions.NotAuthenticated):
        # The same exception (DRF put its challenge on it), in clearer words.
        error.detail = exceptions.ErrorDetail(
            _(
                "Send an integration client's token: Authorization: Bearer <token>. "
                "A user's sign-in does not open the API."
            ),
            code=error.default_code,
        )
    return drf_exception_handler(error, context)


def _validation_response(error: DjangoValidationError) -> Response:
    if hasattr(error, "error_dict"):
        errors = {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
        detail = " ".join(m for messages in errors.values() for m in messages)
        return Response({"detail": detail, "errors": errors}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    detail = " ".join(str(m) for m in error.messages)
    # A refusal of the step itself (taken already, not allowed now): a conflict with the
    # referral's state, said as the page says it.
    code = status.HTTP_409_CONFLICT if isinstance(error, TransitionRefused) else status.HTTP_422_UNPROCESSABLE_ENTITY
    return Response({"detail": detail}, status=code)


def _field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {field: _flatten(messages) for field, messages in detail.items()}
    return {"non_field_errors": _flatten(detail)}


def _flatten(messages) -> list[str]:
    if isinstance(messages, dict):
        return [f"{key}: {m}" for key, value in messages.items() for m in _flatten(value)]
    if isinstance(messages, list):
        return [m for item in messages for m in _flatten(item)]
    return [str(messages)]
