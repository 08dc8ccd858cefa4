"""Training sessions and who attended them: the talk's "incentivize deflection (training)",
with executive staff in the room."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TrainingSession(models.Model):
    """One training session held for an agency's officers (recorded after it took place)."""

    class Topic(models.TextChoices):
        ADDICTION_MAT = "addiction_mat", _("Addiction and MAT")
        ACES = "aces", _("Adverse childhood experiences (ACEs)")
        RELAPSE = "relapse_tolerance", _("Relapse tolerance")
        POLICY = "deflection_policy", _("The deflection policy")
        NALOXONE = "naloxone", _("Naloxone")
        OTHER = "other", _("Other")

    agency = models.ForeignKey(
        "deflection.Agency", on_delete=models.CASCADE, related_name="training_sessions", verbose_name=_("agency")
    )
    held_on = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=25, choices=Topic.choices)
    details = models.CharField(
        _("what it covered"), max_length=200, blank=True, help_text=_("Needed when the topic is Other.")
    )
    trainer = models.CharField(_("trainer"), max_length=150)
    executive_staff_attended = models.BooleanField(_("executive staff attended"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("training session")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["agency", "-held_on"], name="training_agency_recent")]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} · {self.get_topic_display()}"


class TrainingAttendance(models.Model):
    """An officer (or supervisor) who attended a training session."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendance")
    officer = models.ForeignKey("referrals.Officer", on_delete=models.CASCADE, related_name="training_attendance")

    class Meta:
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendance")
        constraints = [models.UniqueConstraint(fields=["session", "officer"], name="training_attendance_once")]

    def __str__(self) -> str:
        return f"{self.session_id} · officer {self.officer_id}"
