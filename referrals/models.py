"""Officers, clients, referrals (one deflection each), follow-ups and case events.

Statuses change only through referrals.services, which write a CaseEvent in the same
transaction. The absolute rules are database constraints, not only form checks.
"""

from __future__ import annotations

import unicodedata
import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deflection.claims import claim_field


def normalize_name(value: str) -> str:
    """Lower case, accents and punctuation removed, spaces folded: what search compares."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = "".join(c if c.isalnum() else " " for c in plain.lower())
    return " ".join(cleaned.split())


# How many months after the start of its month a deflection's outcomes are counted for good.
COUNTED_AFTER_MONTHS = 2


def count_day(occurred_at: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """When what the partner recorded of a deflection is counted for good (Referral's counted_
    fields): midnight starting the month after next from the month it happened in, on the
    agency's calendar; November's deflections on 1 January. The partners have a month after
    the month ends to record acceptance and intake; a figure that still moved after it would
    tell, by how it moved, one client's outcome."""
    local = occurred_at.astimezone(zone)
    index = local.year * 12 + local.month - 1 + COUNTED_AFTER_MONTHS
    return datetime.combine(date(index // 12, index % 12 + 1, 1), time.min, tzinfo=zone)


# A retention check counts when recorded within this long after its due day: the figures
# take in a client's check at its due day and this much later, whenever it was recorded,
# so they move by no one's check on the day it is recorded.
RETENTION_RECORDED_WITHIN = timedelta(days=30)


class Pathway(models.TextChoices):
    """The six deflection pathways."""

    SELF_REFERRAL = "self_referral", _("Self-referral")
    ACTIVE_OUTREACH = "active_outreach", _("Active outreach")
    NALOXONE_PLUS = "naloxone_plus", _("Naloxone plus")
    OFFICER_PREVENTION = "officer_prevention", _("Officer prevention referral")
    OFFICER_INTERVENTION = "officer_intervention", _("Officer intervention referral")
    COMMUNITY_RESPONSE = "community_response", _("Community response")


class Need(models.TextChoices):
    """The needs an officer may record for the person at the encounter."""

    SUBSTANCE_USE = "substance_use", _("Substance use")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    HOUSING = "housing", _("Housing")
    MEDICAL = "medical", _("Medical care")
    FOOD = "food", _("Food")
    BENEFITS = "benefits", _("Benefits / ID")
    OTHER = "other", _("Other")


class Substance(models.TextChoices):
    """The substances an officer may record as involved in the encounter."""

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
    """A person deflected, known to one agency; their name, birth date and phone are sensitive health information."""

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
    # Set by `manage.py purge_expired`: the identity was removed after the retention period.
    identity_removed_at = models.DateTimeField(_("identity removed"), null=True, blank=True, editable=False)

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
        # Not the name: str() ends up in the admin's log, raw-id widgets and error pages.
        # Pages about the client show full_name, and each such page is on record.
        return f"Client #{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def refresh_search_name(self) -> None:
        self.search_name = normalize_name(f"{self.first_name} {self.last_name} {self.aliases}")


class Encounter(models.Model):
    """What an officer records of an encounter: a referral's, or a contact added to an open one."""

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
    # The agency's own number for the incident, from its records or dispatch system (RMS/CAD):
    # what the agency finds the deflection by. Not the client's identity.
    incident_number = models.CharField(_("incident number"), max_length=40, blank=True)
    # The officer's form carries a token made when the form was shown: a double tap
    # or a resubmitted form finds the encounter it already created.
    submission_token = models.UUIDField(unique=True, null=True, blank=True, editable=False)
    # From the form being shown to it being saved, as the server saw it (the process
    # evaluation compares it with the agency's booking time); empty when not measured.
    seconds_to_log = models.PositiveIntegerField(_("seconds to log"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("logged at"), default=timezone.now, editable=False)

    class Meta:
        abstract = True

    def presenting_needs_labels(self) -> list[str]:
        return [str(Need(n).label) for n in self.presenting_needs if n in Need.values]

    def substances_labels(self) -> list[str]:
        return [str(Substance(s).label) for s in self.substances if s in Substance.values]


class Referral(Encounter):
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

    class RejectReason(models.TextChoices):
        NO_CAPACITY = "no_capacity", _("No capacity")
        NOT_ELIGIBLE = "not_eligible", _("Not eligible")
        COULD_NOT_CONTACT = "could_not_contact", _("Could not contact")
        CLIENT_DECLINED = "client_declined", _("Client declined")
        OTHER = "other", _("Other")

    class CancelReason(models.TextChoices):
        WITHDRAWN = "withdrawn", _("Withdrawn")
        ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")

    class FailReason(models.TextChoices):
        DISENGAGED = "disengaged", _("Client stopped engaging")
        COULD_NOT_CONTACT = "could_not_contact", _("Could not contact")
        CLIENT_DECLINED = "client_declined", _("Client declined further services")
        MOVED = "moved", _("Moved away")
        INCARCERATED = "incarcerated", _("In custody")
        DECEASED = "deceased", _("Deceased")
        OTHER = "other", _("Other")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="referrals")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="referrals")
    agency = models.ForeignKey("deflection.Agency", on_delete=models.PROTECT, related_name="referrals")
    partner = models.ForeignKey("partners.ServicePartner", on_delete=models.PROTECT, related_name="referrals")
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.REQUESTED)
    status_reason = models.CharField(_("status reason"), max_length=200, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    status_note = models.TextField(_("status note"), max_length=2000, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="accepted_referrals",
        verbose_name=_("accepted by"),
    )
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    intake_at = models.DateTimeField(_("intake"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # What the program's figures count of this referral: its status, acceptance and intake as
    # the partner had recorded them by the referral's count day (count_day: the first of the
    # month after next, on the agency's calendar). The lifecycle keeps them with the fields
    # above until then, and leaves them after: a month's figures from the partners' records,
    # once counted, never move, so nobody can tell one client's outcome from how a figure
    # changed the day their referral closed (42 CFR Part 2).
    counted_status = models.CharField(max_length=15, choices=Status.choices, default=Status.REQUESTED, editable=False)
    counted_status_reason = models.CharField(max_length=200, blank=True, editable=False)
    counted_accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    counted_intake_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Cancelled by its referring officer (withdrawn, or entered in error, before a partner
    # accepted): police's own act, which the officer's view and the export name, and the only
    # cancelling that is not a deflection (IS_DEFLECTION). Cancelled by the partner, it is a
    # closing like the partner's others: police see "Closed" and count it. Set only by the
    # cancelling, which nothing leads out of: true means cancelled.
    cancelled_by_officer = models.BooleanField(default=False, editable=False)
    # The client's deflection before this one (IS_DEFLECTION), when there was one. A
    # re-engagement (never a failure) when that one had closed or was to another partner:
    # see REENGAGEMENT. Seen again while it is open at the same partner is an OfficerContact.
    reengagement_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reengagements",
        verbose_name=_("re-engagement of"),
    )
    # When the referring officer last opened this referral ("updated since you looked").
    officer_seen_at = models.DateTimeField(null=True, blank=True, editable=False)

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
                condition=Q(pathway__in=Pathway.values),
                name="referral_pathway_valid",
            ),
            models.CheckConstraint(condition=Q(officer_minutes__gte=0), name="referral_minutes_not_negative"),
        ]
        indexes = [
            # An officer's referrals, newest first (My deflections); with what the officer's own
            # totals count (reports.highlights) and the partners they refer to most (the log
            # form), which then read the index alone, not a heap page per referral (2,000
            # referrals: 0.5 ms instead of 2.7 on PostgreSQL).
            models.Index(
                fields=["officer", "-occurred_at"],
                name="referral_officer_recent",
                include=[
                    *("id", "agency", "partner", "cancelled_by_officer"),
                    *("naloxone_administered", "charge_deflected", "officer_minutes"),
                ],
            ),
            models.Index(fields=["partner", "-created_at"], name="referral_partner_recent"),
            # A partner's referrals in one status, newest first (a partner's system polls for its
            # new ones; without it a status with few referrals reads all the partner's rows).
            models.Index(fields=["partner", "status", "-id"], name="referral_partner_status"),
            models.Index(fields=["agency", "-occurred_at"], name="referral_agency_recent"),
            models.Index(fields=["client", "-occurred_at"], name="referral_client_recent"),
            # The agency's incident numbers (its staff search them; its records system filters by them).
            models.Index(
                fields=["agency", "incident_number"], name="referral_agency_incident", condition=~Q(incident_number="")
            ),
        ]

    def __str__(self) -> str:
        return f"Referral #{self.pk}"

    COUNTED = ("status", "status_reason", "accepted_at", "intake_at")

    def keep_counted(self, now: datetime) -> list[str]:
        """Copy what the partner recorded into the counted fields while the referral's count
        day has not come (see counted_status); the fields to save, none after it."""
        if now >= count_day(self.occurred_at, zoneinfo.ZoneInfo(self.agency.timezone)):
            return []
        for name in self.COUNTED:
            setattr(self, f"counted_{name}", getattr(self, name))
        return [f"counted_{name}" for name in self.COUNTED]

    @property
    def is_open(self) -> bool:
        """Not yet rejected, cancelled, completed or failed."""
        return self.status in self.OPEN_STATUSES

    @property
    def awaits_acceptance(self) -> bool:
        """Logged and not yet taken on by the partner (the queue's "new")."""
        return self.status == self.Status.REQUESTED

    @property
    def entered_in_error(self) -> bool:
        """Cancelled by its own officer as entered in error: no encounter took place to follow
        up or thank for. A partner's cancelling is the partner's record (42 CFR Part 2): it
        changes nothing police are offered, whatever its reason."""
        return self.cancelled_by_officer and self.status_reason == self.CancelReason.ENTERED_IN_ERROR

    def status_reason_label(self) -> str:
        return reason_label(self.status_reason)


class OfficerContact(Encounter):
    """A client seen again by an officer while their referral to the same partner is open.

    Added to that referral (its history, the officer's record), not a second referral: the
    partner's queue holds one item per person, and the consent on the referral covers it.
    """

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="contacts")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="contacts")

    class Meta:
        verbose_name = _("officer contact")
        ordering = ["occurred_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(officer_minutes__gte=0), name="officer_contact_minutes_not_negative"),
        ]
        indexes = [models.Index(fields=["officer", "-occurred_at"], name="officer_contact_recent")]

    def __str__(self) -> str:
        return f"Officer contact · referral #{self.referral_id}"


