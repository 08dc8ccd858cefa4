"""Officers, clients, referrals (one deflection each), follow-ups and case events.

Statuses change only through referrals.services, which write a CaseEvent in the same
transaction. The absolute rules are database constraints, not only form checks.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def normalize_name(value: str) -> str:
    """Lower case, accents and punctuation removed, spaces folded: what search compares."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = "".join(c if c.isalnum() else " " for c in plain.lower())
    return " ".join(cleaned.split())


class Pathway(models.TextChoices):
    """The six deflection pathways."""

    SELF_REFERRAL = "self_referral", _("Self-referral")
    ACTIVE_OUTREACH = "active_outreach", _("Active outreach")
    NALOXONE_PLUS = "naloxone_plus", _("Naloxone plus")
    OFFICER_PREVENTION = "officer_prevention", _("Officer prevention referral")
    OFFICER_INTERVENTION = "officer_intervention", _("Officer intervention referral")
    COMMUNITY_RESPONSE = "community_response", _("Community response")


class Need(models.TextChoices):
    SUBSTANCE_USE = "substance_use", _("Substance use")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    HOUSING = "housing", _("Housing")
    MEDICAL = "medical", _("Medical care")
    FOOD = "food", _("Food")
    BENEFITS = "benefits", _("Benefits / ID")
    OTHER = "other", _("Other")


class Substance(models.TextChoices):
    OPIOIDS = "opioids", _("Opioids")
    FENTANYL = "fentanyl", _("Fentanyl")
    METHAMPHETAMINE = "methamphetamine", _("Methamphetamine")
    COCAINE = "cocaine", _("Cocaine")
    ALCOHOL = "alcohol", _("Alcohol")
    CANNABIS = "cannabis", _("Cannabis")
    OTHER = "other", _("Other")


class Officer(models.Model):
    """An officer's identity in the program; linked to their sign-in when they have one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="officer"
    )
    agency = models.ForeignKey("deflection.Agency", on_delete=models.PROTECT, related_name="officers")
    unit = models.ForeignKey(
        "deflection.Unit", on_delete=models.SET_NULL, null=True, blank=True, related_name="officers"
    )
    badge_number = models.CharField(_("badge number"), max_length=20)
    display_name = models.CharField(_("name"), max_length=150)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("officer")
        ordering = ["agency__name", "display_name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "badge_number"], name="officer_badge_unique_per_agency"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} (#{self.badge_number})"


class Client(models.Model):
    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        SPANISH = "es", _("Spanish")
        OTHER = "other", _("Other")

    agency = models.ForeignKey("deflection.Agency", on_delete=models.PROTECT, related_name="clients")
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    aliases = models.CharField(
        _("aliases / street names"), max_length=300, blank=True, help_text=_("Separate several with commas.")
    )
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    gender = models.CharField(_("gender"), max_length=40, blank=True)
    race_ethnicity = models.CharField(_("race / ethnicity"), max_length=80, blank=True)
    # Normalized "first last aliases", maintained by the services: what search compares.
    search_name = models.CharField(max_length=520, editable=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("client")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(preferred_language__in=["en", "es", "other"]), name="client_language_valid"
            ),
        ]
        indexes = [models.Index(fields=["agency", "date_of_birth"], name="client_agency_dob")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def refresh_search_name(self) -> None:
        self.search_name = normalize_name(f"{self.first_name} {self.last_name} {self.aliases}")


class Referral(models.Model):
    """One deflection: an officer referring a client to a partner instead of arresting them."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Sent to partner")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Declined by partner")
        CANCELLED = "cancelled", _("Cancelled")
        IN_PROGRESS = "in_progress", _("In treatment")
        ON_HOLD = "on_hold", _("On hold")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Closed, not completed")

    OPEN_STATUSES = ("requested", "accepted", "in_progress", "on_hold")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="referrals")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="referrals")
    agency = models.ForeignKey("deflection.Agency", on_delete=models.PROTECT, related_name="referrals")
    partner = models.ForeignKey("partners.ServicePartner", on_delete=models.PROTECT, related_name="referrals")
    pathway = models.CharField(_("pathway"), max_length=25, choices=Pathway.choices)
    occurred_at = models.DateTimeField(_("when it happened"))
    location = models.CharField(_("location or beat"), max_length=200, blank=True)
    presenting_needs = models.JSONField(_("presenting needs"), default=list, blank=True)
    substances = models.JSONField(_("substances"), default=list, blank=True)
    naloxone_administered = models.BooleanField(_("naloxone administered"), default=False)
    charge_deflected = models.CharField(
        _("charge deflected"),
        max_length=200,
        blank=True,
        help_text=_("The charge you would otherwise have booked, if any."),
    )
    warm_handoff = models.BooleanField(_("warm handoff or transport"), default=False)
    officer_minutes = models.PositiveIntegerField(_("minutes spent"))
    note = models.TextField(_("note"), max_length=2000, blank=True)
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.REQUESTED)
    status_reason = models.CharField(_("status reason"), max_length=200, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    # The officer's form carries a token made when the form was shown: a double tap
    # or a resubmitted form finds the referral it already created.
    submission_token = models.UUIDField(unique=True, null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("referral")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "requested",
                        "accepted",
                        "rejected",
                        "cancelled",
                        "in_progress",
                        "on_hold",
                        "completed",
                        "failed",
                    ]
                ),
                name="referral_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    pathway__in=[
                        "self_referral",
                        "active_outreach",
                        "naloxone_plus",
                        "officer_prevention",
                        "officer_intervention",
                        "community_response",
                    ]
                ),
                name="referral_pathway_valid",
            ),
            models.CheckConstraint(condition=Q(officer_minutes__gte=0), name="referral_minutes_not_negative"),
        ]
        indexes = [
            models.Index(fields=["officer", "-occurred_at"], name="referral_officer_recent"),
            models.Index(fields=["partner", "-created_at"], name="referral_partner_recent"),
            models.Index(fields=["agency", "-occurred_at"], name="referral_agency_recent"),
            models.Index(fields=["client", "-occurred_at"], name="referral_client_recent"),
        ]

    def __str__(self) -> str:
        return f"Referral #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def presenting_needs_labels(self) -> list[str]:
        return [str(Need(n).label) for n in self.presenting_needs if n in Need.values]

    def substances_labels(self) -> list[str]:
        return [str(Substance(s).label) for s in self.substances if s in Substance.values]


