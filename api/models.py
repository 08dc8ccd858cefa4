"""Integration clients: the systems let into the API, each for one partner or one agency."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IntegrationClient(models.Model):
    """A partner's record system (EHR) or an agency's records or dispatch system (RMS/CAD).

    It acts through its own service account (`user`, of the role "integration", which never
    signs in), so the services, selectors, case events and the access record name it like
    anyone else. Its token is shown once, when it is made: only a SHA-256 digest of it is
    kept, found by the token's short prefix, which is not secret.
    """

    name = models.CharField(_("name"), max_length=120)
    partner = models.ForeignKey(
        "partners.ServicePartner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="integration_clients",
        verbose_name=_("service partner"),
    )
    agency = models.ForeignKey(
        "deflection.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="integration_clients",
        verbose_name=_("agency"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="integration_client", editable=False
    )
    token_prefix = models.CharField(_("token prefix"), max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    last_used_from = models.GenericIPAddressField(_("last used from"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("integration client")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(partner__isnull=False, agency__isnull=True) | Q(partner__isnull=True, agency__isnull=False),
                name="integration_client_one_scope",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope(self):
        """The partner or the agency the client acts for."""
        return self.partner or self.agency

    @property
    def is_partner_client(self) -> bool:
        return self.partner_id is not None

    def state(self, now=None) -> str:
        """ "revoked", "expired" or "active"."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"


# Webhooks' models are kept in their own module; importable from here like the others.
from api.webhook_models import WebhookDelivery, WebhookScan, WebhookSubscription  # noqa: E402, F401
