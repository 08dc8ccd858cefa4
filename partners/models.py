"""Service partners: the treatment and service providers that receive referrals."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deflection.claims import claim_field


def language_codes(value: str) -> list[str]:
    """The language codes of a partner's `languages` ("en, es"), in their order, once each."""
    codes = [code.strip().lower() for code in value.split(",")]
    return list(dict.fromkeys(code for code in codes if code))


def validate_language_codes(value: str) -> None:
    wrong = [code for code in language_codes(value) if not re.fullmatch(r"[a-z]{2,3}", code)]
    if wrong:
        raise ValidationError(
            _("Use ISO 639 language codes (two or three letters, such as en or es), not: %(codes)s."),
            params={"codes": ", ".join(wrong)},
        )


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
    languages = models.CharField(
        _("languages spoken"),
        max_length=100,
        blank=True,
        validators=[validate_language_codes],
        help_text=_("ISO 639 codes, comma separated: en, es."),
    )
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
    # The partner's identity in the directory it is exchanged in (Open Referral HSDS ids are
    # UUIDs): the same id export after export, so an import recognises the partner.
    hsds_id = models.UUIDField(_("directory id"), default=uuid.uuid4, unique=True, editable=False)
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


class PartnerOpening(models.Model):
    """One stretch of a partner's week when it takes clients in, in the partner's local time.
    A partner open 24/7 needs none: `ServicePartner.is_24_7` says it."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    partner = models.ForeignKey(
        ServicePartner, on_delete=models.CASCADE, related_name="openings", verbose_name=_("partner")
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    # Before midnight: opening through the night is two stretches, one on each day.
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="partner_opening_weekday_valid"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="partner_opening_closes_after"
            ),
            models.UniqueConstraint(fields=["partner", "weekday", "opens_at"], name="partner_opening_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    def clean(self) -> None:
        if self.opens_at is not None and self.closes_at is not None and self.closes_at <= self.opens_at:
            raise ValidationError(
                {"closes_at": _("Closes after it opens (through midnight: one stretch on each day).")}
            )


def _someone(verbose_name, *, related_name: str = "+") -> models.ForeignKey:
    """Who did it: a user of the program, kept as nobody if their account is deleted."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
    )


class PartnerContact(models.Model):
    """The relationship log: one call, meeting, visit or agreement with a partner, and its next step."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        AGREEMENT = "agreement", _("Agreement signed")
        EMAIL = "email", _("Email")
        VISIT = "visit", _("Visit")
        OTHER = "other", _("Other")

    partner = models.ForeignKey(
        ServicePartner, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("partner")
    )
    contact_on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The program's person: whoever recorded the contact.
    recorded_by = _someone(_("recorded by"), related_name="partner_contacts")
    met_with = models.CharField(
        _("who from the partner"), max_length=200, blank=True, help_text=_("Names and roles, as you like.")
    )
    what = models.TextField(_("what was said or agreed"))
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_due = models.DateField(_("next step due"), null=True, blank=True)
    next_step_done_at = models.DateTimeField(_("next step done"), null=True, blank=True)
    next_step_done_by = _someone(_("next step done by"))
    # Set in the same transaction as the reminder email is accepted: never twice.
    next_step_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    mail_claimed_at = claim_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("partner contact")
        ordering = ["-contact_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["call", "meeting", "agreement", "email", "visit", "other"]),
                name="partner_contact_kind_valid",
            ),
            # A due date or a "done" belongs to a next step.
            models.CheckConstraint(
                condition=~Q(next_step="") | Q(next_step_due__isnull=True, next_step_done_at__isnull=True),
                name="partner_contact_next_step_named",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_step_due"],
                condition=Q(next_step_done_at__isnull=True, next_step_due__isnull=False),
                name="partner_contact_open_step",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner} · {self.contact_on:%Y-%m-%d}"

    @property
    def next_step_open(self) -> bool:
        """A next step is named and not yet marked done."""
        return bool(self.next_step) and self.next_step_done_at is None


class PartnerTierChange(models.Model):
    """The tier history: who moved a partner from one engagement tier to another, when and why."""

    partner = models.ForeignKey(
        ServicePartner, on_delete=models.CASCADE, related_name="tier_changes", verbose_name=_("partner")
    )
    from_tier = models.CharField(_("from"), max_length=15, choices=ServicePartner.Tier.choices)
    to_tier = models.CharField(_("to"), max_length=15, choices=ServicePartner.Tier.choices)
    reason = models.TextField(_("why"))
    changed_by = _someone(_("changed by"))
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("engagement tier change")
        ordering = ["-changed_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_tier=models.F("to_tier")), name="partner_tier_change_moves"),
            models.CheckConstraint(condition=~Q(reason=""), name="partner_tier_change_has_reason"),
            models.CheckConstraint(
                condition=Q(
                    from_tier__in=["committed", "wait_and_see", "bowed_out"],
                    to_tier__in=["committed", "wait_and_see", "bowed_out"],
                ),
                name="partner_tier_change_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.from_tier} → {self.to_tier}"
