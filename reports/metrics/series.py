"""The dashboard's and the digest's series over time (per week, per month), from the referrals
themselves: definitions like those of definitions.py, and the oracle for from_rollups.py's
series (tests/test_rollups.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Count, Sum

from deflection.models import Agency
from referrals.models import Officer
from reports.metrics.definitions import PARTICIPATION_WINDOW, Participation, Scope, deflections, deflections_qs


def weekly_deflections(*, agency_id: int, weeks: int, last_week_start: date, tz) -> list[tuple[date, int]]:
    """Deflections per week (Monday to Sunday, in the agency's time zone) for `weeks` weeks
    ending with the one that starts on `last_week_start`."""
    result = []
    for i in range(weeks - 1, -1, -1):
        monday = last_week_start - timedelta(weeks=i)
        start = datetime.combine(monday, datetime.min.time(), tzinfo=tz)
        result.append((monday, deflections(Scope(agency_id, start, start + timedelta(days=7)))))
    return result


def weekly_by_pathway(scope: Scope, *, tz) -> list[tuple[date, dict[str, int]]]:
    """Deflections per week (weeks starting Monday, agency time) by pathway code."""
    from django.db.models.functions import TruncWeek

    rows = (
        deflections_qs(scope)
        .annotate(week=TruncWeek("occurred_at", tzinfo=tz))
        .values_list("week", "pathway")
        .annotate(n=Count("id"))
        .order_by()
    )
    weeks: dict[date, dict[str, int]] = {}
    for week, pathway, n in rows:
        weeks.setdefault(_as_date(week), {})[pathway] = n
    return [(monday, weeks.get(monday, {})) for monday in mondays(scope, tz)]


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def mondays(scope: Scope, tz) -> list[date]:
    """The Monday of each week (agency time) the scope's period touches."""
    first = scope.start.astimezone(tz).date()
    first -= timedelta(days=first.weekday())
    last = (scope.end - timedelta(microseconds=1)).astimezone(tz).date()
    mondays = []
    while first <= last:
        mondays.append(first)
        first += timedelta(days=7)
    return mondays


def weekly_participation(*, scope: Scope, tz) -> list[tuple[date, Participation]]:
    """The buy-in index at the end of each week of the period."""
    officers = Officer.objects.filter(agency_id=scope.agency_id, is_active=True)
    if scope.unit_id is not None:
        officers = officers.filter(unit_id=scope.unit_id)
    active = officers.count()
    window_start = scope.start - PARTICIPATION_WINDOW
    pairs = list(
        deflections_qs(Scope(scope.agency_id, window_start, scope.end, scope.unit_id))
        .values_list("officer_id", "occurred_at")
        .order_by()
    )
    result = []
    for monday in mondays(scope, tz):
        week_end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=tz)
        since = week_end - PARTICIPATION_WINDOW
        participating = len({officer for officer, when in pairs if since <= when < week_end})
        result.append((monday, Participation(participating=participating, active=active)))
    return result


def monthly_savings(scope: Scope, *, tz) -> list[tuple[date, float]]:
    """Hours saved versus arrest per month of the period."""
    from django.db.models.functions import TruncMonth

    agency = Agency.objects.get(pk=scope.agency_id)
    rows = (
        deflections_qs(scope)
        .exclude(charge_deflected="")
        .annotate(month=TruncMonth("occurred_at", tzinfo=tz))
        .values_list("month")
        .annotate(n=Count("id"), minutes=Sum("officer_minutes"))
        .order_by("month")
    )
    return [(_as_date(m), (n * agency.booking_minutes - (minutes or 0)) / 60) for m, n, minutes in rows]
