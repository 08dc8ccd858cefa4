"""The demo's training sessions and champions: four sessions over six months (executive staff
at the first), most officers trained but not all, and champions with a succession in one
unit and none in another. Written through the services, as the program admin would."""

from __future__ import annotations

import random
from datetime import date, timedelta

from buyin.services.champions import champion_end, champion_set
from buyin.services.training import training_attendance_record, training_session_create
from deflection.models import Agency, Unit, User
from referrals.models import Officer

# (days ago, topic, who trained, executive staff attended, share of officers on duty attending)
SESSIONS = (
    (168, "deflection_policy", "Lt. Renata Obregón, deflection program manager", True, 0.9),
    (121, "addiction_mat", "Dr. Samuel Whitcomb, Desert Bloom MAT Clinic", False, 0.6),
    (74, "naloxone", "Paramedic Lena Foster, Pima Valley Fire", False, 0.6),
    (26, "relapse_tolerance", "Carmen Ibarra, peer-support specialist", False, 0.5),
)


def build_training(
    *,
    rnd: random.Random,
    today: date,
    agency: Agency,
    admin: User,
    units: dict[str, Unit],
    roster: list[tuple[Officer, float, float]],
    always: list[Officer],
) -> dict[str, int]:
    """Write the sessions, their attendance and the champions; returns what was written, counted.
    `roster`: (officer, days since first on duty, keenness); `always`: officers at every session."""
    by_unit: dict[int | None, list[Officer]] = {}
    for officer, _start, _keen in roster:
        by_unit.setdefault(officer.unit_id, []).append(officer)
    # The last officer (not sergeant) of each unit never came: the supervisors' lists are not empty.
    never = {[o for o in officers if o.user.role == User.Role.OFFICER][-1].pk for officers in by_unit.values()}
    attended = 0
    for days_ago, topic, trainer, executives, share in SESSIONS:
        session = training_session_create(
            actor=admin,
            agency=agency,
            held_on=today - timedelta(days=days_ago),
            topic=topic,
            trainer=trainer,
            executive_staff_attended=executives,
        )
        on_duty = [o for o, start, _keen in roster if start >= days_ago and o.pk not in never]
        present = {o.pk for o in on_duty if rnd.random() < share} | {o.pk for o in always}
        attended += len(training_attendance_record(actor=admin, session=session, officer_ids=present))
    champions = _champions(agency=agency, admin=admin, today=today, units=units, by_unit=by_unit, always=always)
    return {"training sessions": len(SESSIONS), "training attendances": attended, "champions": champions}


def _champions(*, agency, admin, today, units, by_unit, always) -> int:
    """MHST: its sergeant, from the start. Eastside: a field training officer who moved on,
    succeeded by the unit's sergeant. Westside: none now (the dashboard says so)."""
    supervisor = next(o for o in always if o.user.role == User.Role.SUPERVISOR)
    east = by_unit[units["Eastside Patrol Division"].pk]
    east_sergeant = next(o for o in east if o.user.role == User.Role.SUPERVISOR)
    east_fto = next(o for o in east if o.user.role == User.Role.OFFICER)
    champion_set(
        actor=admin, unit=units["MHST"], user=supervisor.user, kind="sergeant", since=today - timedelta(days=170)
    )
    fto = champion_set(
        actor=admin,
        unit=units["Eastside Patrol Division"],
        user=east_fto.user,
        kind="fto",
        since=today - timedelta(days=150),
    )
    champion_end(actor=admin, champion=fto, until=today - timedelta(days=45))
    champion_set(
        actor=admin,
        unit=units["Eastside Patrol Division"],
        user=east_sergeant.user,
        kind="sergeant",
        since=today - timedelta(days=45),
    )
    return 3
