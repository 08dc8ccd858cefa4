"""Which integration clients may call a view; the rules themselves are deflection.permissions'.

A client of the wrong kind (a partner's system on an agency's endpoint) gets 404, as a
user gets for a page that is not theirs: never 403, which would confirm what is there.
"""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission

from api.models import IntegrationClient
from deflection import permissions


class IsIntegrationClient(BasePermission):
    """Any integration client with a valid token (api.authentication); nobody else."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user is not None
            and user.is_authenticated
            and user.is_integration
            and isinstance(request.auth, IntegrationClient)
        )


class IsAgencyClient(IsIntegrationClient):
    """An agency's records or dispatch system."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if not permissions.is_agency_client(request.user):
            raise NotFound
        return True


class IsPartnerClient(IsIntegrationClient):
    """A partner's record system."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if not permissions.is_partner_client(request.user):
            raise NotFound
        return True
