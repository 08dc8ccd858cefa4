"""Per-day rollups of referrals, so that dashboards cost the same at a million referrals.

A referral counts on the day its deflection happened (agency time). When casework changes
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
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from deflection.models import Agency
from referrals.models import CaseEvent, Referral
from reports.models import DailyRollup, RollupState

MARGIN = timedelta(minutes=10)
NOT_CANCELLED = ~Q(status=Referral.Status.CANCELLED)


def _bounds(agency: Agency, first: date, last: date) -> tuple[datetime, datetime]:
    zone = zoneinfo.ZoneInfo(agency.timezone)
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


def _recount(agency: Agency, days: set[date]) -> None:
    """Recount the given days of one agency from its referrals."""
    if not days:
        return
    zone = zoneinfo.ZoneInfo(agency.timezone)
    start, end = _bounds(agency, min(days), max(days))
    rows = (
        Referral.objects.filter(agency=agency, occurred_at__gte=start, occurred_at__lt=end)
        .annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .filter(day__in=days)
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
        .order_by()
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
    with transaction.atomic():
        DailyRollup.objects.filter(agency=agency, day__in=days).delete()
        DailyRollup.objects.bulk_create(cells, batch_size=2000)


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
        DailyRollup.objects.filter(agency=agency).delete()
        if first is not None:
            day, last = first.astimezone(zone).date(), now.astimezone(zone).date() + timedelta(days=1)
            while day <= last:
                month_end = min(last, day + timedelta(days=31))
                _recount(agency, {day + timedelta(days=i) for i in range((month_end - day).days + 1)})
                day = month_end + timedelta(days=1)
        RollupState.objects.update_or_create(agency=agency, defaults={"refreshed_until": now})


def rollups_refresh_all() -> int:
    return sum(max(rollups_refresh(agency=agency), 0) for agency in Agency.objects.all())
