"""Non-enforcement engagements: the referring officers' check-ins with the people they
referred (referrals.OfficerCheckIn), counted by the day of the check-in (agency time), its
officer's unit and its referral's agency, pathway and partner. The definition (from the
check-ins), the same from the rollups (CheckInRollup; tests/test_rollups.py proves they
agree), and the one the pages read. The agency's own police work: shown exactly to its own
staff (dashboard, unit dashboard, My record)."""

from __future__ import annotations

import zoneinfo
from dataclasses import replace
from datetime import date, datetime, timedelta

from django.db.models import F, QuerySet, Sum

from referrals.models import OfficerCheckIn
from reports.metrics.definitions import Scope, _in_scope
from reports.metrics.from_rollups import _at_level, _days, _wanted, rollups_cover, zone_of
from reports.rollup_models import CheckInRollup

# Where a check-in is counted (the rollup's cell): its day, unit, pathway and partner.
CELL = ("on", "officer__unit_id", "referral__pathway", "referral__partner_id")


def check_ins_of_agency(agency_id: int) -> QuerySet[OfficerCheckIn]:
    """Every check-in on the agency's referrals: what the figure counts."""
    return OfficerCheckIn.objects.filter(referral__agency_id=agency_id).order_by()


def _first_day(moment: datetime, zone) -> date:
    """The first day (agency time) that begins at or after `moment`."""
    local = moment.astimezone(zone)
    return local.date() if local.time() == datetime.min.time() else local.date() + timedelta(days=1)


def check_ins_in_scope(scope: Scope, *, zone: zoneinfo.ZoneInfo | None = None) -> QuerySet[OfficerCheckIn]:
    """The check-ins of the scope: on a day that begins within its period (agency time: `zone`,
    read when not given), by its filters."""
    # The filters as for referrals (the pathway is the referral's); the period by day, below.
    qs = check_ins_of_agency(scope.agency_id).annotate(pathway=F("referral__pathway"))
    undated = replace(scope, start=None, end=None)
    qs = _in_scope(qs, undated, agency="referral__agency_id", partner="referral__partner_id")
    if zone is None and (scope.start is not None or scope.end is not None):
        zone = zone_of(scope.agency_id)
    if scope.start is not None:
        qs = qs.filter(on__gte=_first_day(scope.start, zone))
    if scope.end is not None:
        qs = qs.filter(on__lt=_first_day(scope.end, zone))
    return qs


def non_enforcement_engagements(scope: Scope, *, zone: zoneinfo.ZoneInfo | None = None) -> int:
    """The definition: check-ins in the scope, counted from the check-ins themselves."""
    return check_ins_in_scope(scope, zone=zone).count()


def non_enforcement_engagements_from_rollups(scope: Scope, zone) -> int:
    """The same from CheckInRollup: the level that holds the scope's filters (the cells for two or more)."""
    rows = CheckInRollup.objects.filter(_days(scope, zone, weekly=False), agency_id=scope.agency_id)
    return _at_level(rows, scope, _wanted(scope)).aggregate(n=Sum("check_ins"))["n"] or 0


def check_in_count(scope: Scope, *, zone: zoneinfo.ZoneInfo, rollups: bool = False) -> int:
    """What the pages show, in one query: from the rollups when asked and they cover the scope,
    else the definition (`zone`: the agency's)."""
    if rollups and rollups_cover(scope, zone):
        return non_enforcement_engagements_from_rollups(scope, zone)
    return non_enforcement_engagements(scope, zone=zone)
