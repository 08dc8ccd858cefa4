"""Per-day rollups of referrals, so that dashboards cost the same at a million referrals.

Three tables, all kept by the day a deflection happened (agency time): DailyRollup (counts
per unit, pathway and partner), OfficerDay (who deflected: distinct officers do not add
across days) and ReferralFact (a narrow row per accepted, rejected or intake referral, for
medians and for retention checkpoints that come due by the minute). When casework changes
a referral it writes a CaseEvent (always: it is the house rule), so the days to recount
are found from the events since the last refresh; recounting a day from the referrals is
idempotent, so a refresh can overlap the last one (a margin covers transactions that
committed late). A periodic task refreshes every few minutes, metrics refresh before they
read, and `manage.py rollups_rebuild` rebuilds everything (after imports, or admin edits,
which write no events).
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from deflection.models import Agency
from referrals.models import CaseEvent, FollowUp, Referral
from reports.models import DailyRollup, OfficerDay, ReferralFact, RollupState

MARGIN = timedelta(minutes=10)
NOT_CANCELLED = ~Q(status=Referral.Status.CANCELLED)


def _day_ranges(days: set[date], zone) -> Q:
    """The moments of the given days (agency time), consecutive days merged into one range:
    recounting a Monday and a Friday reads two days, not five."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and ranges[-1][1] + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    q = Q()
    for first, last in ranges:
        q |= Q(
            occurred_at__gte=datetime.combine(first, time.min, tzinfo=zone),
            occurred_at__lt=datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
        )
    return q


def _engaged(days: int) -> Exists:
    return Exists(
        FollowUp.objects.filter(
            referral=OuterRef("pk"),
            kind=f"retention_{days}",
            completed_at__isnull=False,
            outcome=FollowUp.Outcome.ENGAGED,
        )
    )


def _hours(start: datetime, end: datetime | None) -> float | None:
    # The same arithmetic as the definitions in reports/metrics.py, so medians agree exactly.
    return None if end is None else (end - start).total_seconds() / 3600


def _recount(agency: Agency, days: set[date]) -> None:
    """Recount the given days of one agency from its referrals: the per-day counts, who
    deflected, and the narrow per-referral facts."""
    if not days:
        return
    zone = zoneinfo.ZoneInfo(agency.timezone)
    referrals = Referral.objects.filter(_day_ranges(days, zone), agency=agency).order_by()
    rows = (
        referrals.annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .values("day", "officer__unit_id", "pathway", "partner_id")
        .annotate(
            logged=Count("id"),
            deflections=Count("id", filter=NOT_CANCELLED),
            accepted=Count("id", filter=NOT_CANCELLED & Q(accepted_at__isnull=False)),
            intake=Count("id", filter=NOT_CANCELLED & Q(intake_at__isnull=False)),
            naloxone=Count("id", filter=NOT_CANCELLED & Q(naloxone_administered=True)),
            charged=Count("id", filter=NOT_CANCELLED & ~Q(charge_deflected="")),
            charged_minutes=Sum("officer_minutes", filter=NOT_CANCELLED & ~Q(charge_deflected="")),
            reengagements=Count("id", filter=NOT_CANCELLED & Q(reengagement_of__isnull=False)),
        )
    )
    cells = [
        DailyRollup(
            agency=agency,
            day=row["day"],
            unit_key=row["officer__unit_id"] or 0,
            pathway=row["pathway"],
            partner_id=row["partner_id"],
            logged=row["logged"],
            deflections=row["deflections"],
            accepted=row["accepted"],
            intake=row["intake"],
            naloxone=row["naloxone"],
            charged=row["charged"],
            charged_minutes=row["charged_minutes"] or 0,
            reengagements=row["reengagements"],
        )
        for row in rows
    ]
    deflections = referrals.filter(NOT_CANCELLED)
    officer_days = [
        OfficerDay(agency=agency, day=row["day"], officer_id=row["officer_id"], deflections=row["n"])
        for row in deflections.annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .values("day", "officer_id")
        .annotate(n=Count("id"))
    ]
    fact_rows = (
        deflections.filter(
            Q(accepted_at__isnull=False) | Q(intake_at__isnull=False) | Q(status=Referral.Status.REJECTED)
        )
        .annotate(r30=_engaged(30), r60=_engaged(60), r90=_engaged(90))
        .values_list(
            "occurred_at",
            "officer__unit_id",
            "pathway",
            "partner_id",
            "accepted_at",
            "intake_at",
            "status",
            "status_reason",
            "r30",
            "r60",
            "r90",
        )
    )
    facts = [
        ReferralFact(
            agency=agency,
            day=occurred.astimezone(zone).date(),
            unit_key=unit_id or 0,
            pathway=pathway,
            partner_id=partner_id,
            hours_to_accept=_hours(occurred, accepted),
            hours_to_intake=_hours(occurred, intake),
            intake_at=intake,
            retained_30=r30,
            retained_60=r60,
            retained_90=r90,
            reject_reason=reason if status == Referral.Status.REJECTED else None,
        )
        for occurred, unit_id, pathway, partner_id, accepted, intake, status, reason, r30, r60, r90 in fact_rows
    ]
    with transaction.atomic():
        for model in (DailyRollup, OfficerDay, ReferralFact):
            model.objects.filter(agency=agency, day__in=days).delete()
        DailyRollup.objects.bulk_create(cells, batch_size=2000)
        OfficerDay.objects.bulk_create(officer_days, batch_size=2000)
        ReferralFact.objects.bulk_create(facts, batch_size=2000)


def rollups_refresh(*, agency: Agency, now: datetime | None = None) -> int:
    """Take in the case events since the last refresh; returns how many days were recounted."""
    now = now or timezone.now()
    state = RollupState.objects.filter(agency=agency).first()
    if state is None:
        rollups_rebuild(agency=agency, now=now)
        return -1
    zone = zoneinfo.ZoneInfo(agency.timezone)
    changed = (
        CaseEvent.objects.filter(referral__agency=agency, created_at__gt=state.refreshed_until - MARGIN)
        .values_list("referral__occurred_at", flat=True)
        .distinct()
    )
    days = {moment.astimezone(zone).date() for moment in changed}
    _recount(agency, days)
    RollupState.objects.filter(pk=state.pk).update(refreshed_until=now)
    return len(days)


def rollups_rebuild(*, agency: Agency, now: datetime | None = None) -> None:
    """Recount every day of the agency from its referrals."""
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(agency.timezone)
    first = Referral.objects.filter(agency=agency).order_by("occurred_at").values_list("occurred_at", flat=True).first()
    with transaction.atomic():
        for model in (DailyRollup, OfficerDay, ReferralFact):
            model.objects.filter(agency=agency).delete()
        if first is not None:
            day, last = first.astimezone(zone).date(), now.astimezone(zone).date() + timedelta(days=1)
            while day <= last:
                month_end = min(last, day + timedelta(days=31))
                _recount(agency, {day + timedelta(days=i) for i in range((month_end - day).days + 1)})
                day = month_end + timedelta(days=1)
        RollupState.objects.update_or_create(agency=agency, defaults={"refreshed_until": now})


def rollups_refresh_all() -> int:
    return sum(max(rollups_refresh(agency=agency), 0) for agency in Agency.objects.all())
