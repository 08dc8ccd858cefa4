"""The demo's region: the program the police department belongs to, and its second agency,
the county sheriff's office, whose deputies refer to the same partners (a smaller history,
drawn the same way). A mixin of DemoBuilder, built after the police department's six months
so that a seed still gives the department the same history it always had."""

from __future__ import annotations

from decimal import Decimal

from deflection.models import Agency, Program, Unit, User
from referrals.demo.data import (
    AGENCY_TZ,
    FIRST_ON_DUTY_DAYS,
    PROGRAM_NAME,
    SHERIFF_CLIENTS,
    SHERIFF_DEPUTIES,
    SHERIFF_NAME,
    SHERIFF_OWN_REFERRALS,
    SHERIFF_REFERRALS,
    SHERIFF_SERGEANT_REFERRALS,
    SHERIFF_UNITS,
)
from referrals.demo.plans import Planner
from referrals.models import Officer
from referrals.services import officer_for_user


class Region:
    """The program and its sheriff's office (uses the builder's people and writing)."""

    def _program_and_sheriff(self) -> None:
        """The program, and the sheriff's office with its units (its people come later)."""
        self.program = Program.objects.create(name=PROGRAM_NAME, timezone=AGENCY_TZ, is_demo=True)
        self.sheriff = Agency.objects.create(
            name=SHERIFF_NAME,
            program=self.program,
            kind=Agency.Kind.SHERIFF,
            timezone=AGENCY_TZ,
            booking_minutes=210,  # the county jail is further out than the city's
            booking_cost=Decimal("1800.00"),
            default_deflection_minutes=35,
            is_demo=True,
        )
        self.sheriff_units = {name: Unit.objects.create(agency=self.sheriff, name=name) for name in SHERIFF_UNITS}

    def _sheriff_history(self) -> None:
        """The deputies, and six months of their deflections to the program's shared partners."""
        deputy = officer_for_user(user=self.logins["deputy"])
        roster: list[tuple[Officer, float, float]] = [(deputy, FIRST_ON_DUTY_DAYS, 2.0)]
        sergeant = None
        for i in range(SHERIFF_DEPUTIES):
            role = User.Role.SUPERVISOR if i == 0 else User.Role.OFFICER
            unit = SHERIFF_UNITS[1] if i % 3 == 0 else SHERIFF_UNITS[0]
            officer = self._field_officer(
                agency=self.sheriff, unit=self.sheriff_units[unit], role=role, badge=f"SO-{4100 + i}", men=0.7
            )
            sergeant = sergeant or officer
            start = FIRST_ON_DUTY_DAYS if unit == SHERIFF_UNITS[1] else self.rnd.uniform(30, FIRST_ON_DUTY_DAYS)
            roster.append((officer, start, self.rnd.lognormvariate(0, 0.7)))
        plans = Planner(
            rnd=self.rnd,
            fake=self.fake,
            now=self.now,
            tz=self.tz,
            agency=self.sheriff,
            partners=self.partners,
            case_managers=self.case_managers,
            roster=roster,
            officer=deputy,
            supervisor=sergeant,
            referrals=SHERIFF_REFERRALS,
            clients=SHERIFF_CLIENTS,
            own=SHERIFF_OWN_REFERRALS,
            supervised=SHERIFF_SERGEANT_REFERRALS,
        ).plans()
        self._write(plans, self._clients(plans, agency=self.sheriff, count=SHERIFF_CLIENTS))
