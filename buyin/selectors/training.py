"""Reads for training: the agency's sessions, the roll of officers to tick, who is not yet trained."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from buyin.models import TrainingAttendance, TrainingSession
from deflection.models import User
from deflection.permissions import leads_buyin
from referrals.models import Officer


def training_session_list(*, agency_id: int) -> QuerySet[TrainingSession]:
    """The agency's sessions, latest first, each with how many attended."""
    # Meta.ordering does not apply to a query with an aggregate: ordered here.
    sessions = TrainingSession.objects.filter(agency_id=agency_id).annotate(attended=Count("attendance"))
    return sessions.order_by("-held_on", "-id")


def training_session_get_for_user(*, user: User, session_id: int) -> TrainingSession:
    """A session of an agency whose training the user records; 404 otherwise (never 403:
    that would confirm it exists)."""
    session = TrainingSession.objects.select_related("agency").filter(pk=session_id).first()
    if session is None or not leads_buyin(user, agency_id=session.agency_id):
        raise Http404
    return session


@dataclass(frozen=True)
class RollUnit:
    """A unit's officers on the attendance roll, alphabetical, with whether each attended."""

    name: str
    officers: list[tuple[Officer, bool]]


def attendance_roll(*, session: TrainingSession) -> list[RollUnit]:
    """The agency's active officers, and any who attended since leaving, grouped by unit
    (units by name, officers without a unit last)."""
    attended = TrainingAttendance.objects.filter(session=session, officer=OuterRef("pk"))
    officers = (
        Officer.objects.filter(agency_id=session.agency_id)
        .annotate(attended=Exists(attended))
        .filter(Q(is_active=True) | Q(attended=True))
        .select_related("unit")
        .order_by("unit__name", "display_name", "pk")
    )
    groups: dict[str, list[tuple[Officer, bool]]] = {}
    no_unit: list[tuple[Officer, bool]] = []
    for officer in officers:
        (groups.setdefault(officer.unit.name, []) if officer.unit else no_unit).append((officer, officer.attended))
    roll = [RollUnit(name, rows) for name, rows in groups.items()]
    if no_unit:
        roll.append(RollUnit("", no_unit))
    return roll


def officers_untrained(*, agency_id: int, unit_id: int) -> list[str]:
    """The names of the unit's active officers who have attended no training session."""
    trained = TrainingAttendance.objects.filter(officer=OuterRef("pk"))
    return list(
        Officer.objects.filter(agency_id=agency_id, unit_id=unit_id, is_active=True)
        .exclude(Exists(trained))
        .order_by("display_name")
        .values_list("display_name", flat=True)
    )
