"""Service partners: the treatment and service providers that receive referrals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ServicePartner(models.Model):
    """A treatment or support provider that takes referrals from the agencies it serves."""

    class Kind(models.TextChoices):
        MAT_CLINIC = "mat_clinic", _("MAT clinic")
        DETOX = "detox", _("Detox / withdrawal management")
        CRISIS_CENTRE = "crisis_centre", _("Crisis center")
        MENTAL_HEALTH = "mental_health", _("Mental health")
        HOUSING = "housing", _("Housing")
        PEER_SUPPORT = "peer_support", _("Peer support")
        DEFLECTION_TEAM = "deflection_team", _("Deflection team")
        OTHER = "other", _("Other")

    class Capacity(models.TextChoices):
        OPEN = "open", _("Accepting referrals")
        LIMITED = "limited", _("Limited capacity")
        FULL = "full", _("Full")

    class Tier(models.TextChoices):
        COMMITTED = "committed", _("Committed")
        WAIT_AND_SEE = "wait_and_see", _("Wait and see")
        BOWED_OUT = "bowed_out", _("Bowed out")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    services = models.TextField(_("services offered"), blank=True)
    is_24_7 = models.BooleanField(_("open 24/7"), default=False)
    hours = models.CharField(_("hours"), max_length=200, blank=True, help_text=_("When not open 24/7."))
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    agencies = models.ManyToManyField(
        "deflection.Agency", related_name="partners", verbose_name=_("agencies served"), blank=True
    )
    capacity_status = models.CharField(_("capacity"), max_length=10, choices=Capacity.choices, default=Capacity.OPEN)
    engagement_tier = models.CharField(
        _("engagement tier"), max_length=15, choices=Tier.choices, default=Tier.COMMITTED
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The partner's lead (clinical director, intake lead): told when follow-ups run late.
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partners_led",
        verbose_name=_("partner lead"),
        help_text=_("Told when a follow-up is more than a day overdue."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("service partner")
        ordering = ["-is_24_7", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "mat_clinic",
                        "detox",
                        "crisis_centre",
                        "mental_health",
                        "housing",
                        "peer_support",
                        "deflection_team",
                        "other",
                    ]
                ),
                name="partner_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(capacity_status__in=["open", "limited", "full"]), name="partner_capacity_valid"
            ),
            models.CheckConstraint(
                condition=Q(engagement_tier__in=["committed", "wait_and_see", "bowed_out"]),
                name="partner_tier_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RelationshipNote(models.Model):
    """The relationship log: how the program's partnership with a provider is going."""

    partner = models.ForeignKey(ServicePartner, on_delete=models.CASCADE, related_name="relationship_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    tier = models.CharField(
        _("engagement tier at the time"), max_length=15, choices=ServicePartner.Tier.choices, blank=True
    )
    note = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("relationship note")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.partner} · {self.created_at:%Y-%m-%d}"
