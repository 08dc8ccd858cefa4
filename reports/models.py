"""Quick wins: milestones, success stories, the weekly digest for leadership and the units'
roll-call briefings."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deflection import l10n
from deflection.claims import claim_field
from referrals.models import Referral

# The rollups' tables live in a module of their own; imported so that they load with the app.
from reports import rollup_models  # noqa: F401


class Milestone(models.Model):
    """A quick win, detected when it happens. Unique per scope: a "first" happens once."""

    class Kind(models.TextChoices):
        OFFICER_FIRST = "officer_first", _("Officer's first deflection")
        UNIT_FIRST = "unit_first", _("Unit's first deflection")
        AGENCY_FIRST = "agency_first", _("Agency's first deflection")
        FIRST_NALOXONE = "first_naloxone", _("First overdose reversal deflection")
        COUNT_10 = "count_10", _("10th deflection")
        COUNT_100 = "count_100", _("100th deflection")
        COUNT_1000 = "count_1000", _("1,000th deflection")
        FIRST_RETAINED_90 = "first_retained_90", _("First client retained 90 days")
        PARTNER_FIRST_INTAKE = "partner_first_intake", _("First intake at a wait-and-see partner")

    agency = models.ForeignKey("deflection.Agency", on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(_("kind"), max_length=25, choices=Kind.choices)
    # What the "first" is of: "agency:3", "officer:17", "unit:4", "partner:2".
    scope = models.CharField(max_length=40)
    achieved_at = models.DateTimeField(_("achieved"))
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    officer = models.ForeignKey(
        "referrals.Officer", on_delete=models.SET_NULL, null=True, blank=True, related_name="milestones"
    )
    unit = models.ForeignKey("deflection.Unit", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    partner = models.ForeignKey(
        "partners.ServicePartner", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("milestone")
        ordering = ["-achieved_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "scope"], name="milestone_once_per_scope"),
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "officer_first",
                        "unit_first",
                        "agency_first",
                        "first_naloxone",
                        "count_10",
                        "count_100",
                        "count_1000",
                        "first_retained_90",
                        "partner_first_intake",
                    ]
                ),
                name="milestone_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.achieved_at:%Y-%m-%d}"

    def headline(self) -> str:
        """The quick win in words, with no client identity."""
        if self.kind == self.Kind.OFFICER_FIRST and self.officer:
            return str(_("%(officer)s logged their first deflection")) % {"officer": self.officer.display_name}
        if self.kind == self.Kind.UNIT_FIRST and self.unit:
            return str(_("%(unit)s logged its first deflection")) % {"unit": self.unit.name}
        if self.kind == self.Kind.PARTNER_FIRST_INTAKE and self.partner:
            return str(_("First intake at %(partner)s")) % {"partner": self.partner.name}
        return str(self.get_kind_display())


class SuccessStory(models.Model):
    """A thank-you note or testimonial. Only those the client consented to share, and that a
    program administrator then approved, ever leave the case record (the digest shows those
    only): the text is free, and nobody but a person can tell it names no one."""

    class Review(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        APPROVED = "approved", _("Approved for the digest")
        DECLINED = "declined", _("Declined")

    class Source(models.TextChoices):
        CLIENT = "client", _("Client")
        FAMILY = "family", _("Family member")
        OFFICER = "officer", _("Officer")
        PROVIDER = "provider", _("Service provider")
        COMMUNITY = "community", _("Community member")

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="success_stories")
    agency = models.ForeignKey("deflection.Agency", on_delete=models.CASCADE, related_name="success_stories")
    source = models.CharField(_("from"), max_length=12, choices=Source.choices, default=Source.CLIENT)
    text = models.TextField(_("the note, in their words"), max_length=3000)
    consent_to_share = models.BooleanField(
        _("the client agreed that this may be shared without their name"), default=False
    )
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # Decided by a program administrator (reports.services.success_story_review). A story
    # the client did not agree to share stays pending: nobody reviews what never leaves.
    review_state = models.CharField(_("review"), max_length=10, choices=Review.choices, default=Review.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    # What leaves the case record (highlights, briefing, digest): agreed, approved, and not on a
    # referral its officer cancelled as entered in error, where no encounter took place (one
    # approved before that cancelling is not shared after it).
    SHARED = Q(consent_to_share=True, review_state=Review.APPROVED) & ~Q(
        referral__cancelled_by_officer=True, referral__status_reason=Referral.CancelReason.ENTERED_IN_ERROR
    )

    class Meta:
        verbose_name = _("success story")
        verbose_name_plural = _("success stories")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(consent_to_share=False) | Q(consent_recorded_at__isnull=False),
                name="story_consent_has_a_date",
            ),
            models.CheckConstraint(
                condition=Q(review_state__in=["pending", "approved", "declined"]), name="story_review_state_valid"
            ),
            models.CheckConstraint(
                condition=(Q(review_state="pending") & Q(reviewed_at__isnull=True))
                | (~Q(review_state="pending") & Q(reviewed_at__isnull=False)),
                name="story_review_has_a_date",
            ),
            models.CheckConstraint(
                condition=~Q(review_state="approved") | Q(consent_to_share=True),
                name="story_approved_only_if_shareable",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} · {self.created_at:%Y-%m-%d}"


class SentMail(models.Model):
    """A periodic email as it was sent (to whom, what), kept so that it is sent once."""

    recipients = models.JSONField(default=list)
    subject = models.CharField(max_length=200, blank=True)
    html = models.TextField(blank=True)
    text = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    mail_claimed_at = claim_field()
    created_at = models.DateTimeField(default=timezone.now)

    # The field naming whom the mail is about (an agency, a unit), and the one naming its period.
    about = ""
    period = ""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{getattr(self, self.about)} · {getattr(self, self.period)}"


class WeeklyMail(SentMail):
    """A weekly email as it was sent."""

    week_start = models.DateField(_("week starting"), help_text=_("The Monday of the week reported."))
    period = "week_start"

    class Meta:
        abstract = True
        ordering = ["-week_start"]


class Digest(WeeklyMail):
    """One weekly quick-win digest per agency and week: a rerun, a retry or a second beat
    finds the row and sends nothing twice."""

    agency = models.ForeignKey("deflection.Agency", on_delete=models.CASCADE, related_name="digests")
    about = "agency"

    class Meta(WeeklyMail.Meta):
        verbose_name = _("weekly digest")
        constraints = [models.UniqueConstraint(fields=["agency", "week_start"], name="digest_once_per_week")]


class ProgramDigest(SentMail):
    """One monthly digest per program and month, for its regional coordinators: every agency
    beside the others and the whole, sent once like the agencies' digests. Monthly because
    what leaves an agency is counted in whole months (reports/program.py)."""

    program = models.ForeignKey("deflection.Program", on_delete=models.CASCADE, related_name="digests")
    month_start = models.DateField(_("month"), null=True, help_text=_("The first day of the month reported."))
    # The digests sent weekly before the program's digest went monthly keep their week here
    # (and no month): a week that began on the 1st is not that month's digest.
    week_start = models.DateField(_("week starting"), null=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("monthly program digest")
        constraints = [models.UniqueConstraint(fields=["program", "month_start"], name="program_digest_once_per_month")]

    def __str__(self) -> str:
        return f"{self.program} · {self.month_start or self.week_start}"


class PublishedMonth(models.Model):
    """An agency's figures of one month as they leave it (the program view and the program's
    digest), counted once when the program publishes the month (with its digest, the first
    Monday after it at 07:00) and never again. Partners record late and officers log late: a
    figure read live would differ from yesterday's by the day's few late records, one client's
    acceptance say. Published, a month's figures are what they were when it was published.
    The partners' records of the month are published a month later, with the next month's
    police work, once they are counted (referrals.models.count_day), as the agency's own
    pages show them."""

    agency = models.ForeignKey("deflection.Agency", on_delete=models.CASCADE, related_name="published_months")
    month = models.DateField(_("month"), help_text=_("The first day of the month, on the agency's calendar."))
    # The month's police work summed by the program (reports.program.SUMMED), by name.
    counts = models.JSONField(default=dict)
    # The officers (ids) who deflected in the month: the program counts them once over its period.
    officers = models.JSONField(default=list)
    # The partners' records of the month's deflections summed by the program (reports.program.
    # TREATED), by name; None until they are published.
    treatment_counts = models.JSONField(null=True, blank=True)
    # Whether the month's deflections are cut into parts big enough for the partners' records
    # of them to be shown (reports.metrics.cohorts_large_enough), checked when they are published.
    treatment_shown = models.BooleanField(default=False)
    published_at = models.DateTimeField(default=timezone.now)
    treatment_published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agency", "month"]
        verbose_name = _("published month")
        constraints = [models.UniqueConstraint(fields=["agency", "month"], name="published_month_once")]

    def __str__(self) -> str:
        return f"{self.agency} · {self.month:%Y-%m}"


class Briefing(WeeklyMail):
    """One roll-call briefing per unit and week, as emailed to the unit's supervisors: a rerun,
    a retry or a second beat finds the row and sends nothing twice."""

    unit = models.ForeignKey("deflection.Unit", on_delete=models.CASCADE, related_name="briefings")
    about = "unit"

    class Meta(WeeklyMail.Meta):
        verbose_name = _("roll-call briefing")
        constraints = [models.UniqueConstraint(fields=["unit", "week_start"], name="briefing_once_per_unit_and_week")]


class ExportRecord(models.Model):
    """Each evaluation export: who took it, when, with which filters."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("deflection.Agency", on_delete=models.PROTECT, related_name="+")
    filters = models.JSONField(default=dict)
    file_format = models.CharField(max_length=4, choices=Format.choices)
    rows = models.PositiveIntegerField(default=0)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("evaluation export")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.agency} · {self.created_at:%Y-%m-%d %H:%M} · {self.user}"

    @property
    def months(self) -> str:
        """The exported months as the pages write them ("March 2026 to April 2026")."""
        first, last = (date.fromisoformat(f"{self.filters[key]}-01") for key in ("from", "to"))
        return l10n.month_span(first, last)
