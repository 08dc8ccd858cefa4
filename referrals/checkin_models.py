"""Officers' check-ins with people they referred: non-enforcement engagement after the referral.

Imported by referrals/models.py: a model of the app like the others, kept in its own module.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The kinds below, as the database holds them to.
KIND_VALID = Q(kind__in=["doing_well", "offered_help", "other"])


class OfficerCheckIn(models.Model):
    """A referring officer's non-enforcement check-in with the person they referred.

    Its where and note are client information (who was seen where, how they were): shown only
    where the referral is (the officer, their supervisor, program administration), and to the
    partner only within the client's consent (referrals/checkins.py).
    """

    class Kind(models.TextChoices):
        DOING_WELL = "doing_well", _("Saw them doing well")
        OFFERED_HELP = "offered_help", _("Offered help again")
        OTHER = "other", _("Other")

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="check_ins")
    officer = models.ForeignKey("referrals.Officer", on_delete=models.PROTECT, related_name="check_ins")
    # A day in the agency's time zone: not in the future, not before the encounter.
    on = models.DateField(_("date"))
    where = models.CharField(_("where"), max_length=120, blank=True)
    kind = models.CharField(_("what happened"), max_length=15, choices=Kind.choices)
    note = models.CharField(_("short note"), max_length=280, blank=True)
    created_by = models.ForeignKey(
        "deflection.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("officer check-in")
        ordering = ["-on", "-id"]
        constraints = [models.CheckConstraint(condition=KIND_VALID, name="officer_check_in_kind_valid")]
        indexes = [
            models.Index(fields=["officer", "-on"], name="officer_check_in_recent"),
            models.Index(fields=["referral", "-on"], name="check_in_referral_recent"),
        ]

    def __str__(self) -> str:
        # Not the where or the note: str() lands in logs and the admin's history.
        return f"Officer check-in · referral #{self.referral_id}"
