"""The rollups' tables: per-day counts and facts of referrals that the dashboard reads
instead of the referrals (reports/rollups.py keeps them, reports/metrics/from_rollups.py
reads them). Imported by reports/models.py: they are the app's models like the others."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from buyin.models import FeedbackObstacle, OfficerFeedback


class DailyRollup(models.Model):
    """Counts of referrals per agency, day (agency time, by when the deflection happened),
    unit, pathway and partner: what dashboards read, so their cost stays flat as the
    referrals grow. Kept up to date from the case events casework writes (see
    reports/rollups.py); `manage.py rollups_rebuild` rebuilds them from the referrals.

    Besides the cells of one unit, pathway and partner, each day has the same counts summed
    over all of them (unit ALL_UNITS, pathway "", no partner), per unit alone, per pathway
    alone and per partner alone: at a million referrals a day has hundreds of cells, and the
    dashboard without filters reads one row per day (or per pathway or partner) instead."""

    ALL_UNITS = -1

    agency = models.ForeignKey("deflection.Agency", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    unit_key = models.IntegerField(default=0, help_text="The officer's unit id; 0 for none; -1 for all units.")
    pathway = models.CharField(max_length=25, blank=True, help_text="Empty for all pathways.")
    partner = models.ForeignKey(
        "partners.ServicePartner",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        help_text="Empty for all partners.",
    )
    logged = models.PositiveIntegerField(default=0)
    deflections = models.PositiveIntegerField(default=0)  # logged less those their officer cancelled
    accepted = models.PositiveIntegerField(default=0)
    intake = models.PositiveIntegerField(default=0)
    naloxone = models.PositiveIntegerField(default=0)
    charged = models.PositiveIntegerField(default=0)
    charged_minutes = models.PositiveIntegerField(default=0)
    reengagements = models.PositiveIntegerField(default=0)
    charges_held = models.PositiveIntegerField(default=0)
    charges_satisfied = models.PositiveIntegerField(default=0)
    charges_not_satisfied = models.PositiveIntegerField(default=0)
    charges_pending = models.PositiveIntegerField(default=0)
    # 1: the row counts one day; 7: a whole week (Monday to Sunday, `day` its Monday), the
    # level rows of its seven days summed (see reports.rollups.WEEKLY): a long period reads
    # its whole weeks and only the days at its ends.
    span = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "span", "day", "unit_key", "pathway", "partner"], name="rollup_cell_once"
            )
        ]
        indexes = [
            models.Index(fields=["agency", "day"], name="rollup_agency_day"),
            # The levels' rows (a few dozen a day, and the weeks) without walking the cells'
            # hundreds: every level read implies the condition.
            models.Index(
                fields=["agency", "span", "day"],
                condition=Q(partner__isnull=True) | Q(unit_key=-1, pathway=""),
                name="rollup_levels_span_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} · {self.day} · {self.pathway}"


class LevelRow(models.Model):
    """What the summed tables (RetentionRollup, HoursHistogram, RejectionRollup) count by,
    besides their own keys: the agency, the day, and the level (see DailyRollup): every
    unit (ALL_UNITS), pathway ("") and partner (none), or one of them alone."""

    agency = models.ForeignKey("deflection.Agency", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    unit_key = models.IntegerField(default=DailyRollup.ALL_UNITS)
    pathway = models.CharField(max_length=25, blank=True)
    partner = models.ForeignKey(
        "partners.ServicePartner", on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    # 1: the row counts one day; 7: a whole week (Monday to Sunday, `day` its Monday), the
    # level rows of its seven days summed (see reports.rollups.WEEKLY): a long period reads
    # its whole weeks and only the days at its ends.
    span = models.PositiveSmallIntegerField(default=1)

    class Meta:
        abstract = True


class RollupState(models.Model):
    """Up to when an agency's rollups have taken in the case events."""

    agency = models.OneToOneField("deflection.Agency", on_delete=models.CASCADE, related_name="+")
    refreshed_until = models.DateTimeField()
    # Ids of the case events of the last refresh that the next one sees again (its margin):
    # their days are counted already.
    taken_in = models.JSONField(default=list, blank=True)
    # The same for officers' feedback, which writes no case event: ids of the feedback the
    # last refresh counted that the next one sees again.
    feedback_taken_in = models.JSONField(default=list, blank=True)
    # And for officers' check-ins, counted by their own day, not their referral's.
    check_ins_taken_in = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.agency_id} · {self.refreshed_until:%Y-%m-%d %H:%M}"


