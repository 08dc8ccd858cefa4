"""The partner side of the API, for a partner's record system (EHR): the partner's referrals,
one referral, each step of the lifecycle and the follow-ups' outcomes, through the same
services as the casework page (an illegal step answers 409 with the page's message)."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import audit
from api.pagination import Pages
from api.permissions import IsPartnerClient
from api.serializers.partner import (
    STEP_BODIES,
    STEPS,
    FollowUpCompleteSerializer,
    FollowUpSerializer,
    PartnerReferralDetailSerializer,
    PartnerReferralSerializer,
    follow_up_data,
    partner_referral_data,
)
from referrals import selectors, services
from referrals.models import Referral


class ListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Referral.Status.choices, required=False)
    since = serializers.DateTimeField(required=False)
    updated_since = serializers.DateTimeField(required=False)


@extend_schema(
    summary="The partner's referrals, newest first",
    parameters=[
        OpenApiParameter("status", str, enum=Referral.Status.values, description="Only those in this status."),
        OpenApiParameter(
            "since", OpenApiTypes.DATETIME, description="Only those logged at or after (ISO 8601): the new ones."
        ),
        OpenApiParameter(
            "updated_since", OpenApiTypes.DATETIME, description="Only those logged or whose status changed at or after."
        ),
    ],
    responses=PartnerReferralSerializer(many=True),
    tags=["partner"],
)
class ReferralsView(GenericAPIView):
    pagination_class = Pages
    permission_classes = [IsPartnerClient]

    def get(self, request: Request) -> Response:
        query = ListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        # Not the partner joined on every row: it is the client's own, and the rows do not name it.
        referrals = selectors.referral_list_for_user(user=request.user).select_related(None)
        referrals = referrals.select_related("client", "officer", "agency")
        if "status" in wanted:
            referrals = referrals.filter(status=wanted["status"])
        if "since" in wanted:
            referrals = referrals.filter(created_at__gte=wanted["since"])
        if "updated_since" in wanted:
            since = wanted["updated_since"]
            referrals = referrals.filter(Q(created_at__gte=since) | Q(status_changed_at__gte=since))
        page = self.paginate_queryset(referrals.order_by("-created_at", "-id"))
        audit.record(request, action=audit.Action.LISTED, what="API: referrals", subjects=audit.referral_subjects(page))
        user = request.user
        return self.get_paginated_response(
            [partner_referral_data(r, services.allowed_actions(referral=r, user=user)) for r in page]
        )


@extend_schema(summary="One of the partner's referrals", responses=PartnerReferralDetailSerializer, tags=["partner"])
class ReferralView(APIView):
    permission_classes = [IsPartnerClient]

    def get(self, request: Request, referral_id: int) -> Response:
        return Response(_referral_shown(request, referral_id))


def _referral_shown(request: Request, referral_id: int) -> dict:
    """The referral with its follow-ups, on record; 404 if it is not the partner's."""
    referral = selectors.referral_list_for_user(user=request.user).filter(pk=referral_id).first()
    if referral is None:
        raise Http404
    audit.record(
        request, action=audit.Action.VIEWED, what="API: referral", subjects=[(referral.client_id, referral.pk)]
    )
    return {
        **partner_referral_data(referral, services.allowed_actions(referral=referral, user=request.user)),
        "follow_ups": [follow_up_data(f) for f in referral.follow_ups.order_by("due_at", "id")],
    }


class StepView(APIView):
    """One step of the lifecycle on a referral of the partner (subclassed per step below)."""

    permission_classes = [IsPartnerClient]
    step = ""

    def post(self, request: Request, referral_id: int) -> Response:
        referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
        body = STEP_BODIES[self.step]
        data: dict = {}
        if body is not None:
            sent = body(data=request.data)
            sent.is_valid(raise_exception=True)
            data = sent.validated_data
        services.referral_take_step(
            action=STEPS[self.step],
            referral_id=referral.pk,
            actor=request.user,
            reason=data.get("reason", ""),
            note=data.get("note", ""),
            intake_at=data.get("intake_at"),
        )
        return Response(_referral_shown(request, referral.pk))


_SUMMARIES = {
    "accept": "Accept: the partner takes the client on (schedules the 72-hour check)",
    "decline": "Decline, with a reason",
    "intake": "Intake done: the client attended (schedules the 30/60/90-day checks)",
    "hold": "Put on hold",
    "resume": "Resume after a hold",
    "complete": "Complete: treatment finished",
    "fail": "Close as not completed, with a reason",
}


def _step_view(step: str) -> type[StepView]:
    view = type(f"{step.title()}View", (StepView,), {"step": step})
    schema = extend_schema(
        summary=_SUMMARIES[step],
        request=STEP_BODIES[step],
        responses=PartnerReferralDetailSerializer,
        tags=["partner"],
        operation_id=f"referral_{step}",
    )
    return extend_schema_view(post=schema)(view)


STEP_VIEWS = {step: _step_view(step) for step in STEPS}


@extend_schema(
    summary="Record a follow-up's outcome (once)",
    request=FollowUpCompleteSerializer,
    responses=FollowUpSerializer,
    tags=["partner"],
)
class FollowUpCompleteView(APIView):
    permission_classes = [IsPartnerClient]

    def post(self, request: Request, follow_up_id: int) -> Response:
        follow_up = selectors.follow_up_get_for_user(user=request.user, follow_up_id=follow_up_id)
        sent = FollowUpCompleteSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        done = services.follow_up_complete(
            follow_up_id=follow_up.pk,
            actor=request.user,
            outcome=sent.validated_data["outcome"],
            note=sent.validated_data["note"],
        )
        audit.record(
            request,
            action=audit.Action.VIEWED,
            what="API: follow-up",
            subjects=[(follow_up.referral.client_id, follow_up.referral_id)],
        )
        return Response(follow_up_data(done))
