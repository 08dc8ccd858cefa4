"""An officer's feedback after logging a deflection: compared with an arrest, how was it?"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Ease(models.TextChoices):
    """Compared with an arrest and booking, this deflection was..."""

    EASIER = "easier", _("Easier")
    SAME = "same", _("About the same")
    HARDER = "harder", _("Harder")


class OfficerFeedback(models.Model):
    """The officer's answer (or skip) to the question shown after logging one deflection.

    Reported only in aggregate, with a floor of 5 answers a cell; the officer is kept so that
    the question is asked at most once a shift, never to say who said what.
    """

    Ease = Ease

    referral = models.OneToOneField("referrals.Referral", on_delete=models.CASCADE, related_name="feedback")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="officer_feedback")
    # Empty: the officer skipped the question (it still counts as asked this shift).
    ease = models.CharField(_("compared with an arrest and booking"), max_length=10, choices=Ease.choices, blank=True)
    comment = models.CharField(_("anything else"), max_length=280, blank=True)
    answered_at = models.DateTimeField(_("answered"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("deflection feedback")
        verbose_name_plural = _("deflection feedback")
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ease__in=["", *Ease.values]), name="feedback_ease_valid"),
        ]
        indexes = [
            models.Index(fields=["officer", "-answered_at"], name="feedback_officer_recent"),
            # The worker finds the days whose feedback changed since its last count.
            models.Index(fields=["answered_at"], name="feedback_answered"),
        ]

    def __str__(self) -> str:
        return f"Feedback · referral #{self.referral_id}"

    @property
    def skipped(self) -> bool:
        """The officer tapped "skip": asked, not answered."""
        return not self.ease


class FeedbackObstacle(models.Model):
    """One thing that got in the way of a deflection, as the officer ticked it (several may apply)."""

    class Kind(models.TextChoices):
        NO_ANSWER = "no_answer", _("No partner answered")
        PARTNER_SLOW = "partner_slow", _("Partner slow to respond")
        NO_PARTNER = "no_partner", _("No partner for this need")
        TRANSPORT = "transport", _("Transport")
        CLIENT_REFUSED = "client_refused", _("Client refused")
        FORM = "form", _("The form")
        OTHER = "other", _("Other")

    feedback = models.ForeignKey(OfficerFeedback, on_delete=models.CASCADE, related_name="obstacles")
    kind = models.CharField(_("what got in the way"), max_length=20, choices=Kind.choices)

    class Meta:
        verbose_name = _("obstacle")
        constraints = [
            models.UniqueConstraint(fields=["feedback", "kind"], name="feedback_obstacle_once"),
        ]

    def __str__(self) -> str:
        return str(self.Kind(self.kind).label)
