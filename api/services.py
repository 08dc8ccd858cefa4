"""Writes about integration clients: making one (its token shown once), revoking it, and
noting when and from where it was last used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import IntegrationClient
from api.tokens import token_new
from deflection.models import Agency, User
from deflection.permissions import administers_integration, may_manage_integrations
from partners.models import ServicePartner

# The longest a token may live: a system's credentials are renewed at least this often.
LONGEST_VALIDITY = timedelta(days=2 * 366)
# Last used at and from are written at most this often: an API call is otherwise a read,
# and a busy client would write its row on every call.
NOTE_USE_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedClient:
    """The client just made and its token, which is shown this once and never again."""

    client: IntegrationClient
    token: str


@transaction.atomic
def integration_client_create(
    *,
    actor: User,
    name: str,
    expires_at: datetime,
    partner: ServicePartner | None = None,
    agency: Agency | None = None,
) -> CreatedClient:
    """A new integration client for one partner or one agency, with its service account."""
    if not may_manage_integrations(actor):
        raise ValidationError(_("Only program administration creates integration clients."))
    if (partner is None) == (agency is None):
        raise ValidationError(_("Choose one partner or one agency."))
    if not administers_integration(actor, partner=partner, agency=agency):
        raise ValidationError(_("Choose a partner or an agency of your program."))
    now = timezone.now()
    if expires_at <= now:
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    if expires_at > now + LONGEST_VALIDITY:
        raise ValidationError({"expires_at": _("A token lives two years at most.")})
    new = token_new()
    user = User(
        username=f"integration-{new.prefix}",
        first_name=name.strip()[:150],
        role=User.Role.INTEGRATION,
        partner=partner,
        agency=agency,
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    client = IntegrationClient(
        name=name.strip(),
        partner=partner,
        agency=agency,
        user=user,
        token_prefix=new.prefix,
        token_hash=new.digest,
        expires_at=expires_at,
        created_by=actor,
        created_at=now,
    )
    client.full_clean(exclude=["user"])
    client.save()
    return CreatedClient(client=client, token=new.token)


@transaction.atomic
def integration_client_revoke(*, actor: User, client_id: int) -> IntegrationClient:
    """Revoke a client: its token stops working at once, for good (a new client gets a new one)."""
    if not may_manage_integrations(actor):
        raise ValidationError(_("Only program administration revokes integration clients."))
    client = IntegrationClient.objects.select_for_update().select_related("user").get(pk=client_id)
    if not administers_integration(actor, partner=client.partner, agency=client.agency):
        raise ValidationError(_("Only program administration revokes integration clients."))
    if client.revoked_at is not None:
        return client
    client.revoked_at = timezone.now()
    client.revoked_by = actor
    client.save(update_fields=["revoked_at", "revoked_by"])
    client.user.is_active = False
    client.user.save(update_fields=["is_active"])
    return client


def integration_client_note_use(*, client: IntegrationClient, address: str | None, now: datetime) -> None:
    """Note that the client called the API now, from this address: at most once a minute.

    The one write an API read makes besides the access record: the program admin sees when
    and from where each client was last used (a forgotten client, a token used from an
    unexpected address). Once a minute is precise enough, and keeps a polling client's GETs
    from writing its row each time.
    """
    if client.last_used_at is not None and now - client.last_used_at < NOTE_USE_EVERY:
        return
    IntegrationClient.objects.filter(pk=client.pk).update(last_used_at=now, last_used_from=address)
    client.last_used_at, client.last_used_from = now, address
