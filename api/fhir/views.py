"""The FHIR endpoints: thin views over api.fhir's selectors, resources and one service.

A partner's record system only (api.permissions.IsPartnerClient: an agency's system gets
404, a user's session 401), authenticated and rate limited like the REST API; every
response that shows a referral or a client is on the access record (api.audit).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAcceptable, NotFound, UnsupportedMediaType
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import audit
from api.fhir import errors, resources, search, selectors, services, updates
from api.fhir.capability import capability_statement
from api.fhir.rendering import JSON_PATCH, PARSERS, RENDERERS
from api.permissions import IsPartnerClient
from referrals import selectors as referral_selectors
from referrals.models import Referral

JSON_FORMATS = {"json", "application/json", "application/fhir+json"}
# The largest Task a partner's system sends: a Task with its outputs is a few kilobytes.
MOST_BODY_BYTES = 64 * 1024


def fhir_base(request: Request) -> str:
    """The base URL the client called (…/fhir), for fullUrl and the Bundle's links."""
    return request.build_absolute_uri(reverse("fhir:metadata")).rsplit("/", 1)[0]


@extend_schema(exclude=True)  # FHIR describes itself (/fhir/metadata), not in the API's OpenAPI
class FhirView(APIView):
    renderer_classes = RENDERERS
    parser_classes = PARSERS
    permission_classes = [IsPartnerClient]

    def get_exception_handler(self):
        return errors.exception_handler

    def initial(self, request: Request, *args, **kwargs) -> None:
        wanted = request.query_params.get("_format")
        if wanted is not None and wanted not in JSON_FORMATS:
            raise NotAcceptable(_("This server answers JSON only."))
        length = request.META.get("CONTENT_LENGTH") or "0"
        if request.method in ("PUT", "PATCH", "POST") and (not length.isdecimal() or int(length) > MOST_BODY_BYTES):
            raise errors.FhirError(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "too-costly", _("The body is too large."))
        super().initial(request, *args, **kwargs)


class MetadataView(FhirView):
    """The CapabilityStatement: public, like the API's description."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def get(self, request: Request) -> Response:
        return Response(capability_statement(fhir_base(request)))


class TaskSearchView(FhirView):
    def get(self, request: Request) -> Response:
        wanted = search.task_search(request.query_params)
        mark = search.poll_mark()
        page, more = search.tasks_found(user=request.user, wanted=wanted)
        audit.record(
            request, action=audit.Action.LISTED, what="FHIR: Task search", subjects=audit.referral_subjects(page)
        )
        base = f"{fhir_base(request)}/Task"
        links = {"self": wanted.link(base, cursor=wanted.cursor)}
        if more:
            links["next"] = wanted.link(base, cursor=page[-1].pk)
        return Response(resources.searchset(page, selectors.task_facts(page), base=base, links=links, mark=mark))


class TaskView(FhirView):
    def get(self, request: Request, referral_id: int) -> Response:
        return self._shown(request, selectors.referral_for_fhir(user=request.user, referral_id=referral_id))

    def put(self, request: Request, referral_id: int) -> Response:
        return self._changed(request, referral_id, lambda current: request.data)

    def patch(self, request: Request, referral_id: int) -> Response:
        if request.content_type.split(";")[0].strip() != JSON_PATCH:
            raise UnsupportedMediaType(request.content_type, _("Send a JSON Patch (application/json-patch+json)."))
        return self._changed(request, referral_id, lambda current: updates.json_patch(current, request.data))

    def _changed(self, request: Request, referral_id: int, patched) -> Response:
        referral = selectors.referral_for_fhir(user=request.user, referral_id=referral_id)
        facts = selectors.task_facts([referral])[referral.pk]
        _check_version(request, facts.version)
        follow_ups = list(referral.follow_ups.all())
        sent = patched(resources.task(referral, facts))
        change = updates.task_change(sent, referral=referral, follow_ups=follow_ups)
        services.task_update(referral=referral, actor=request.user, change=change)
        return self._shown(request, selectors.referral_for_fhir(user=request.user, referral_id=referral_id))

    def _shown(self, request: Request, referral: Referral) -> Response:
        _viewed(request, "Task", referral.client_id, referral.pk)
        facts = selectors.task_facts([referral])[referral.pk]
        return Response(resources.task(referral, facts), headers={"ETag": f'W/"{facts.version}"'})


def _viewed(request: Request, resource_type: str, client_id: int, referral_id: int | None) -> None:
    """On the access record: the client was shown this resource of the client (and referral)."""
    audit.record(
        request, action=audit.Action.VIEWED, what=f"FHIR: {resource_type}", subjects=[(client_id, referral_id)]
    )


def _check_version(request: Request, version: int) -> None:
    """If-Match: the change is made only to the version the client read (412 otherwise)."""
    wanted = request.headers.get("If-Match")
    if wanted is None:
        return
    if wanted.strip().removeprefix("W/").strip('"') != str(version):
        raise errors.FhirError(
            status.HTTP_412_PRECONDITION_FAILED,
            "conflict",
            _("The Task has changed since this version: read it again."),
        )


class ServiceRequestView(FhirView):
    def get(self, request: Request, referral_id: int) -> Response:
        referral = selectors.referral_for_fhir(user=request.user, referral_id=referral_id)
        _viewed(request, "ServiceRequest", referral.client_id, referral.pk)
        facts = selectors.task_facts([referral])[referral.pk]
        return Response(resources.service_request(referral, facts, selectors.consents_of(referral)))


class PatientView(FhirView):
    def get(self, request: Request, client_id: int) -> Response:
        client = referral_selectors.client_get_for_user(user=request.user, client_id=client_id)
        _viewed(request, "Patient", client.pk, None)
        return Response(resources.patient(client))


class ConsentView(FhirView):
    def get(self, request: Request, consent_id: int) -> Response:
        consent = selectors.consent_for_fhir(user=request.user, consent_id=consent_id)
        _viewed(request, "Consent", consent.client_id, consent.referral_id)
        return Response(resources.consent(consent))


class OrganizationView(FhirView):
    def get(self, request: Request, organization_id: str) -> Response:
        kind, _dash, number = organization_id.partition("-")
        if not number.isdecimal() or len(number) > 18:
            raise NotFound
        if kind == "agency":
            agency = selectors.agencies_for(user=request.user).filter(pk=int(number)).first()
            if agency is not None:
                return Response(resources.agency_organization(agency))
        if kind == "partner":
            partner = selectors.partners_for(user=request.user).filter(pk=int(number)).first()
            if partner is not None:
                return Response(resources.partner_organization(partner))
        raise NotFound


class UnsupportedView(FhirView):
    """Any other path under /fhir/: a resource type or operation this server does not have."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def _refuse(self, request: Request, *args, **kwargs) -> Response:
        raise errors.FhirError(
            status.HTTP_404_NOT_FOUND, "not-supported", _("This server has no such resource type or operation.")
        )

    get = post = put = patch = delete = _refuse