class FollowUp(models.Model):
    class Kind(models.TextChoices):
        CONTACT_ATTEMPT = "contact_attempt", _("Contact attempt")
        INTAKE_CHECK = "intake_check", _("Intake check")
        CHECK_72H = "check_72h", _("72-hour check")
        RETENTION_30 = "retention_30", _("30-day retention check")
        RETENTION_60 = "retention_60", _("60-day retention check")
        RETENTION_90 = "retention_90", _("90-day retention check")
        OFFICER_CHECK_IN = "officer_check_in", _("Officer check-in")

    class Outcome(models.TextChoices):
        ENGAGED = "engaged", _("Reached and engaged")
        NOT_ENGAGED = "not_engaged", _("Reached and not engaged")
        NO_CONTACT = "no_contact", _("No contact")
        OTHER = "other", _("Other")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="follow_ups")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField(_("due"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups"
    )
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up")
        ordering = ["due_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "contact_attempt",
                        "intake_check",
                        "check_72h",
                        "retention_30",
                        "retention_60",
                        "retention_90",
                        "officer_check_in",
                    ]
                ),
                name="follow_up_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["", "engaged", "not_engaged", "no_contact", "other"]),
                name="follow_up_outcome_valid",
            ),
            # A completed follow-up has an outcome; an open one has none.
            models.CheckConstraint(
                condition=(Q(completed_at__isnull=True) & Q(outcome=""))
                | (Q(completed_at__isnull=False) & ~Q(outcome="")),
                name="follow_up_outcome_iff_completed",
            ),
        ]
        indexes = [
            models.Index(fields=["completed_at", "due_at"], name="follow_up_open_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · referral #{self.referral_id}"


class CaseEvent(models.Model):
    """Every state change of a referral: who, from, to, why, when. Written by services only."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Deflection logged")
        STATUS_CHANGED = "status_changed", _("Status changed")
        NOTE = "note", _("Note")
        FOLLOW_UP = "follow_up", _("Follow-up")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=15, blank=True)
    to_status = models.CharField(max_length=15, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("case event")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["created", "status_changed", "note", "follow_up"]), name="case_event_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · referral #{self.referral_id}"

    def from_status_label(self) -> str:
        return Referral.Status(self.from_status).label if self.from_status else ""

    def to_status_label(self) -> str:
        return Referral.Status(self.to_status).label if self.to_status else ""
