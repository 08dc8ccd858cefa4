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


class _ClientOfKind(IsIntegrationClient):
    """A client of one kind (`rule`, of deflection.permissions); another valid client: 404."""

    rule = staticmethod(lambda user: False)

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if not self.rule(request.user):
            raise NotFound
        return True


class IsAgencyClient(_ClientOfKind):
    """An agency's records or dispatch system."""

    rule = staticmethod(permissions.is_agency_client)


class IsPartnerClient(_ClientOfKind):
    """A partner's record system."""

    rule = staticmethod(permissions.is_partner_client)
