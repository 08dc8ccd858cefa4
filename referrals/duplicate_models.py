"""A deflection logged with no signal for a new client who may be someone the agency knows.

Imported by referrals/models.py: a model of the app like the others, kept in its own module.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PossibleDuplicate(models.Model):
    """A deflection sent from the phone once the signal returned, for a new client whom the
    duplicate check took for someone the agency may already know.

    Online, the log form stops and shows the matches; with no signal the officer could not
    see them, so the deflection is saved (never lost) and this asks the officer who logged it:
    the same person (the two clients are merged by client_merge) or a different one (nothing
    changes but this). Holds no identity of its own: ids only, as the access record does.
    """

    class Decision(models.TextChoices):
        OPEN = "", _("Not decided yet")
        SAME = "same", _("Same person")
        DIFFERENT = "different", _("Different person")

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="possible_duplicates")
    # The client the deflection created; emptied if that row is merged away (by this
    # decision, or by the program administrator meanwhile).
    client = models.ForeignKey(
        "referrals.Client", on_delete=models.SET_NULL, null=True, blank=True, related_name="possible_duplicates"
    )
    # Whom the duplicate check found, at the time.
    candidates = models.ManyToManyField("referrals.Client", related_name="+")
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="possible_duplicates"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True, default="")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "referrals.Client", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("possible duplicate")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=["", "same", "different"]), name="possible_duplicate_valid"
            ),
            models.CheckConstraint(
                condition=(Q(decision="") & Q(decided_at__isnull=True))
                | (~Q(decision="") & Q(decided_at__isnull=False)),
                name="possible_duplicate_decided_when",
            ),
            # One question per deflection.
            models.UniqueConstraint(fields=["referral"], name="possible_duplicate_one_per_referral"),
        ]

    def __str__(self) -> str:
        return f"Possible duplicate · referral #{self.referral_id}"
