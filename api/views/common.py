"""What every API view shares: who is calling, and the endpoint that tells a client itself."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from api.models import IntegrationClient


def calling_client(request: Request) -> IntegrationClient:
    """The integration client of an authenticated API request (api.authentication)."""
    return request.auth  # type: ignore[return-value]


class MeSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The integration client's name.")
    kind = serializers.ChoiceField(choices=["partner", "agency"], help_text="Whom the client acts for.")
    partner_id = serializers.IntegerField(allow_null=True)
    agency_id = serializers.IntegerField(allow_null=True)
    acts_for = serializers.CharField(help_text="The partner's or the agency's name.")
    expires_at = serializers.DateTimeField()


@extend_schema(responses=MeSerializer, summary="The calling integration client", tags=["client"])
@api_view(["GET"])
def me(request: Request) -> Response:
    """Who the token belongs to: to check a token and its expiry before going further."""
    client = calling_client(request)
    data = {
        "name": client.name,
        "kind": "partner" if client.is_partner_client else "agency",
        "partner_id": client.partner_id,
        "agency_id": client.agency_id,
        "acts_for": str(client.scope),
        "expires_at": client.expires_at,
    }
    return Response(MeSerializer(data).data)
