"""The agency side of the API, for an agency's records or dispatch system (RMS/CAD): log a
deflection for one of its officers, and read the agency's referrals as police see them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import audit
from api.pagination import Pages
from api.permissions import IsAgencyClient
from api.serializers.agency import (
    AgencyReferralSerializer,
    DeflectionCreateSerializer,
    DeflectionLoggedSerializer,
    PossibleMatchSerializer,
    agency_referral_data,
)
from partners.selectors import partner_list_for_agency
from referrals import police_disclosure, selectors, services


class ListQuery(serializers.Serializer):
    incident_number = serializers.CharField(max_length=40, required=False)
    logged_since = serializers.DateTimeField(required=False)


class DeflectionsView(GenericAPIView):
    pagination_class = Pages
    """The agency's deflections: list them (GET), log one (POST)."""

    permission_classes = [IsAgencyClient]

    @extend_schema(
        summary="The agency's deflections, as police see them",
        parameters=[
            OpenApiParameter("incident_number", str, description="Only those with this incident number."),
            OpenApiParameter(
                "logged_since", OpenApiTypes.DATETIME, description="Only those logged at or after (ISO 8601)."
            ),
        ],
        responses=AgencyReferralSerializer(many=True),
        tags=["agency"],
    )
    def get(self, request: Request) -> Response:
        query = ListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        referrals = selectors.referral_list_for_user(user=request.user)
        if "incident_number" in query.validated_data:
            referrals = referrals.filter(incident_number=query.validated_data["incident_number"].strip())
        if "logged_since" in query.validated_data:
            # By when it was logged only: a filter on status changes would tell police when
            # something happened on a referral that no consent lets them see.
            referrals = referrals.filter(created_at__gte=query.validated_data["logged_since"])
        page = self.paginate_queryset(referrals.order_by("-created_at", "-id"))
        rows = police_disclosure.officer_views(page)
        audit.record(
            request, action=audit.Action.LISTED, what="API: deflections", subjects=audit.referral_subjects(page)
        )
        return self.get_paginated_response([agency_referral_data(r, view) for r, view in rows])

    @extend_schema(
        summary="Log a deflection for one of the agency's officers",
        request=DeflectionCreateSerializer,
        responses={201: DeflectionLoggedSerializer, 200: DeflectionLoggedSerializer},
        tags=["agency"],
    )
    def post(self, request: Request) -> Response:
        body = DeflectionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = request.user
        try:
            with transaction.atomic():
                logged = self._log(request, data)
                if logged.created and not logged.is_contact:
                    # Just made: requested, and no consent on it yet, so police see only
                    # that the partner has it; its access record commits with it.
                    shown = agency_referral_data(
                        logged.referral, police_disclosure.officer_view(logged.referral, consents=[])
                    )
                    _record_shown(request, logged.referral)
                    return _logged_response(shown, logged)
        except services.PossibleDuplicates as error:
            return self._possible_duplicates(request, error)
        except ValidationError:
            # Saved before under this key (a retry), and no longer valid as sent (the new
            # client it made now looks like a possible duplicate, say): answer what was saved.
            already = selectors.referral_for_submission(user=user, token=str(data["submission_key"]))
            if already is None:
                raise
            logged = services.Logged(referral=already, created=False)
        return _logged_response(_shown_as_police_see_it(request, logged.referral.pk), logged)

    def _log(self, request: Request, data: dict) -> services.Logged:
        user = request.user
        officer = services.officer_for_badge(agency_id=user.agency_id, badge_number=data["officer_badge"])
        listed = partner_list_for_agency(agency_id=user.agency_id)
        partner = next((p for p in listed.partners if p.pk == data["partner_id"]), None)
        if partner is None:
            raise ValidationError({"partner_id": _("Choose one of the partners serving your agency.")})
        client = None
        if data["client_id"] is not None:
            client = selectors.client_for_logging(user=user, client_id=data["client_id"])
            if client is None:
                raise ValidationError({"client_id": str(services.CLIENT_NOT_KNOWN)})
        new_client = services.NewClient(**data["new_client"]) if data["new_client"] is not None else None
        minutes = data["officer_minutes"]
        return services.referral_create(
            officer_user=user,
            officer=officer,
            partner=partner,
            listed_partners=listed,
            client=client,
            new_client=new_client,
            confirm_new=data["confirm_new"],
            submission_token=data["submission_key"],
            incident_number=data["incident_number"],
            pathway=data["pathway"],
            occurred_at=data["occurred_at"],
            officer_minutes=user.agency.default_deflection_minutes if minutes is None else minutes,
            location=data["location"],
            presenting_needs=data["presenting_needs"],
            substances=data["substances"],
            naloxone_administered=data["naloxone_administered"],
            charge_deflected=data["charge_deflected"],
            warm_handoff=data["warm_handoff"],
            note=data["note"],
        )

    def _possible_duplicates(self, request: Request, error: services.PossibleDuplicates) -> Response:
        """As the log form shows the officer: who the new client may be, on record like a search."""
        audit.record(
            request,
            action=audit.Action.SEARCH_RESULT,
            what="API: possible duplicates",
            subjects=audit.client_subjects(error.clients),
        )
        matches = [
            {"client_id": c.pk, "first_name": c.first_name, "last_name": c.last_name, "date_of_birth": c.date_of_birth}
            for c in error.clients
        ]
        return Response(
            {
                "detail": " ".join(error.messages),
                "errors": error.message_dict,
                "possible_matches": PossibleMatchSerializer(matches, many=True).data,
            },
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )


@extend_schema(
    summary="One of the agency's deflections, as police see it",
    responses=AgencyReferralSerializer,
    tags=["agency"],
)
class DeflectionView(APIView):
    permission_classes = [IsAgencyClient]

    def get(self, request: Request, referral_id: int) -> Response:
        return Response(_shown_as_police_see_it(request, referral_id))


def _logged_response(shown: dict, logged: services.Logged) -> Response:
    data = {**shown, "created": logged.created, "officer_contact": logged.is_contact}
    return Response(data, status=status.HTTP_201_CREATED if logged.created else status.HTTP_200_OK)


def _record_shown(request: Request, referral) -> None:
    subjects = [(referral.client_id, referral.pk)]
    audit.record(request, action=audit.Action.VIEWED, what="API: deflection", subjects=subjects)


def _shown_as_police_see_it(request: Request, referral_id: int) -> dict:
    """One of the agency's referrals as its officers see it, on record; 404 if not the agency's."""
    visible = police_disclosure.with_officer_view(selectors.referral_list_for_user(user=request.user))
    referral = visible.filter(pk=referral_id).first()
    if referral is None:
        raise Http404
    _record_shown(request, referral)
    return agency_referral_data(referral, police_disclosure.officer_view(referral))
