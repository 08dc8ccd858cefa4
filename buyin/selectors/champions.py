"""Reads for champions: their history, who may be named, and each unit's current ones."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date

from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone

from buyin.models import Champion
from deflection.models import Agency, Unit, User
from deflection.permissions import FIELD_ROLES, leads_buyin


def agency_today(agency: Agency) -> date:
    """The agency's date now: sessions and champions are dated by the agency's calendar."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(agency.timezone))


def champion_history(*, agency_id: int) -> QuerySet[Champion]:
    """Every champion the agency's units have had, current and past, by unit and latest first."""
    return Champion.objects.filter(unit__agency_id=agency_id).select_related("unit", "user")


def champion_get_for_user(*, user: User, champion_id: int) -> Champion:
    """A champion of an agency whose champions the user names; 404 otherwise."""
    champion = Champion.objects.select_related("unit", "user").filter(pk=champion_id).first()
    if champion is None or not leads_buyin(user, agency_id=champion.unit.agency_id):
        raise Http404
    return champion


def champion_candidates(*, agency_id: int) -> QuerySet[User]:
    """Who may be named a champion: the agency's active officers and supervisors, by unit
    (each is named for their own unit)."""
    return (
        User.objects.filter(agency_id=agency_id, role__in=FIELD_ROLES, is_active=True)
        .select_related("unit")
        .order_by("unit__name", "last_name", "first_name")
    )


@dataclass(frozen=True)
class UnitChampions:
    """A unit and its champions serving on a day (none: the unit needs one)."""

    unit: Unit
    champions: list[Champion]


def unit_champions(*, agency_id: int, on: date) -> list[UnitChampions]:
    """Every unit of the agency with its current champions, units by name. A champion who has
    since moved to another unit, or left, no longer leads this one: the unit shows the gap
    (their time stays in the history)."""
    current: dict[int, list[Champion]] = {}
    serving = Champion.objects.current(on).filter(
        unit__agency_id=agency_id, user__unit_id=F("unit_id"), user__is_active=True
    )
    for champion in serving.select_related("user"):
        current.setdefault(champion.unit_id, []).append(champion)
    return [UnitChampions(unit, current.get(unit.pk, [])) for unit in Unit.objects.filter(agency_id=agency_id)]
