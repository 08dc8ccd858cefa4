"""Reads about integration clients, scoped by who is asking; and the client a token names."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from api.models import IntegrationClient
from api.tokens import token_matches, token_prefix
from deflection.models import User
from deflection.permissions import in_program, may_manage_integrations


def integration_client_list_for_user(*, user: User) -> QuerySet[IntegrationClient]:
    """The integration clients of the user's program, newest first: program administration only."""
    if not may_manage_integrations(user):
        return IntegrationClient.objects.none()
    clients = IntegrationClient.objects.select_related("partner", "agency", "created_by", "revoked_by")
    return in_program(clients, user)


def integration_client_get_for_user(*, user: User, client_id: int) -> IntegrationClient:
    """One integration client of the user's program; a 404 for any other, as for a missing one."""
    client = integration_client_list_for_user(user=user).filter(pk=client_id).first()
    if client is None:
        raise Http404
    return client


def integration_client_for_token(token: str) -> IntegrationClient | None:
    """The client whose token this is (revoked and expired ones included: the caller says
    which), with its service account, agency and partner, in one query; None otherwise."""
    prefix = token_prefix(token)
    if prefix is None:
        return None
    client = (
        IntegrationClient.objects.select_related("user", "user__agency", "user__partner", "agency", "partner")
        .filter(token_prefix=prefix)
        .first()
    )
    if client is None or not token_matches(token, client.token_hash):
        return None
    return client