class FollowUp(models.Model):
    """A check scheduled on a referral (contact, 72-hour, 30/60/90-day retention) and its outcome once done."""

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

    # The checks whose question is whether the client is still engaged so many days after
    # intake (each scheduled when intake is recorded: referrals.services.lifecycle).
    RETENTION_CHECKS = ((Kind.RETENTION_30, 30), (Kind.RETENTION_60, 60), (Kind.RETENTION_90, 90))

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="follow_ups")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField(_("due"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups"
    )
    # Set only after the mail server accepted the reminder (see follow_up_reminders_send).
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    lead_reminded_at = models.DateTimeField(_("partner lead told"), null=True, blank=True)
    mail_claimed_at = claim_field()
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

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
            # A referral's open follow-ups by due date: the partner's queue reads the earliest
            # (and whether one is overdue) for each of its referrals from this index alone.
            models.Index(
                fields=["referral", "due_at"], name="follow_up_open_by_referral", condition=Q(completed_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · referral #{self.referral_id}"

    @property
    def recordable_on(self) -> date | None:
        """The day, on the agency's calendar, from which its outcome may be recorded: a
        retention check's, the day it is due (whether the client is still engaged at 90 days
        is not known on day 10: a client who left before is closed as such, which removes the
        checks still open); any other's, at once (None). A date, so that it reads the same day
        to a reader in another time zone."""
        if self.kind not in dict(self.RETENTION_CHECKS):
            return None
        return self._agency_date(self.due_at)

    @property
    def recordable(self) -> bool:
        """Whether its outcome may be recorded now (recordable_on)."""
        day = self.recordable_on
        return day is None or self._agency_date(timezone.now()) >= day

    def _agency_date(self, moment) -> date:
        return moment.astimezone(zoneinfo.ZoneInfo(self.referral.agency.timezone)).date()


class CaseEvent(models.Model):
    """Every state change of a referral: who, from, to, why, when. Written by services only."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Deflection logged")
        STATUS_CHANGED = "status_changed", _("Status changed")
        NOTE = "note", _("Note")
        FOLLOW_UP = "follow_up", _("Follow-up")
        CONSENT = "consent", _("Consent")
        CLIENT_MERGED = "client_merged", _("Client records merged")
        OFFICER_CONTACT = "officer_contact", _("Seen again by an officer")
        OFFICER_CHECK_IN = "officer_check_in", _("Checked in by the referring officer")
        HELD_CHARGE = "held_charge", _("Held charge")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=15, blank=True)
    to_status = models.CharField(max_length=15, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    # A note the program writes by itself: a key of referrals/event_notes.py and its values,
    # said in the reader's language (note_text); `note` then holds it in the site's language.
    # Without a key, `note` is what a person typed, shown as typed.
    note_key = models.CharField(max_length=40, blank=True)
    note_params = models.JSONField(default=dict, blank=True)
    # The moment of the change itself (the service passes it), so that the event and the
    # referral's own timestamps agree exactly.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("case event")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "created",
                        "status_changed",
                        "note",
                        "follow_up",
                        "consent",
                        "client_merged",
                        "officer_contact",
                        "officer_check_in",
                        "held_charge",
                    ]
                ),
                name="case_event_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · referral #{self.referral_id}"

    def reason_label(self) -> str:
        return reason_label(self.reason)

    @property
    def note_text(self) -> str:
        """The note as this reader reads it: the program's own in the active language, a
        person's as they typed it."""
        if not self.note_key:
            return self.note
        from referrals.event_notes import said  # it reads the choices of this module's models

        return said(self.note_key, self.note_params, stored=self.note)

    def from_status_label(self) -> str:
        return self._label(self.from_status)

    def to_status_label(self) -> str:
        return self._label(self.to_status)

    def _label(self, status: str) -> str:
        # A held charge's events carry the charge's states, not the referral's.
        states = HeldCharge.State if self.kind == self.Kind.HELD_CHARGE else Referral.Status
        return states(status).label if status else ""


class ClientMerge(models.Model):
    """A record that two client rows were one person, and which one survived."""

    survivor = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="merges")
    merged_client_id = models.BigIntegerField()
    merged_snapshot = models.JSONField(help_text=_("The merged row as it was."))
    referrals_moved = models.PositiveIntegerField(default=0)
    consents_moved = models.PositiveIntegerField(default=0)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("client merge")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.merged_client_id} → #{self.survivor_id}"


# The follow-ups still worked on (reminded, counted as overdue in the queue): those of open
# referrals, and the retention checks of completed ones. Rejected, cancelled and failed
# referrals keep their history but nobody is chased for it.
FOLLOW_UPS_STILL_FOLLOWED = Q(referral__status__in=Referral.OPEN_STATUSES) | Q(
    referral__status=Referral.Status.COMPLETED, kind__startswith="retention"
)


# A deflection (DESIGN.md, the metrics' one definition): a referral its officer did not cancel.
# Only the referring officer's own withdrawal or "entered in error" takes it out of the counts:
# a partner's cancelling is the partner's record (42 CFR Part 2), a closing like a decline, so
# it moves no police figure (an officer who saw a count drop could tell it from a decline).
IS_DEFLECTION = Q(cancelled_by_officer=False)

# A re-engagement (DESIGN.md, the metrics' one definition): a deflection of a client whose
# previous deflection had closed before this one was logged, or was to another
# partner. Seen again while it was open at the same partner is an OfficerContact instead;
# referrals linked that way before contacts existed are not counted either.
REENGAGEMENT = (
    IS_DEFLECTION
    & Q(reengagement_of__isnull=False)
    & (
        ~Q(reengagement_of__partner_id=models.F("partner_id"))
        | Q(reengagement_of__closed_at__lte=models.F("created_at"))
    )
)


def reason_label(code: str) -> str:
    """The words for a rejection, cancellation or failure reason, or a follow-up kind."""
    for choices in (Referral.RejectReason, Referral.CancelReason, Referral.FailReason, FollowUp.Kind):
        if code in choices.values:
            return str(choices(code).label)
    return code


# A model of this app kept in its own module; importable from here like the others.
from referrals.charge_models import ChargeNotice, HeldCharge, JusticeAgency  # noqa: E402, F401
from referrals.checkin_models import OfficerCheckIn  # noqa: E402, F401
from referrals.consent_models import Consent  # noqa: E402, F401
from referrals.duplicate_models import PossibleDuplicate  # noqa: E402, F401
