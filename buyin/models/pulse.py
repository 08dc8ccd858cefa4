"""Pulse surveys, the cultural temperature: a wave of statements, its anonymous answers, and
who has answered (kept apart from what they answered)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deflection.claims import claim_field

MIN_STATEMENTS, MAX_STATEMENTS = 5, 8
# Strongly disagree (1) .. strongly agree (5).
SCALE = (
    (1, _("Strongly disagree")),
    (2, _("Disagree")),
    (3, _("Neither agree nor disagree")),
    (4, _("Agree")),
    (5, _("Strongly agree")),
)
SCORES = [value for value, _label in SCALE]


class PulseSurvey(models.Model):
    """One wave of the pulse survey: its statements, open question, audience and open days.

    The program administrator picks the agency (its time zone sets the days), the units whose
    officers and supervisors are asked, and/or the partners whose case managers are asked.
    `opens_at`, `closes_at` and `remind_at` are worked out by the service from the agency's
    local dates so that queries can compare them with now.
    """

    # Like its units, a wave goes with its agency.
    agency = models.ForeignKey(
        "deflection.Agency", on_delete=models.CASCADE, related_name="pulse_surveys", verbose_name=_("agency")
    )
    title = models.CharField(_("title"), max_length=120)
    statements = models.JSONField(_("statements"), default=list)
    open_question = models.CharField(_("open question"), max_length=200)
    units = models.ManyToManyField(
        "deflection.Unit", blank=True, related_name="pulse_surveys", verbose_name=_("units asked")
    )
    partners = models.ManyToManyField(
        "partners.ServicePartner", blank=True, related_name="pulse_surveys", verbose_name=_("partners asked")
    )
    opens_on = models.DateField(_("opens on"))
    days_open = models.PositiveSmallIntegerField(
        _("days open"), default=14, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    opens_at = models.DateTimeField(editable=False)
    closes_at = models.DateTimeField(editable=False)
    # None: the wave is too short for a reminder.
    remind_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set once the audience is fixed (PulseParticipation rows written) when the wave opens.
    audience_fixed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("pulse survey")
        ordering = ["-opens_at", "-id"]
        indexes = [models.Index(fields=["agency", "closes_at"], name="pulse_agency_closes")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        statements = self.statements if isinstance(self.statements, list) else None
        if statements is None or not all(isinstance(s, str) and s.strip() for s in statements):
            raise ValidationError({"statements": _("Each statement is a line of text.")})
        if not MIN_STATEMENTS <= len(statements) <= MAX_STATEMENTS:
            raise ValidationError(
                {"statements": _("A wave asks %(min)d to %(max)d statements.")}
                % {"min": MIN_STATEMENTS, "max": MAX_STATEMENTS}
            )
        if len({s.strip().casefold() for s in statements}) != len(statements):
            raise ValidationError({"statements": _("The same statement is asked twice.")})

    @property
    def last_day(self):
        """The last day answers are taken, in the agency's calendar."""
        return self.opens_on + timedelta(days=self.days_open - 1)

    def is_open(self, now=None) -> bool:
        """Open for answers now."""
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    def is_closed(self, now=None) -> bool:
        """Past its last day: results may be shown."""
        return (now or timezone.now()) >= self.closes_at


class PulseAnswer(models.Model):
    """One person's answers to one wave, anonymous by construction.

    No user, no time, no sequence: the key is a random UUID, and the row holds only the wave,
    the respondent's group when they answered (unit or partner, for results by group) and
    what they answered. Nothing here or in PulseParticipation links the two.

    On PostgreSQL the system columns could still link them: the answer and the participation
    written in one transaction share `xmin`, and the heap order is the order of inserts. So
    every answer to a wave rewrites all the wave's answers (buyin.services.pulse
    .pulse_answer_submit): deleted and re-inserted in random order with new random keys, so
    that every live answer of the wave carries the latest answering transaction's `xmin` and
    their physical order (`ctid`) is random. Residual: the deleted versions stay on disk as
    dead tuples until autovacuum removes them, and the write-ahead log (with any archive of
    it) keeps each transaction's rows while it is kept: comparing two versions of the wave
    would show the newest answer. Reading either takes the database's superuser or its
    files, not the app's role; statement logging of parameters must stay off on the server.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(PulseSurvey, on_delete=models.CASCADE, related_name="answers")
    unit = models.ForeignKey(
        "deflection.Unit", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("unit")
    )
    partner = models.ForeignKey("partners.ServicePartner", models.SET_NULL, null=True, blank=True, related_name="+")
    # One score a statement, in the wave's order; None where the person left it blank.
    scores = models.JSONField(_("scores"), default=list)
    open_text = models.TextField(_("answer to the open question"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("pulse answer")
        # The random key: no order of arrival to read.
        ordering = ["id"]

    def __str__(self) -> str:
        return str(_("Anonymous answer"))

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.scores, list) or any(s is not None and s not in SCORES for s in self.scores):
            raise ValidationError({"scores": _("Scores run from 1 to 5, or are left blank.")})


class PulseParticipation(models.Model):
    """Who was asked in a wave and whether they have answered: stops a second answer and
    tells the reminder whom to remind. It holds no link to the answer, and no time of answering."""

    survey = models.ForeignKey(PulseSurvey, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pulse_participations")
    answered = models.BooleanField(_("answered"), default=False)
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    mail_claimed_at = claim_field()

    class Meta:
        verbose_name = _("pulse participation")
        constraints = [models.UniqueConstraint(fields=["survey", "user"], name="pulse_participation_once")]

    def __str__(self) -> str:
        return f"{self.survey} · user #{self.user_id}"
