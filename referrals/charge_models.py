"""The officer intervention pathway: a charge held in abeyance while the person engages with
treatment, the prosecutor's office or court that decides it, and what that office was told.

Imported by referrals/models.py: models of the app like the others, kept in their own module.
A held charge's state changes only through referrals.services.charges (HELD_CHARGE_MOVES and
its one transition), which writes a CaseEvent in the same transaction.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deflection import l10n
from deflection.claims import claim_field


class JusticeAgency(models.Model):
    """A prosecutor's office or court that decides the charges officers hold: kept by the
    program administrator (in the admin), like the partners. Its contact receives the notices
    that a client's criminal-justice consent (42 CFR §2.35) allows."""

    class Kind(models.TextChoices):
        PROSECUTOR = "prosecutor", _("Prosecutor's office")
        COURT = "court", _("Court")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PROSECUTOR)
    contact_name = models.CharField(
        _("contact"), max_length=200, blank=True, help_text=_("Who receives the notices (a name or a desk).")
    )
    contact_email = models.EmailField(
        _("contact email"), blank=True, help_text=_("Notices are emailed here; without it, only the letter is made.")
    )
    postal_address = models.TextField(_("postal address"), max_length=500, blank=True)
    agencies = models.ManyToManyField(
        "deflection.Agency",
        related_name="justice_agencies",
        verbose_name=_("agencies whose charges it decides"),
        blank=True,
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("prosecutor's office or court")
        verbose_name_plural = _("prosecutors' offices and courts")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["prosecutor", "court"]), name="justice_agency_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class HeldCharge(models.Model):
    """The charge an officer wrote and held in abeyance (or cited) while the person engages:
    met by the deadline, it is dropped; not met, it goes forward. Its description, statute and
    case number are the agency's record of the charge; whether the condition was met is read
    from the referral's lifecycle (referrals.held_charges.condition_met)."""

    class State(models.TextChoices):
        HELD = "held", _("Held")
        SATISFIED = "satisfied", _("Condition met: to be dropped")
        NOT_SATISFIED = "not_satisfied", _("Condition not met: goes forward")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Condition(models.TextChoices):
        INTAKE = "intake", _("Reach intake")
        ENGAGED_DAYS = "engaged_days", _("Stay engaged for a number of days")

    referral = models.OneToOneField("referrals.Referral", on_delete=models.CASCADE, related_name="held_charge")
    description = models.CharField(_("charge held"), max_length=200)
    statute = models.CharField(_("statute or ordinance"), max_length=100, blank=True)
    case_number = models.CharField(_("case or citation number"), max_length=60)
    condition = models.CharField(_("condition"), max_length=15, choices=Condition.choices, default=Condition.INTAKE)
    engaged_days = models.PositiveSmallIntegerField(_("days engaged"), null=True, blank=True)
    # A day in the agency's time zone: the condition is to be met before that day ends there.
    deadline = models.DateField(_("deadline"))
    decider = models.ForeignKey(
        JusticeAgency,
        on_delete=models.PROTECT,
        related_name="held_charges",
        verbose_name=_("prosecutor's office or court deciding"),
    )
    state = models.CharField(_("state"), max_length=15, choices=State.choices, default=State.HELD)
    state_changed_at = models.DateTimeField(_("state changed"), null=True, blank=True)
    # What the program's figures count: the state as of the count day of the deadline's end
    # (referrals.models.count_day: the first of the month after next), kept by the charge's
    # moves until then and left after, as Referral's counted_ fields are. Whether the condition
    # was met is whether the person entered treatment: a figure that moved after police knew
    # the deadline had passed would tell them.
    counted_state = models.CharField(max_length=15, choices=State.choices, default=State.HELD, editable=False)
    # Who decided the last change; nobody for the program's own check at the deadline.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    state_note = models.CharField(_("note"), max_length=300, blank=True)
    # Set once the mail server accepted the reminder (deflection/claims.py): never twice.
    reminded_before_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_passed_at = models.DateTimeField(null=True, blank=True, editable=False)
    mail_claimed_at = claim_field()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("held charge")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["held", "satisfied", "not_satisfied", "withdrawn"]),
                name="held_charge_state_valid",
            ),
            models.CheckConstraint(
                condition=(Q(condition="intake") & Q(engaged_days__isnull=True))
                | (Q(condition="engaged_days") & Q(engaged_days__gte=1)),
                name="held_charge_condition_valid",
            ),
            models.CheckConstraint(condition=~Q(description="") & ~Q(case_number=""), name="held_charge_described"),
        ]
        indexes = [models.Index(fields=["state", "deadline"], name="held_charge_state_deadline")]

    def __str__(self) -> str:
        # Not the charge or the case number: str() lands in logs and the admin's history.
        return f"Held charge · referral #{self.referral_id}"

    @property
    def is_held(self) -> bool:
        return self.state == self.State.HELD

    def deadline_ends_at(self, zone: zoneinfo.ZoneInfo) -> datetime:
        """The moment the deadline day ends in the agency's time zone (its next midnight)."""
        return datetime.combine(self.deadline + timedelta(days=1), time.min, tzinfo=zone)

    def condition_text(self) -> str:
        return condition_text(condition=self.condition, engaged_days=self.engaged_days, deadline=self.deadline)


def condition_text(*, condition: str, engaged_days: int | None, deadline: date) -> str:
    """A held charge's condition in the active language: also what its case event says
    (referrals/event_notes.py), from the values the event keeps."""
    if condition == HeldCharge.Condition.ENGAGED_DAYS:
        return str(_("Stay engaged %(n)d days by %(date)s")) % {"n": engaged_days, "date": l10n.day(deadline)}
    return str(_("Reach intake by %(date)s")) % {"date": l10n.day(deadline)}


class ChargeNotice(models.Model):
    """What the prosecutor's office or court was told of a held charge's decision, under the
    client's criminal-justice consent (42 CFR §2.35): the case number, the decision and its
    date, nothing else. Written with the decision; emailed by the sweep (emailed_at, once),
    and printable as a letter. Each sending and printing is on the access record, from which
    the client's accounting of disclosures reads it (referrals/disclosures.py)."""

    held_charge = models.OneToOneField(HeldCharge, on_delete=models.PROTECT, related_name="notice")
    consent = models.ForeignKey("referrals.Consent", on_delete=models.PROTECT, related_name="charge_notices")
    recipient = models.ForeignKey(JusticeAgency, on_delete=models.PROTECT, related_name="notices")
    state = models.CharField(_("decision told"), max_length=15, choices=HeldCharge.State.choices)
    # The day of the decision in the agency's time zone: the date the notice gives.
    decided_on = models.DateField(_("date told"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The address it went to, as it was then; set with emailed_at once the server accepted it.
    email_to = models.EmailField(_("emailed to"), blank=True)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)
    mail_claimed_at = claim_field()

    class Meta:
        verbose_name = _("notice to a prosecutor's office or court")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["satisfied", "not_satisfied", "withdrawn"]), name="charge_notice_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(emailed_at__isnull=True), name="charge_notice_unsent"),
        ]

    def __str__(self) -> str:
        return f"Charge notice · referral #{self.held_charge.referral_id}"
