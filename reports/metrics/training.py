"""Officer participation split by training and by unit: the definition (definitions.py's
docstring and DEFINITIONS word it) and the pieces the dashboard puts together from the
rollups' officers deflecting (figures.buyin_figures); tests/test_buyin_training.py proves
the two agree."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef

from buyin.models import TrainingAttendance
from deflection.models import Agency
from referrals.models import Officer
from reports.metrics.definitions import PARTICIPATION_WINDOW, Participation, officers_deflecting


@dataclass(frozen=True)
class TrainingSplit:
    """Officer participation of the officers trained by a day, and of the others."""

    trained: Participation
    untrained: Participation

    @property
    def whole(self) -> Participation:
        """The two together: officer participation itself."""
        return Participation(
            self.trained.participating + self.untrained.participating, self.trained.active + self.untrained.active
        )


# Per officer of an agency or unit: id, unit id, active, trained.
Standing = tuple[int, int | None, bool, bool]


def officer_standing(*, agency_id: int, at: datetime, zone, unit_id: int | None = None) -> list[Standing]:
    """Every officer of the agency (or unit) and whether they attended a training session
    held on a day begun before `at` (agency time): one row each, whatever the attendance."""
    day = (at - timedelta(microseconds=1)).astimezone(zone).date()
    officers = Officer.objects.filter(agency_id=agency_id)
    if unit_id is not None:
        officers = officers.filter(unit_id=unit_id)
    trained = Exists(TrainingAttendance.objects.filter(officer=OuterRef("pk"), session__held_on__lte=day))
    return list(officers.annotate(trained=trained).values_list("pk", "unit_id", "is_active", "trained").order_by())


def _participation_by(standing: list[Standing], deflecting: set[int], key) -> dict:
    counts: dict = {}
    for row in standing:
        cell = counts.setdefault(key(row), [0, 0])
        cell[0] += row[0] in deflecting
        cell[1] += row[2]
    return {group: Participation(*cell) for group, cell in counts.items()}


def split_by_training(standing: list[Standing], deflecting: set[int]) -> TrainingSplit:
    """Officer participation of trained and of untrained officers, from who deflected."""
    by = _participation_by(standing, deflecting, lambda row: row[3])
    return TrainingSplit(trained=by.get(True, Participation(0, 0)), untrained=by.get(False, Participation(0, 0)))


def participation_by_unit(standing: list[Standing], deflecting: set[int]) -> dict[int | None, Participation]:
    """Officer participation of each unit (None: officers without one), from who deflected."""
    return _participation_by(standing, deflecting, lambda row: row[1])


def training_split(*, agency_id: int, at: datetime, unit_id: int | None = None) -> TrainingSplit:
    """Officer participation at a moment of officers trained by then and of the others."""
    zone = zoneinfo.ZoneInfo(Agency.objects.only("timezone").get(pk=agency_id).timezone)
    deflecting = officers_deflecting(agency_id=agency_id, since=at - PARTICIPATION_WINDOW, until=at, unit_id=unit_id)
    return split_by_training(officer_standing(agency_id=agency_id, at=at, zone=zone, unit_id=unit_id), deflecting)
