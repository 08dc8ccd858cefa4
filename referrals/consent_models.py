"""A client's written consent to disclose (42 CFR Part 2): what may flow, to whom, until when.

Imported by referrals/models.py: a model of the app like the others, kept in its own module.
Consents are given and revoked only through referrals.services.consent.
"""

from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Consent(models.Model):
    """A client's written consent to disclose (42 CFR Part 2, §2.31); of the criminal-justice
    kind (§2.35), to the prosecutor's office or court deciding a held charge, whether the
    client entered and stayed in treatment, for a stated period.

    Revocation is recorded, never deleted: from the moment of revocation (or expiry)
    nothing new flows to the recipients it named; what flowed before stays disclosed.
    """

    class Kind(models.TextChoices):
        GENERAL = "general", _("Consent to disclose (42 CFR §2.31)")
        CRIMINAL_JUSTICE = "criminal_justice", _("Criminal-justice consent (42 CFR §2.35)")

    class Scope(models.TextChoices):
        STATUS_ONLY = "status_only", _("Referral status only")
        STATUS_OUTCOMES = "status_outcomes", _("Status and outcomes (intake, retention, closing outcome)")
        FULL_RECORD = "full_record", _("Full record")
        # The criminal-justice kind's only scope: what the held charge's condition is about.
        TREATMENT_ATTENDANCE = "treatment_attendance", _("Whether the client entered treatment and stayed in it")

    class ExpiryEvent(models.TextChoices):
        NONE = "", _("No event: the date applies")
        END_OF_TREATMENT = "end_of_treatment", _("End of treatment")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    client = models.ForeignKey("referrals.Client", on_delete=models.PROTECT, related_name="consents")
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="consents"
    )
    discloser = models.ForeignKey(
        "partners.ServicePartner",
        on_delete=models.PROTECT,
        related_name="consents",
        verbose_name=_("who may disclose"),
    )
    scope = models.CharField(_("what may be disclosed"), max_length=20, choices=Scope.choices)
    recipient_agency = models.ForeignKey(
        "deflection.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents",
        verbose_name=_("to the referring agency"),
    )
    recipient_partners = models.ManyToManyField(
        "partners.ServicePartner", blank=True, related_name="consents_received", verbose_name=_("to these partners")
    )
    recipient_justice = models.ForeignKey(
        "referrals.JusticeAgency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents",
        verbose_name=_("to the prosecutor's office or court"),
    )
    purpose = models.CharField(_("purpose of the disclosure"), max_length=300)
    revocation_terms = models.TextField(_("right to revoke and how"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    expiry_event = models.CharField(
        _("or expires at"), max_length=20, choices=ExpiryEvent.choices, blank=True, default=""
    )
    signature_name = models.CharField(_("signed (typed name)"), max_length=200)
    # A drawn signature, as a PNG data URL, where a touch screen was used.
    signature_drawing = models.TextField(_("drawn signature"), blank=True)
    signed_on = models.DateField(_("date signed"))
    language = models.CharField(_("language of the form"), max_length=5, default="en")
    captured_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # When the revocation took effect: a criminal-justice one asked for before its charge is
    # decided takes effect at the decision (referrals.services.charges).
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revocation_asked_at = models.DateTimeField(_("revocation asked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revocation_note = models.CharField(_("how the client revoked"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("consent")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=["status_only", "status_outcomes", "full_record", "treatment_attendance"]),
                name="consent_scope_valid",
            ),
            # §2.35: to a prosecutor's office or court, about treatment only, for a stated period.
            models.CheckConstraint(
                condition=(Q(kind="general", recipient_justice__isnull=True) & ~Q(scope="treatment_attendance"))
                | Q(
                    kind="criminal_justice",
                    recipient_justice__isnull=False,
                    recipient_agency__isnull=True,
                    scope="treatment_attendance",
                    expires_on__isnull=False,
                ),
                name="consent_kind_valid",
            ),
            models.CheckConstraint(condition=~Q(signature_name=""), name="consent_is_signed"),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=False) | Q(expiry_event="end_of_treatment"),
                name="consent_has_expiry",
            ),
            models.CheckConstraint(
                condition=Q(expiry_event__in=["", "end_of_treatment"]), name="consent_expiry_event_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Consent #{self.pk} · {self.get_scope_display()}"

    def ends_at(self) -> datetime | None:
        """The moment nothing new flows any more (revocation, expiry date or event), or None."""
        ends = []
        if self.revoked_at:
            ends.append(self.revoked_at)
        if self.expires_on:
            ends.append(timezone.make_aware(datetime.combine(self.expires_on, time.max)))
        if self.expiry_event == self.ExpiryEvent.END_OF_TREATMENT and self.referral and self.referral.closed_at:
            ends.append(self.referral.closed_at)
        return min(ends) if ends else None

    def covers(self, moment: datetime) -> bool:
        """Whether information recorded at `moment` may flow under this consent.

        Information recorded before the consent was signed flows once it is given (the
        consent is to disclose the referral's record); after it ends, nothing new flows.
        """
        ends = self.ends_at()
        return ends is None or moment <= ends

    def is_active(self, now: datetime | None = None) -> bool:
        return self.covers(now or timezone.now())

    @property
    def revocation_pending(self) -> bool:
        """Asked for, not yet in effect: a criminal-justice consent before its case's disposition."""
        return self.revocation_asked_at is not None and self.revoked_at is None
