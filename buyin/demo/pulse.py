"""The demo's pulse surveys: two closed waves with results (buy-in growing between them) and
an open one that the `officer` login has not answered, all made through the services."""

from __future__ import annotations

import random
import zoneinfo
from datetime import date, datetime, time, timedelta

from buyin.models import PulseSurvey
from buyin.services.pulse import (
    DEFAULT_OPEN_QUESTION,
    DEFAULT_STATEMENTS,
    pulse_answer_submit,
    pulse_survey_create,
    pulse_wave_open,
)
from deflection.models import Agency, User
from deflection.permissions import FIELD_ROLES

# What officers write when asked what one change would make deflection work better (made up).
OPEN_ANSWERS = (
    "A partner who picks up the phone after midnight on weekends.",
    "Tell us when someone we dropped off actually started treatment.",
    "Faster drop-off at the crisis center; we still wait 20 minutes some nights.",
    "More ride-alongs with the peer team so patrol sees how it works.",
    "Keep the form this short.",
    "Let sergeants see the unit's numbers at roll call.",
    "Transport is the hard part on the east side.",
    "Training for the newer officers who have never used it.",
)
# (days before today it opened, days open, how agreeable each unit is: MHST, Westside, Eastside).
# Each wave is named by the month it opened: the demo is made on any day of the year, and a
# season's name would be out of season on most of them.
WAVES = (
    (120, 14, {"MHST": 3.9, "Westside Patrol Division": 2.6, "Eastside Patrol Division": 2.4}),
    (45, 14, {"MHST": 4.3, "Westside Patrol Division": 3.3, "Eastside Patrol Division": 3.0}),
)
OPEN_WAVE = (3, 14)
# Answers per unit in the closed waves: 5 or more everywhere, so every unit's results show.
SHARE_ANSWERING = 0.75


def _score(rnd: random.Random, mu: float) -> int | None:
    if rnd.random() < 0.05:
        return None  # left blank
    return max(1, min(5, round(rnd.gauss(mu, 0.9))))


def _noon(opens_on: date, zone: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(opens_on, time(12), tzinfo=zone)


def _answer_all(survey: PulseSurvey, people: list[User], mu: dict[str, float], rnd: random.Random) -> None:
    zone = zoneinfo.ZoneInfo(survey.agency.timezone)
    for i, person in enumerate(people):
        pulse_answer_submit(
            survey_id=survey.pk,
            user=person,
            scores=[_score(rnd, mu[person.unit.name]) for _ in survey.statements],
            open_text=OPEN_ANSWERS[i % len(OPEN_ANSWERS)] if rnd.random() < 0.4 else "",
            now=_noon(survey.opens_on, zone) + timedelta(days=rnd.uniform(0, survey.days_open - 1)),
        )


def _title(opens_on: date) -> str:
    # Demo data is English, like what the program's staff write; the month is not translated.
    return f"{opens_on:%B} pulse"


def _wave(*, agency: Agency, admin: User, units: list, title: str, opens_on: date, days_open: int) -> PulseSurvey:
    survey = pulse_survey_create(
        actor=admin,
        agency=agency,
        title=title,
        statements=[str(s) for s in DEFAULT_STATEMENTS],
        open_question=str(DEFAULT_OPEN_QUESTION),
        units=units,
        partners=[],
        opens_on=opens_on,
        days_open=days_open,
    )
    pulse_wave_open(survey_id=survey.pk, now=_noon(opens_on, zoneinfo.ZoneInfo(agency.timezone)))
    return survey


def build_pulse_demo(*, agency: Agency, admin: User, officer: User, rnd: random.Random, today: date) -> None:
    """The demo agency's waves: two closed with results by unit, one open awaiting `officer`."""
    units = list(agency.units.order_by("name"))
    members = {
        unit.pk: list(User.objects.filter(unit=unit, role__in=FIELD_ROLES).select_related("unit").order_by("pk"))
        for unit in units
    }
    for days_ago, days_open, mu in WAVES:
        opens_on = today - timedelta(days=days_ago)
        survey = _wave(
            agency=agency, admin=admin, units=units, title=_title(opens_on), opens_on=opens_on, days_open=days_open
        )
        people = []
        for unit in units:
            group = members[unit.pk]
            people += rnd.sample(group, max(5, round(len(group) * SHARE_ANSWERING)))
        rnd.shuffle(people)
        _answer_all(survey, people, mu, rnd)
    days_ago, days_open = OPEN_WAVE
    opens_on = today - timedelta(days=days_ago)
    survey = _wave(
        agency=agency, admin=admin, units=units, title=_title(opens_on), opens_on=opens_on, days_open=days_open
    )
    # A few have answered already; the `officer` login has not (the menu shows it the wave).
    others = [person for group in members.values() for person in group if person.pk != officer.pk]
    _answer_all(survey, rnd.sample(others, 4), WAVES[-1][2], rnd)