class OfficerDay(models.Model):
    """An officer deflected on this day (agency time): the buy-in index counts distinct
    officers over 30 days, and distinct counts do not add across days, so the rollup keeps
    who, not how many. The officer's unit is read at query time, as the metric does."""

    agency = models.ForeignKey("deflection.Agency", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    officer = models.ForeignKey("referrals.Officer", on_delete=models.CASCADE, related_name="+")
    deflections = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "day", "officer"], name="officer_day_once")]
        indexes = [models.Index(fields=["agency", "day"], name="officer_day_agency_day")]

    def __str__(self) -> str:
        return f"{self.agency_id} · {self.day} · officer {self.officer_id}"


class OfficerMonth(models.Model):
    """The days of a month (agency time) an officer deflected on, as bits (bit 0 the 1st):
    participation over any run of whole days reads a row per officer and month, however
    many officer-days those are (a 30-day window reads at most two months' rows; the
    weekly chart's 17 weeks five). Kept from OfficerDay as days are recounted."""

    agency = models.ForeignKey("deflection.Agency", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first of the month.")
    officer = models.ForeignKey("referrals.Officer", on_delete=models.CASCADE, related_name="+")
    days = models.IntegerField(help_text="Bit n set: the officer deflected on day n + 1 of the month.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "month", "officer"], name="officer_month_once")]

    def __str__(self) -> str:
        return f"{self.agency_id} · {self.month:%Y-%m} · officer {self.officer_id}"


class ReferralFact(models.Model):
    """A narrow copy of what medians, retention and rejection reasons need from each
    deflection that was accepted, rejected or reached intake (cancelled ones are left out),
    kept by day like DailyRollup. Medians and "checkpoint come due by now" cannot be
    summed from per-day counts, so they read these rows: a tenth of the width of a
    referral, found by (agency, day)."""

    agency = models.ForeignKey("deflection.Agency", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    unit_key = models.IntegerField(default=0, help_text="The officer's unit id; 0 for none.")
    pathway = models.CharField(max_length=25)
    partner = models.ForeignKey("partners.ServicePartner", on_delete=models.CASCADE, related_name="+")
    hours_to_accept = models.FloatField(null=True)
    hours_to_intake = models.FloatField(null=True)
    intake_at = models.DateTimeField(null=True)
    retained_30 = models.BooleanField(default=False)
    retained_60 = models.BooleanField(default=False)
    retained_90 = models.BooleanField(default=False)
    # The status reason of a rejected referral ("" if none was given); None if not rejected.
    reject_reason = models.CharField(max_length=200, null=True, blank=True)
    # The HoursHistogram bins of the two hours (reports.rollups.hours_bin): a median reads
    # the exact hours of one bin only, found by these.
    accept_bin = models.SmallIntegerField(null=True)
    intake_bin = models.SmallIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["agency", "day"], name="fact_agency_day"),
            # Retention: the intakes whose checkpoint comes due on the day being asked about.
            # Covering (PostgreSQL): a day's intakes lie on as many pages as rows.
            models.Index(
                fields=["agency", "intake_at"],
                include=["day", "retained_30", "retained_60", "retained_90", "unit_key", "pathway", "partner"],
                name="fact_agency_intake_covering",
            ),
            # Medians: the hours inside the bin that holds the middle value, over the days;
            # covering (PostgreSQL), since a bin's rows lie on as many pages as rows.
            models.Index(
                fields=["agency", "intake_bin", "day"],
                include=["hours_to_intake", "unit_key", "pathway", "partner"],
                name="fact_intake_bin_hours",
            ),
            # Per partner: the scorecard reads one or two bins of each partner.
            models.Index(
                fields=["agency", "partner", "accept_bin", "day"],
                include=["hours_to_accept"],
                name="fact_accept_bin_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} · {self.day} · {self.pathway}"


class RetentionRollup(LevelRow):
    """Intakes per agency, day of the deflection and day of the intake, with how many were
    still engaged at each retention check, summed over every unit, pathway and partner,
    and per unit alone, pathway alone and partner alone (the levels of DailyRollup; a
    scope with two or more filters reads ReferralFact). A checkpoint has come due for the
    intake days before the day `now - 30/60/90 days` falls in; that one day is counted
    from ReferralFact to the minute."""

    intake_day = models.DateField()
    intake = models.PositiveIntegerField(default=0)
    retained_30 = models.PositiveIntegerField(default=0)
    retained_60 = models.PositiveIntegerField(default=0)
    retained_90 = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["agency", "day"], name="retention_agency_day"),
            models.Index(
                fields=["agency", "unit_key", "pathway", "partner", "span", "day"], name="retention_level_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} · {self.day} · intake {self.intake_day}"


class HoursHistogram(LevelRow):
    """How many deflections of a day took how long, in bins of hours (reports.rollups.hours_bin:
    each about 15% of its hours): a median sums the bins of its
    days to find the bin holding the middle value(s), then reads only that bin's exact hours
    from ReferralFact, so it costs days x bins plus one bin's rows, not every referral.

    Hours to intake are kept summed over every unit, pathway and partner, and per unit alone,
    pathway alone and partner alone (the levels of DailyRollup); hours to accept per partner
    alone, the only level the partner scorecard reads. A scope with two or more filters
    reads ReferralFact (the cells would hold about one value per bin: no saving)."""

    class Measure(models.TextChoices):
        ACCEPT = "accept", "hours to accept"
        INTAKE = "intake", "hours to intake"

    measure = models.CharField(max_length=6, choices=Measure.choices)
    bin = models.SmallIntegerField()
    n = models.PositiveIntegerField(default=0)

    class Meta:
        # A level's days (or weeks) are found by equality on the level's columns, then the
        # day range; a recount deletes the rows of its days.
        indexes = [
            models.Index(
                fields=["agency", "measure", "unit_key", "pathway", "partner", "span", "day"],
                name="histogram_level_span_day",
            ),
            models.Index(fields=["agency", "day"], name="histogram_agency_day"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} · {self.day} · {self.measure} bin {self.bin}"


class RejectionRollup(LevelRow):
    """Rejected deflections per agency, day, partner and reason ("" if none was given): the
    partner scorecard's rejection reasons. Per partner alone (the level it reads); a scope
    with a unit or pathway filter counts ReferralFact."""

    reason = models.CharField(max_length=200, blank=True)
    n = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["agency", "span", "day"], name="rejection_agency_span_day")]

    def __str__(self) -> str:
        return f"{self.agency_id} · {self.day} · {self.reason}"


class FeedbackRollup(LevelRow):
    """Officers' feedback after a deflection per agency, day of the deflection (agency time),
    unit, pathway and partner: how many were asked, how many answered easier, the same or
    harder than an arrest, and how many named each obstacle. Kept like DailyRollup: the cells
    of one unit, pathway and partner, and the levels (every unit, pathway and partner, or one
    of them alone). Counts only: who said what is never kept here (buyin.OfficerFeedback)."""

    asked = models.PositiveIntegerField(default=0)  # answered or skipped
    # and a column per answer (easier, same, harder) and per obstacle (obstacle_<kind>): below.

    class Meta:
        indexes = [
            models.Index(fields=["agency", "day"], name="feedback_rollup_agency_day"),
            models.Index(fields=["agency", "unit_key", "pathway", "partner", "day"], name="feedback_rollup_level_day"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} · {self.day} · feedback"


# The answers of each kind, and the answers naming each obstacle: a column per choice of
# buyin's models, so that a new choice is a new column (and its migration) without a second
# list to keep here.
for _column in (*OfficerFeedback.Ease.values, *(f"obstacle_{kind}" for kind in FeedbackObstacle.Kind.values)):
    FeedbackRollup.add_to_class(_column, models.PositiveIntegerField(default=0))


class LogTimeHistogram(LevelRow):
    """How many deflections of a day took how long to log (the form's seconds_to_log), in
    the bins of reports.metrics.process.log_time_bin (each bin's value is the time it
    stands for, so the median and the 90th percentile read the bins alone), at the levels
    of DailyRollup but the cells: a scope with two or more filters reads the referrals."""

    seconds = models.PositiveIntegerField()
    n = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["agency", "unit_key", "pathway", "partner", "day"], name="logtime_level_day"),
            models.Index(fields=["agency", "day"], name="logtime_agency_day"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} · {self.day} · {self.seconds} s"


class CheckInRollup(LevelRow):
    """Officers' check-ins with people they referred (non-enforcement engagements) per agency,
    day of the check-in (not of the deflection), unit of the officer and pathway and partner
    of the referral: the cells and the levels, like FeedbackRollup (reports/metrics/check_ins.py
    reads them)."""

    check_ins = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["agency", "day"], name="check_in_rollup_agency_day")]

    def __str__(self) -> str:
        return f"{self.agency_id} · {self.day} · check-ins"
