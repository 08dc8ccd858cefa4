"""The API's only authentication: an integration client's token, as `Authorization: Bearer`.

Users' sessions never open the API (REST_FRAMEWORK names this class alone): a signed-in
browser that calls it is anonymous to it and refused with 401.
"""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from api import selectors, services
from api.models import IntegrationClient
from deflection.audit import client_address
from deflection.models import User

KEYWORD = "Bearer"


class IntegrationTokenAuthentication(BaseAuthentication):
    def authenticate(self, request) -> tuple[User, IntegrationClient] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Send the token as: Authorization: Bearer <token>."))
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("This token is not valid.")) from None
        client = selectors.integration_client_for_token(token)
        if client is None:
            raise AuthenticationFailed(_("This token is not valid."))
        now = timezone.now()
        if client.revoked_at is not None:
            raise AuthenticationFailed(
                _("This integration client was revoked on %(date)s; ask the program administrator for a new one.")
                % {"date": formats.date_format(client.revoked_at, "Y-m-d")}
            )
        if client.expires_at <= now:
            raise AuthenticationFailed(
                _("This token expired on %(date)s; ask the program administrator for a new one.")
                % {"date": formats.date_format(client.expires_at, "Y-m-d")}
            )
        services.integration_client_note_use(client=client, address=client_address(request), now=now)
        return client.user, client

    def authenticate_header(self, request) -> str:
        # Makes refusals 401 (with this challenge) rather than 403.
        return f'{KEYWORD} realm="api"'
