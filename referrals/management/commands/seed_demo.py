"""`manage.py seed_demo`: a realistic, repeatable demo program to show and try the app.

One made-up police department with its units, officers, service partners and six months
of deflections, each with the case events and follow-ups its lifecycle would have written.
Everything is marked as demo data (Agency.is_demo), so a real database is never touched
by accident, and a re-run replaces the previous demo instead of adding to it.

Statuses other than `requested` are written here in bulk, not through the services: this
is history, generated at once, and the services would stamp every event with "now". What
is written mirrors what the services write (referrals.services: TRANSITIONS, the reason
codes, the follow-ups that accepting and intake schedule, consent at intake), with times.
"""

from __future__ import annotations

import random
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils import timezone
from faker import Faker

from deflection.models import Agency, Unit, User
from partners.models import RelationshipNote, ServicePartner
from referrals.models import (
    CaseEvent,
    Client,
    ClientMerge,
    Consent,
    FollowUp,
    Need,
    Officer,
    OfficerContact,
    Pathway,
    Referral,
    Substance,
    normalize_name,
)
from referrals.services import RETENTION_CHECKS, REVOCATION_TERMS, NewClient, client_create, officer_for_user

DEMO_PASSWORD = "deflect-demo-2026"  # noqa: S105 (the published demo password)
DEFAULT_SEED = 2026
AGENCY_NAME = "Pima Valley Police Department"
AGENCY_TZ = "America/Phoenix"
EMAIL_DOMAIN = "pimavalley.example"  # .example never resolves: no demo email reaches anyone

DAYS = 182  # six months of history
# When the MHST officers came on duty, in days back: before the first demo deflection, which
# _when puts on a day up to DAYS back at any hour of it, so up to DAYS + 1 days back.
FIRST_ON_DUTY_DAYS = DAYS + 1
# Most people are referred once: real programs see 10 to 25% of referrals for someone
# referred before. 600 referrals of 480 people: 120 repeats, some of them officer contacts.
CLIENTS = 480
REFERRALS = 600
OWN_REFERRALS = 15  # what the `officer` login sees in My deflections
SUPERVISOR_REFERRALS = 6
WAITING_AT_CLINIC = 6  # the clinic's newest referrals, not yet picked up
BATCH = 500

Status = Referral.Status
CLOSED = (Status.REJECTED, Status.CANCELLED, Status.COMPLETED, Status.FAILED)
# Contact checks end with the referral; retention checks stay (as referrals.services does).
CONTACT_CHECKS = (FollowUp.Kind.CONTACT_ATTEMPT, FollowUp.Kind.INTAKE_CHECK, FollowUp.Kind.CHECK_72H)

UNITS = ("MHST", "Westside Patrol Division", "Eastside Patrol Division")
# Thank-you notes, shared with the client's consent (the digest shows those of its week).
STORIES = (
    (
        "client",
        "Ninety days clean today. The officer could have taken me in and didn't. I have my kids back on weekends.",
    ),
    (
        "family",
        "My brother is living indoors for the first time in two years. Thank you for getting him "
        "to the clinic that night instead of jail.",
    ),
)


@dataclass(frozen=True)
class Login:
    username: str
    first_name: str
    last_name: str
    role: str
    unit: str | None = None
    badge: str = ""


LOGINS = (
    Login("officer", "Marcus", "Delgado", User.Role.OFFICER, "MHST", "PV-2281"),
    Login("supervisor", "Teresa", "Whitfield", User.Role.SUPERVISOR, "MHST", "PV-1164"),
    Login("casemanager", "Alicia", "Navarro", User.Role.CASE_MANAGER),
    Login("command", "Raymond", "Castellanos", User.Role.COMMAND, None, "PV-0102"),
    Login("admin", "Jordan", "Ellis", User.Role.PROGRAM_ADMIN),
)


@dataclass(frozen=True)
class PartnerSpec:
    key: str
    name: str
    kind: str
    is_24_7: bool
    hours: str
    services: str
    tier: str = ServicePartner.Tier.COMMITTED
    capacity: str = ServicePartner.Capacity.OPEN
    relationship: tuple[str, ...] = ()
    staff: tuple[tuple[str, str], ...] = ()  # extra case managers (first, last)


PARTNERS = (
    PartnerSpec(
        key="mat",
        name="Sonoran Bridge 24/7 MAT Clinic",
        kind=ServicePartner.Kind.MAT_CLINIC,
        is_24_7=True,
        hours="",
        services=(
            "Walk-in access to medication for opioid use disorder around the clock: same-day buprenorphine "
            "induction, methadone and extended-release naltrexone. Nurse triage, withdrawal management, "
            "peer recovery coaches on every shift, naloxone kits and fentanyl test strips to take home. "
            "Officers can walk a client in at any hour; intake takes about 20 minutes."
        ),
        relationship=(
            "Signed the deflection MOU; the clinic director will attend the monthly partner meeting.",
            "Added a law-enforcement entrance so officers are back on the road in under 10 minutes.",
        ),
        staff=(("Samuel", "Okafor"),),
    ),
    PartnerSpec(
        key="crisis",
        name="Pima Valley Crisis Response Center",
        kind=ServicePartner.Kind.CRISIS_CENTRE,
        is_24_7=True,
        hours="",
        services=(
            "23-hour crisis observation and stabilisation for adults, with a law-enforcement drop-off bay "
            "(no medical clearance needed first). Psychiatric evaluation, sub-acute beds, mobile crisis "
            "teams and discharge planning into outpatient care."
        ),
        relationship=("Drop-off turnaround for officers averaged 9 minutes last quarter.",),
    ),
    PartnerSpec(
        key="peer",
        name="Second Chance Peer Deflection Team",
        kind=ServicePartner.Kind.DEFLECTION_TEAM,
        is_24_7=False,
        hours="Mon–Sat 7:00–19:00",
        services=(
            "Certified peer support specialists with lived experience who meet clients in the field "
            "within 24 hours, ride along on naloxone-plus visits, and help with ID, benefits, phones "
            "and transport to treatment intake. Bilingual (English/Spanish)."
        ),
        relationship=("Now covering Saturdays after the east-side pilot.",),
    ),
    PartnerSpec(
        key="housing",
        name="Casa Esperanza Housing Navigation",
        kind=ServicePartner.Kind.HOUSING,
        is_24_7=False,
        hours="Mon–Fri 8:00–17:00",
        services=(
            "Housing navigation and rapid re-housing applications, a few bridge-housing beds held for "
            "clients engaged in treatment, help with documents and deposits. Bilingual staff."
        ),
        tier=ServicePartner.Tier.WAIT_AND_SEE,
        capacity=ServicePartner.Capacity.LIMITED,
        relationship=(
            "Willing to take referrals for clients already in treatment; wants to see the first "
            "quarter's numbers before committing bridge beds.",
        ),
    ),
    PartnerSpec(
        key="mental_health",
        name="Desert Willow Behavioral Health",
        kind=ServicePartner.Kind.MENTAL_HEALTH,
        is_24_7=False,
        hours="Mon–Fri 8:00–18:00, Sat 9:00–13:00",
        services=(
            "Outpatient counselling, psychiatric medication management and an intensive outpatient "
            "programme for co-occurring substance use and mental health disorders. Medicaid accepted."
        ),
        capacity=ServicePartner.Capacity.LIMITED,
    ),
)

PATHWAY_WEIGHTS = {
    Pathway.OFFICER_INTERVENTION: 36,
    Pathway.OFFICER_PREVENTION: 22,
    Pathway.SELF_REFERRAL: 13,
    Pathway.COMMUNITY_RESPONSE: 12,
    Pathway.ACTIVE_OUTREACH: 10,
    Pathway.NALOXONE_PLUS: 7,
}
# Officer intervention means a charge was held back; prevention means there was none to file.
CHARGE_CHANCE = {
    Pathway.OFFICER_INTERVENTION: 0.95,
    Pathway.OFFICER_PREVENTION: 0.05,
    Pathway.SELF_REFERRAL: 0.05,
    Pathway.COMMUNITY_RESPONSE: 0.25,
    Pathway.ACTIVE_OUTREACH: 0.15,
    Pathway.NALOXONE_PLUS: 0.45,
}
DRUG_CHARGES = (
    ("Possession of drug paraphernalia", 30),
    ("Possession of a dangerous drug, personal-use amount", 18),
    ("Possession of a narcotic drug, personal-use amount", 14),
)
OTHER_CHARGES = (
    ("Criminal trespass, third degree", 14),
    ("Shoplifting, under $250", 10),
    ("Disorderly conduct", 7),
    ("Public consumption of alcohol", 4),
    ("Urban camping ordinance violation", 4),
    ("Criminal damage, under $250", 3),
)
SUBSTANCE_WEIGHTS = {
    Substance.FENTANYL: 40,
    Substance.METHAMPHETAMINE: 40,
    Substance.ALCOHOL: 18,
    Substance.OPIOIDS: 12,
    Substance.CANNABIS: 6,
    Substance.COCAINE: 5,
    Substance.OTHER: 2,
}
PLACES = (
    "bus transit centre",
    "city park",
    "motel parking lot",
    "public library",
    "camp by the wash",
    "convenience store",
    "light-rail stop",
    "apartment complex",
    "church parking lot",
    "gas station",
)
PARTNER_NOTES = (
    "Client asked for a Spanish-speaking counsellor.",
    "Has a dog; needs a pet-friendly option.",
    "Transported to the clinic and waited with the client for triage.",
    "Sister is supportive; her number is on file with the client's consent.",
    "Prefers text messages; phone is often off at night.",
    "Second overdose this month; very motivated today.",
    "Was in treatment last year and wants to go back.",
    "Asked about help getting an ID card.",
)
STREET_NAMES = (
    "Flaca", "Güero", "Sleepy", "Tex", "Shorty", "Red", "Boots", "Smokey", "Lil Mike", "Gordo",
    "Peanut", "Tiny", "Spider", "Chuy", "Blue", "Dreamer", "Junior", "Bird", "Chato", "Preacher",
)  # fmt: skip
# Reasons as the services take them (a code), with the words a case manager would add.
REJECTIONS = (
    (Referral.RejectReason.NO_CAPACITY, 35, "No appointments left this week; please refer again Monday."),
    (Referral.RejectReason.COULD_NOT_CONTACT, 30, "Three calls and a visit to the address given, no answer."),
    (Referral.RejectReason.CLIENT_DECLINED, 20, "Client said they are not ready right now."),
    (Referral.RejectReason.NOT_ELIGIBLE, 10, "Lives outside our service area; gave them the county line."),
    (Referral.RejectReason.OTHER, 5, "Already enrolled with another provider."),
)
CANCELLATIONS = (
    (Referral.CancelReason.ENTERED_IN_ERROR, "Logged twice by mistake."),
    (Referral.CancelReason.WITHDRAWN, "Client taken to hospital by ambulance instead."),
    (Referral.CancelReason.WITHDRAWN, "Client changed their mind before the partner called."),
)
FAILURES_BEFORE_INTAKE = (
    (Referral.FailReason.COULD_NOT_CONTACT, "Did not come to intake; three contact attempts."),
    (Referral.FailReason.CLIENT_DECLINED, "Decided not to start treatment for now."),
)
FAILURES_AFTER_INTAKE = (
    (Referral.FailReason.DISENGAGED, "Stopped coming after a few weeks."),
    (Referral.FailReason.MOVED, "Moved in with family out of state."),
    (Referral.FailReason.CLIENT_DECLINED, "Chose to stop treatment."),
    (Referral.FailReason.COULD_NOT_CONTACT, "Lost contact after several attempts."),
    (Referral.FailReason.INCARCERATED, "In custody on an unrelated warrant."),
)
HOLD_NOTES = (
    "Client in hospital.",
    "Client in custody on an unrelated warrant; will resume on release.",
    "Staying with family out of state for two weeks.",
)
CONSENT_SCOPES = (
    (Consent.Scope.STATUS_OUTCOMES, 60),
    (Consent.Scope.STATUS_ONLY, 25),
    (Consent.Scope.FULL_RECORD, 15),
)
CONSENT_PURPOSE = "Coordinate care with the deflection program that referred me."
FOLLOW_UP_NOTES = {
    FollowUp.Outcome.ENGAGED: (
        "Attending daily dosing; asked about housing.",
        "Doing well; started a part-time job.",
        "Met with peer coach this week.",
        "",
        "",
    ),
    FollowUp.Outcome.NOT_ENGAGED: ("Says they are not ready right now; left our number.", ""),
    FollowUp.Outcome.NO_CONTACT: ("Phone disconnected; left a message with the shelter.", "Two calls, no answer.", ""),
    FollowUp.Outcome.OTHER: ("Client in hospital; will check again next week.",),
}
GENDERS = (("Male", 60), ("Female", 36), ("Non-binary", 2), ("", 2))
# For clients without a Spanish name; those with one are recorded as Hispanic or Latino.
RACES = (
    ("White", 44),
    ("Black or African American", 9),
    ("American Indian or Alaska Native", 7),
    ("Two or more races", 4),
    ("Asian", 1),
    ("", 5),
)
# Encounters by local hour: fewer in the small hours, most in the afternoon and evening.
HOUR_WEIGHTS = (2, 2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 7, 7, 7, 7, 7, 6, 6, 5, 4, 3, 3)


@dataclass
class Transition:
    at: datetime
    from_status: str
    to_status: str
    actor: User
    reason: str = ""  # a code of Referral.RejectReason, CancelReason or FailReason
    note: str = ""


@dataclass(eq=False)  # compared by identity: two plans are never the same referral
class Plan:
    """One referral before it is written: the encounter, then its history up to now."""

    occurred_at: datetime
    officer: Officer
    client_index: int
    pathway: str
    partner: ServicePartner
    case_manager: User
    needs: list[str]
    substances: list[str]
    naloxone: bool
    charge: str
    warm_handoff: bool
    minutes: int
    location: str
    note: str
    created_at: datetime
    transitions: list[Transition] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    consent: Consent | None = None

    def when(self, status: str) -> datetime | None:
        """When the referral first reached a status, if it did."""
        return next((t.at for t in self.transitions if t.to_status == status), None)

    @property
    def closed_at(self) -> datetime | None:
        last = self.transitions[-1] if self.transitions else None
        return last.at if last and last.to_status in CLOSED else None


def delete_demo_data() -> None:
    """Delete every demo agency and what hangs off it, children before parents (PROTECT)."""
    agencies = list(Agency.objects.filter(is_demo=True).values_list("pk", flat=True))
    # A demo partner serves demo agencies only; one that also serves a real agency stays.
    partners = list(
        ServicePartner.objects.filter(Q(agencies__in=agencies) | Q(name__in=[p.name for p in PARTNERS]))
        .exclude(agencies__is_demo=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    try:
        # Follow-ups and case events go with their referrals (CASCADE). A real agency's
        # referral to a demo partner is never deleted here: PROTECT stops us instead.
        Consent.objects.filter(client__agency__in=agencies).delete()
        ClientMerge.objects.filter(survivor__agency__in=agencies).delete()
        Referral.objects.filter(agency__in=agencies).delete()
        OfficerContact.objects.filter(officer__agency__in=agencies).delete()  # and with them (CASCADE), but PROTECT
        Client.objects.filter(agency__in=agencies).delete()
        Officer.objects.filter(agency__in=agencies).delete()
        User.objects.filter(Q(agency__in=agencies) | Q(partner__in=partners)).delete()
        ServicePartner.objects.filter(pk__in=partners).delete()
        Agency.objects.filter(pk__in=agencies).delete()  # units go with it
    except (ProtectedError, RestrictedError) as error:
        blockers = ", ".join(sorted({f"{o._meta.verbose_name} {o.pk}" for o in list(error.args[1])[:5]}))
        raise CommandError(
            f"The old demo data is still referenced by other rows ({blockers}); remove those first."
        ) from error


class DemoBuilder:
    """Builds the demo program. Randomness comes from the seed only, so a run is repeatable."""

    def __init__(self, *, seed: int, now: datetime | None = None) -> None:
        self.rnd = random.Random(seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.fake_es = Faker("es_MX")
        self.fake_es.seed_instance(seed + 1)
        self.now = now or timezone.now()
        self.tz = zoneinfo.ZoneInfo(AGENCY_TZ)
        # One hash for every demo account: hashing is deliberately slow (~0.3 s each).
        self.password_hash = make_password(DEMO_PASSWORD)
        self.taken_usernames = set(User.objects.values_list("username", flat=True))
        self.case_managers: dict[int, list[User]] = {}

    # -- people and places -------------------------------------------------------------

    def build(self) -> dict[str, int]:
        self._check_names_are_free()
        self.agency = Agency.objects.create(
            name=AGENCY_NAME,
            kind=Agency.Kind.POLICE,
            timezone=AGENCY_TZ,
            booking_minutes=180,
            booking_cost=Decimal("1500.00"),
            default_deflection_minutes=30,
            is_demo=True,
        )
        self.units = {name: Unit.objects.create(agency=self.agency, name=name) for name in UNITS}
        self._partners()
        self._logins()
        self._officers()
        plans = self._plan_referrals()
        clients = self._clients(plans)
        self._write(plans, clients)
        self._quick_wins()
        return self._counts()

    def _check_names_are_free(self) -> None:
        # After delete_demo_data only real rows can hold these names: never take them over.
        if Agency.objects.filter(name=AGENCY_NAME).exists():
            raise CommandError(f"A real agency is named {AGENCY_NAME!r}; rename it before seeding the demo.")
        clash = ServicePartner.objects.filter(name__in=[p.name for p in PARTNERS]).values_list("name", flat=True)
        if clash:
            raise CommandError(f"Real service partners use the demo names: {', '.join(clash)}.")
        users = sorted(self.taken_usernames & {login.username for login in LOGINS})
        if users:
            raise CommandError(f"Real users already have the demo logins: {', '.join(users)}.")

    def _user(self, *, username: str, first_name: str, last_name: str, role: str, **fields) -> User:
        user = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@{EMAIL_DOMAIN}",
            role=role,
            password=self.password_hash,
            **fields,
        )
        user.full_clean()
        user.save()
        self.taken_usernames.add(username)
        return user

    def _username(self, first: str, last: str) -> str:
        base = normalize_name(f"{first[0]}{last}").replace(" ", "")
        candidate, n = base, 1
        while candidate in self.taken_usernames:
            n += 1
            candidate = f"{base}{n}"
        return candidate

    def _phone(self) -> str:
        # 555-0100..0199 are reserved for fiction: no demo number rings a real phone.
        return f"(520) 555-01{self.rnd.randint(0, 99):02d}"

    def _address(self) -> str:
        return f"{self.fake.street_address()}, Pima Valley, AZ 857{self.rnd.randint(10, 99)}"

    def _partners(self) -> None:
        self.partners: dict[str, ServicePartner] = {}
        for spec in PARTNERS:
            partner = ServicePartner.objects.create(
                name=spec.name,
                kind=spec.kind,
                services=spec.services,
                is_24_7=spec.is_24_7,
                hours=spec.hours,
                address=self._address(),
                phone=self._phone(),
                capacity_status=spec.capacity,
                engagement_tier=spec.tier,
            )
            partner.agencies.add(self.agency)
            self.partners[spec.key] = partner
            for i, text in enumerate(spec.relationship):
                note = RelationshipNote.objects.create(partner=partner, tier=spec.tier, note=text)
                when = self.now - timedelta(days=DAYS + 20 - 70 * i)
                RelationshipNote.objects.filter(pk=note.pk).update(created_at=when)
            staff = [] if spec.key == "mat" else [self._person()]
            for first, last in [*spec.staff, *staff]:
                user = self._user(
                    username=self._username(first, last),
                    first_name=first,
                    last_name=last,
                    role=User.Role.CASE_MANAGER,
                    partner=partner,
                )
                self.case_managers.setdefault(partner.pk, []).append(user)
            # The first of each partner's staff leads it: told of day-old overdue follow-ups.
            if partner.pk in self.case_managers:
                partner.lead = self.case_managers[partner.pk][0]
                partner.save(update_fields=["lead"])

    def _person(self, *, spanish: bool | None = None, gender: str | None = None) -> tuple[str, str]:
        if spanish is None:
            spanish = self.rnd.random() < 0.35
        fake = self.fake_es if spanish else self.fake
        if gender is None:
            gender = "Male" if self.rnd.random() < 0.6 else "Female"
        first = fake.first_name_female() if gender == "Female" else fake.first_name_male()
        return first, fake.last_name()

    def _logins(self) -> None:
        self.logins: dict[str, User] = {}
        mat = self.partners["mat"]
        for login in LOGINS:
            fields: dict = {"badge_number": login.badge}
            if login.role == User.Role.CASE_MANAGER:
                fields["partner"] = mat
            else:
                # The admin belongs to the demo agency too: that is how a re-run finds and
                # replaces it without touching a real administrator.
                fields["agency"] = self.agency
            if login.unit:
                fields["unit"] = self.units[login.unit]
            if login.role == User.Role.PROGRAM_ADMIN:
                fields.update(is_staff=True, is_superuser=True)
            self.logins[login.username] = self._user(
                username=login.username,
                first_name=login.first_name,
                last_name=login.last_name,
                role=login.role,
                **fields,
            )
        self.case_managers[mat.pk].insert(0, self.logins["casemanager"])

    def _officers(self) -> None:
        """Twenty officers and three sergeants; the program reached patrol over the months."""
        self.officer = officer_for_user(user=self.logins["officer"])
        self.supervisor = officer_for_user(user=self.logins["supervisor"])
        # (officer, first day active as days ago, how keen): MHST from the start and keen,
        # patrol officers joined over time and vary a lot (officer buy-in is the point).
        self.roster: list[tuple[Officer, float, float]] = []
        badges = iter(self.rnd.sample(range(1200, 4999), 40))
        layout = [("MHST", User.Role.OFFICER)] * 5 + [("Westside Patrol Division", User.Role.OFFICER)] * 7
        layout += [("Eastside Patrol Division", User.Role.OFFICER)] * 7
        layout += [
            ("Westside Patrol Division", User.Role.SUPERVISOR),
            ("Eastside Patrol Division", User.Role.SUPERVISOR),
        ]
        for unit, role in layout:
            first, last = self._person(gender="Male" if self.rnd.random() < 0.72 else "Female")
            user = self._user(
                username=self._username(first, last),
                first_name=first,
                last_name=last,
                role=role,
                agency=self.agency,
                unit=self.units[unit],
                badge_number=f"PV-{next(badges)}",
            )
            officer = officer_for_user(user=user)
            if unit == "MHST":
                start, keen = FIRST_ON_DUTY_DAYS, self.rnd.uniform(2.5, 4.0)
            else:
                start, keen = self.rnd.uniform(20, DAYS), self.rnd.lognormvariate(0, 0.8)
            if role == User.Role.SUPERVISOR:
                keen *= 0.3
            self.roster.append((officer, start, keen))

    # -- referrals ---------------------------------------------------------------------

    def _when(self) -> datetime:
        """A moment in the last six months, more of them recent: the program is growing."""
        while True:
            days_ago = self.rnd.uniform(0, DAYS)
            # Twice as many deflections a week now as six months ago.
            if self.rnd.random() * 2 > 2 - days_ago / DAYS:
                continue
            local_day = (self.now.astimezone(self.tz) - timedelta(days=days_ago)).date()
            hour = self.rnd.choices(range(24), weights=HOUR_WEIGHTS)[0]
            moment = datetime(
                local_day.year, local_day.month, local_day.day, hour, self.rnd.randrange(60), tzinfo=self.tz
            )
            if moment < self.now - timedelta(minutes=30):
                return moment

    def _plan_referrals(self) -> list[Plan]:
        moments = sorted(self._when() for _ in range(REFERRALS))
        indices = list(range(REFERRALS))
        # The `officer` login: 15 deflections over the last five months, two this week.
        recent = [i for i in indices if moments[i] > self.now - timedelta(days=7)]
        older = [i for i in indices if self.now - timedelta(days=150) < moments[i] <= self.now - timedelta(days=7)]
        own = set(self.rnd.sample(recent, 2) + self.rnd.sample(older, OWN_REFERRALS - 2))
        rest = [i for i in indices if i not in own]
        supervised = set(self.rnd.sample(rest, SUPERVISOR_REFERRALS))
        # Every client has at least one referral; a few come back again and again
        # (re-engagement, never failure). Weights fall off steeply by rank: most clients once.
        weights = [1 / (rank + 4) ** 1.2 for rank in range(CLIENTS)]
        slots = list(range(CLIENTS)) + self.rnd.choices(range(CLIENTS), weights=weights, k=REFERRALS - CLIENTS)
        self.rnd.shuffle(slots)
        plans = []
        for i, moment in enumerate(moments):
            if i in own:
                officer = self.officer
            elif i in supervised:
                officer = self.supervisor
            else:
                officer = self._pick_officer(moment)
            plans.append(self._plan(moment, officer, slots[i]))
        # The queue the casemanager login opens has work waiting in it.
        waiting = [p for p in plans if p.partner == self.partners["mat"]][-WAITING_AT_CLINIC:]
        for plan in plans:
            if plan not in waiting:
                self._history(plan)
        return plans

    def _pick_officer(self, moment: datetime) -> Officer:
        days_ago = (self.now - moment).total_seconds() / 86400
        active = [(o, keen) for o, start, keen in self.roster if start >= days_ago]
        officers, weights = zip(*active, strict=True)
        return self.rnd.choices(officers, weights=weights)[0]

    def _plan(self, moment: datetime, officer: Officer, client_index: int) -> Plan:
        rnd = self.rnd
        pathway = rnd.choices(list(PATHWAY_WEIGHTS), weights=list(PATHWAY_WEIGHTS.values()))[0]
        needs, substances = self._needs(pathway)
        opioid = bool({Substance.FENTANYL, Substance.OPIOIDS} & set(substances))
        naloxone = rnd.random() < (0.8 if pathway == Pathway.NALOXONE_PLUS else 0.12 if opioid else 0)
        charge = ""
        if rnd.random() < CHARGE_CHANCE[pathway]:
            pool = DRUG_CHARGES + OTHER_CHARGES if substances else OTHER_CHARGES
            charge = rnd.choices([c for c, _ in pool], weights=[w for _, w in pool])[0]
        partner = self._route(pathway, needs, substances, naloxone)
        warm = rnd.random() < (0.6 if partner.is_24_7 else 0.35)
        minutes = int(rnd.triangular(15, 90, 30 if not warm else 45))
        unit = officer.unit.name if officer.unit else ""
        side = "W" if unit.startswith("West") else "E" if unit.startswith("East") else rnd.choice("WE")
        beat = f"{side}-{rnd.randint(11, 44)}"
        if rnd.random() < 0.5:
            place = rnd.choice(PLACES)
        else:
            place = f"{self.fake.street_name()} & {self.fake.street_name()}"
        return Plan(
            occurred_at=moment,
            officer=officer,
            client_index=client_index,
            pathway=pathway,
            partner=partner,
            case_manager=rnd.choice(self.case_managers[partner.pk]),
            needs=needs,
            substances=substances,
            naloxone=naloxone,
            charge=charge,
            warm_handoff=warm,
            minutes=minutes,
            location=f"Beat {beat} · {place}",
            note=rnd.choice(PARTNER_NOTES) if rnd.random() < 0.25 else "",
            # Logged a few minutes after the encounter, as the officer wraps up.
            created_at=moment + timedelta(minutes=rnd.uniform(2, 20)),
        )

    def _needs(self, pathway: str) -> tuple[list[str], list[str]]:
        rnd = self.rnd
        needs: set[str] = set()
        if pathway == Pathway.NALOXONE_PLUS or rnd.random() < 0.8:
            needs.add(Need.SUBSTANCE_USE)
        for need, chance in (
            (Need.MENTAL_HEALTH, 0.55 if pathway == Pathway.COMMUNITY_RESPONSE else 0.3),
            (Need.HOUSING, 0.4),
            (Need.MEDICAL, 0.3 if pathway == Pathway.NALOXONE_PLUS else 0.07),
            (Need.FOOD, 0.06),
            (Need.BENEFITS, 0.1),
        ):
            if rnd.random() < chance:
                needs.add(need)
        if not needs & {Need.SUBSTANCE_USE, Need.MENTAL_HEALTH, Need.HOUSING}:
            needs.add(Need.MENTAL_HEALTH)
        substances: set[str] = set()
        if pathway == Pathway.NALOXONE_PLUS:
            substances.add(Substance.FENTANYL if rnd.random() < 0.8 else Substance.OPIOIDS)
        if Need.SUBSTANCE_USE in needs:
            k = 1 if rnd.random() < 0.7 else 2
            substances.update(rnd.choices(list(SUBSTANCE_WEIGHTS), weights=list(SUBSTANCE_WEIGHTS.values()), k=k))
        return sorted(needs), sorted(substances)

    def _route(self, pathway: str, needs: list[str], substances: list[str], naloxone: bool) -> ServicePartner:
        """Where an officer would send this person; the 24/7 MAT clinic takes most opioid cases."""
        weights = {"mat": 1.0, "crisis": 1.0, "peer": 1.0, "housing": 0.2, "mental_health": 0.6}
        if naloxone or {Substance.FENTANYL, Substance.OPIOIDS} & set(substances):
            weights.update(mat=9, peer=2.5)
        elif substances:
            weights.update(mat=3, peer=2.5, mental_health=1.2)
        if Need.MENTAL_HEALTH in needs:
            weights.update(crisis=weights["crisis"] + 3, mental_health=weights["mental_health"] + 2)
        if Need.HOUSING in needs:
            weights["housing"] += 1.0
        if pathway in (Pathway.ACTIVE_OUTREACH, Pathway.NALOXONE_PLUS):
            weights["peer"] += 3
        keys = list(weights)
        return self.partners[self.rnd.choices(keys, weights=[weights[k] for k in keys])[0]]

    # -- history -----------------------------------------------------------------------

    def _history(self, plan: Plan) -> None:
        """The status changes and follow-ups this referral would have had by now."""
        scheduled: list[tuple[str, datetime, datetime]] = []
        self._transitions(plan, scheduled)
        # Follow-ups after the whole story is known: what a check found depends on it.
        for kind, at, due in scheduled:
            self._follow_up(plan, kind, at, due)

    def _transitions(self, plan: Plan, scheduled: list[tuple[str, datetime, datetime]]) -> None:
        rnd = self.rnd
        hours = timedelta(hours=1)
        days = timedelta(days=1)
        cm, officer_user = plan.case_manager, plan.officer.user
        status = Status.REQUESTED

        def step(at: datetime, to: str, reason: str = "", note: str = "", actor: User = cm) -> bool:
            nonlocal status
            if at >= self.now:
                return False  # not happened yet: the referral stays where it is
            plan.transitions.append(Transition(at, status, to, actor, reason, note))
            status = to
            return True

        if rnd.random() < 0.04:
            # The referring officer withdraws it while the partner has not acted yet.
            reason, note = rnd.choice(CANCELLATIONS)
            step(plan.created_at + rnd.uniform(0.2, 12) * hours, Status.CANCELLED, reason, note, officer_user)
            return
        # A client walked in by the officer is seen at once; otherwise the partner has to reach
        # them first (a 24/7 partner within a day or so, others in office hours).
        if plan.warm_handoff:
            decided = plan.created_at + rnd.uniform(0.2, 3) * hours
        elif plan.partner.is_24_7:
            decided = plan.created_at + rnd.uniform(6, 120) * hours
        else:
            decided = plan.created_at + rnd.uniform(24, 144) * hours
        reject_chance = 0.3 if plan.partner.capacity_status == ServicePartner.Capacity.LIMITED else 0.08
        if rnd.random() < reject_chance:
            reason, _weight, note = rnd.choices(REJECTIONS, weights=[w for _, w, _ in REJECTIONS])[0]
            step(decided, Status.REJECTED, reason, note)
            return
        if not step(decided, Status.ACCEPTED):
            return
        # Accepting schedules the 72-hour check; intake the 30/60/90-day retention checks.
        scheduled.append((FollowUp.Kind.CHECK_72H, decided, decided + 72 * hours))
        intake_chance = 0.88 if plan.warm_handoff else 0.66
        if rnd.random() >= intake_chance:
            step(decided + rnd.uniform(5, 14) * days, Status.FAILED, *rnd.choice(FAILURES_BEFORE_INTAKE))
            return
        delay = rnd.uniform(0.5, 12) if plan.warm_handoff else rnd.uniform(12, 120)
        intake = decided + delay * hours
        if not step(intake, Status.IN_PROGRESS):
            return
        for kind, n in RETENTION_CHECKS:
            scheduled.append((kind, intake, intake + n * days))
        if rnd.random() < 0.7:
            plan.consent = self._consent(plan, intake)
        last = intake
        if rnd.random() < 0.12:
            held = intake + rnd.uniform(5, 40) * days
            if not step(held, Status.ON_HOLD, note=rnd.choice(HOLD_NOTES)):
                return
            last = held + rnd.uniform(4, 21) * days
            if not step(last, Status.IN_PROGRESS, note="Back in treatment."):
                return
        ending = rnd.random()
        if ending < 0.55:
            step(
                max(intake + rnd.uniform(35, 110) * days, last + days),
                Status.COMPLETED,
                note="Completed the programme.",
            )
        elif ending < 0.75:
            step(
                max(intake + rnd.uniform(10, 80) * days, last + days), Status.FAILED, *rnd.choice(FAILURES_AFTER_INTAKE)
            )
        # Otherwise still in treatment.

    def _consent(self, plan: Plan, intake: datetime) -> Consent:
        """Signed at intake: what lets the referring officer see the outcome."""
        signed_on = intake.astimezone(self.tz).date()
        until_treatment_ends = self.rnd.random() < 0.5
        return Consent(
            discloser=plan.partner,
            scope=self.rnd.choices([s for s, _ in CONSENT_SCOPES], weights=[w for _, w in CONSENT_SCOPES])[0],
            recipient_agency=self.agency,
            purpose=CONSENT_PURPOSE,
            revocation_terms=str(REVOCATION_TERMS),
            expires_on=None if until_treatment_ends else signed_on + timedelta(days=365),
            expiry_event=Consent.ExpiryEvent.END_OF_TREATMENT if until_treatment_ends else "",
            signed_on=signed_on,
            captured_by=plan.case_manager,
            # Recorded just after the intake, which may have been minutes ago: never in the future.
            created_at=max(intake, min(intake + timedelta(minutes=self.rnd.uniform(5, 40)), self.now)),
        )

    def _follow_up(self, plan: Plan, kind: str, scheduled: datetime, due: datetime) -> None:
        follow_up = FollowUp(kind=kind, due_at=due, assigned_to=plan.case_manager, created_at=scheduled)
        # Past-due follow-ups count as reminded: the demo's reminder sweep must not send
        # hundreds of emails about history the moment `make run` starts.
        if due <= self.now:
            follow_up.reminded_at = min(due + timedelta(minutes=5), self.now)
            # Most past-due checks were done, a few are overdue: the queue has work to show.
            if self.rnd.random() < 0.9:
                done = min(due + timedelta(hours=self.rnd.uniform(-20, 60)), self.now - timedelta(minutes=1))
                follow_up.completed_at = max(done, scheduled + timedelta(hours=1))
                follow_up.outcome = self._outcome(plan, kind, follow_up.completed_at)
                follow_up.note = self.rnd.choice(FOLLOW_UP_NOTES[follow_up.outcome])
        closed = plan.closed_at
        still_open_at_close = closed and (follow_up.completed_at is None or follow_up.completed_at > closed)
        completed = bool(plan.transitions) and plan.transitions[-1].to_status == Status.COMPLETED
        if still_open_at_close and (kind in CONTACT_CHECKS or (due > closed and not completed)):
            return  # closing the referral removed it while it was still open (see _follow_ups_close)
        plan.follow_ups.append(follow_up)

    def _outcome(self, plan: Plan, kind: str, when: datetime) -> str:
        """What the check found, consistent with the referral's history at that moment."""
        state = Status.REQUESTED
        for t in plan.transitions:
            if t.at <= when:
                state = t.to_status
        ever_intake = any(t.to_status == Status.IN_PROGRESS for t in plan.transitions)
        if state == Status.ON_HOLD:
            return FollowUp.Outcome.OTHER
        if state in (Status.IN_PROGRESS, Status.COMPLETED):
            return FollowUp.Outcome.ENGAGED if self.rnd.random() < 0.92 else FollowUp.Outcome.NO_CONTACT
        if kind == FollowUp.Kind.CHECK_72H and ever_intake:
            return FollowUp.Outcome.ENGAGED  # reached, intake booked for later
        if self.rnd.random() < 0.6:
            return FollowUp.Outcome.NO_CONTACT
        return FollowUp.Outcome.NOT_ENGAGED

    # -- writing -----------------------------------------------------------------------

    def _clients(self, plans: list[Plan]) -> list[Client]:
        first_seen: dict[int, Plan] = {}
        for plan in plans:  # chronological: the first plan of a client is where they were met
            first_seen.setdefault(plan.client_index, plan)
        today = self.now.astimezone(self.tz).date()
        clients = []
        for index in range(CLIENTS):
            rnd = self.rnd
            gender = rnd.choices([g for g, _ in GENDERS], weights=[w for _, w in GENDERS])[0]
            hispanic = rnd.random() < 0.35
            first, last = self._person(spanish=hispanic, gender=gender if gender in ("Male", "Female") else None)
            if hispanic:
                language = Client.Language.SPANISH if rnd.random() < 0.45 else Client.Language.ENGLISH
                race = "Hispanic or Latino"
            else:
                language = Client.Language.OTHER if rnd.random() < 0.02 else Client.Language.ENGLISH
                race = rnd.choices([r for r, _ in RACES], weights=[w for _, w in RACES])[0]
            aliases = ", ".join(rnd.sample(STREET_NAMES, 2 if rnd.random() < 0.2 else 1)) if rnd.random() < 0.25 else ""
            plan = first_seen[index]
            client = client_create(
                agency_id=self.agency.pk,
                data=NewClient(
                    first_name=first,
                    last_name=last,
                    # 18 to 75 years old today.
                    date_of_birth=today - timedelta(days=rnd.randint(18 * 366, 75 * 365)),
                    aliases=aliases,
                    phone=self._phone() if rnd.random() < 0.55 else "",
                    preferred_language=language,
                ),
                created_by=plan.officer.user,
            )
            client.gender = gender
            client.race_ethnicity = race
            client.created_at = plan.created_at
            clients.append(client)
        # The demographics are optional extras client_create does not take; created_at is
        # when the officer first met them, not today.
        Client.objects.bulk_update(clients, ["gender", "race_ethnicity", "created_at"], batch_size=BATCH)
        return clients

    def _write(self, plans: list[Plan], clients: list[Client]) -> None:
        plans, contacts = self._seen_again(plans)
        referrals = [self._referral(plan, clients[plan.client_index]) for plan in plans]
        Referral.objects.bulk_create(referrals, batch_size=BATCH)
        self._link_reengagements(plans, referrals)
        self._write_contacts(contacts, dict(zip(map(id, plans), referrals, strict=True)))
        events, follow_ups, consents = [], [], []
        for plan, referral in zip(plans, referrals, strict=True):
            history = [
                CaseEvent(
                    referral=referral,
                    actor=plan.officer.user,
                    kind=CaseEvent.Kind.CREATED,
                    to_status=Status.REQUESTED,
                    created_at=plan.created_at,
                )
            ]
            history += [
                CaseEvent(
                    referral=referral,
                    actor=t.actor,
                    kind=CaseEvent.Kind.STATUS_CHANGED,
                    from_status=t.from_status,
                    to_status=t.to_status,
                    reason=t.reason,
                    note=t.note,
                    created_at=t.at,
                )
                for t in plan.transitions
            ]
            for follow_up in plan.follow_ups:
                follow_up.referral = referral
                follow_ups.append(follow_up)
                if follow_up.completed_at:
                    history.append(
                        CaseEvent(
                            referral=referral,
                            actor=follow_up.assigned_to,
                            kind=CaseEvent.Kind.FOLLOW_UP,
                            reason=follow_up.kind,
                            note=str(follow_up.get_outcome_display()),
                            created_at=follow_up.completed_at,
                        )
                    )
            if plan.consent is not None:
                consent = plan.consent
                consent.client, consent.referral = referral.client, referral
                consent.signature_name = referral.client.full_name
                consent.language = "es" if referral.client.preferred_language == Client.Language.SPANISH else "en"
                consents.append(consent)
                history.append(
                    CaseEvent(
                        referral=referral,
                        actor=consent.captured_by,
                        kind=CaseEvent.Kind.CONSENT,
                        note=f"Consent recorded: {consent.get_scope_display()}",
                        created_at=consent.created_at,
                    )
                )
            # In time order, so that ids and timestamps agree on the history.
            events.extend(sorted(history, key=lambda e: e.created_at))
        CaseEvent.objects.bulk_create(events, batch_size=BATCH)
        FollowUp.objects.bulk_create(follow_ups, batch_size=BATCH)
        Consent.objects.bulk_create(consents, batch_size=BATCH)

    def _referral(self, plan: Plan, client: Client) -> Referral:
        last = plan.transitions[-1] if plan.transitions else None
        accepted_at = plan.when(Status.ACCEPTED)
        activity = [plan.created_at, *(t.at for t in plan.transitions)]
        activity += [f.completed_at for f in plan.follow_ups if f.completed_at]
        # The officer has looked since the last news on most referrals; news of the last
        # few days is still unseen, so "updated since you looked" has something to show.
        seen = max(activity) + timedelta(hours=self.rnd.uniform(2, 96))
        return Referral(
            client=client,
            officer=plan.officer,
            agency=self.agency,
            partner=plan.partner,
            pathway=plan.pathway,
            occurred_at=plan.occurred_at,
            location=plan.location,
            presenting_needs=plan.needs,
            substances=plan.substances,
            naloxone_administered=plan.naloxone,
            charge_deflected=plan.charge,
            warm_handoff=plan.warm_handoff,
            officer_minutes=plan.minutes,
            note=plan.note,
            status=last.to_status if last else Status.REQUESTED,
            status_reason=last.reason if last else "",
            status_note=last.note if last else "",
            status_changed_at=last.at if last else plan.created_at,
            accepted_by=plan.case_manager if accepted_at else None,
            accepted_at=accepted_at,
            intake_at=plan.when(Status.IN_PROGRESS),
            closed_at=plan.closed_at,
            officer_seen_at=seen if seen < self.now else None,
            created_by=plan.officer.user,
            created_at=plan.created_at,
        )

    def _seen_again(self, plans: list[Plan]) -> tuple[list[Plan], list[tuple[Plan, Plan]]]:
        """As referral_create decides: an encounter while the client's referral to the same
        partner is still open is an officer contact on it (the encounter's own planned
        history is dropped), not a new referral. Returns the referral plans and the
        (encounter, open referral's plan) pairs."""
        kept: list[Plan] = []
        contacts: list[tuple[Plan, Plan]] = []
        latest: dict[tuple[int, int], Plan] = {}
        for plan in plans:  # chronological
            key = (plan.client_index, plan.partner.pk)
            before = latest.get(key)
            if before is not None and (before.closed_at is None or before.closed_at > plan.created_at):
                contacts.append((plan, before))
                continue
            latest[key] = plan
            kept.append(plan)
        return kept, contacts

    def _write_contacts(self, contacts: list[tuple[Plan, Plan]], referral_of: dict[int, Referral]) -> None:
        rows, events = [], []
        for plan, open_plan in contacts:
            referral = referral_of[id(open_plan)]
            rows.append(
                OfficerContact(
                    referral=referral,
                    officer=plan.officer,
                    pathway=plan.pathway,
                    occurred_at=plan.occurred_at,
                    location=plan.location,
                    presenting_needs=plan.needs,
                    substances=plan.substances,
                    naloxone_administered=plan.naloxone,
                    charge_deflected=plan.charge,
                    warm_handoff=plan.warm_handoff,
                    officer_minutes=plan.minutes,
                    note=plan.note,
                    created_by=plan.officer.user,
                    created_at=plan.created_at,
                )
            )
            local = plan.occurred_at.astimezone(self.tz)
            events.append(
                CaseEvent(
                    referral=referral,
                    actor=plan.officer.user,
                    kind=CaseEvent.Kind.OFFICER_CONTACT,
                    note=f"Seen again by {plan.officer.display_name} on {local:%b %d}",
                    created_at=plan.created_at,
                )
            )
        OfficerContact.objects.bulk_create(rows, batch_size=BATCH)
        CaseEvent.objects.bulk_create(events, batch_size=BATCH)

    def _link_reengagements(self, plans: list[Plan], referrals: list[Referral]) -> None:
        """A client's later referral points at the one before it, as referral_create does."""
        earlier: dict[int, list[tuple[Plan, Referral]]] = {}
        linked = []
        for plan, referral in zip(plans, referrals, strict=True):  # chronological
            for before, before_referral in reversed(earlier.get(plan.client_index, [])):
                cancelled = before.closed_at and before.transitions[-1].to_status == Status.CANCELLED
                if not (cancelled and before.closed_at <= plan.created_at):
                    referral.reengagement_of = before_referral
                    linked.append(referral)
                    break
            earlier.setdefault(plan.client_index, []).append((plan, referral))
        Referral.objects.bulk_update(linked, ["reengagement_of"], batch_size=BATCH)

    # -- quick wins --------------------------------------------------------------------

    def _quick_wins(self) -> None:
        """The milestones the history reached, on the days it reached them, and news for the
        week the digest reports: a patrol officer new to the program makes a first deflection,
        and two clients' thank-you notes are shared. Without these the quick wins page said
        none had happened yet, and the demo's digest had no milestone or story to show."""
        # The periodic task and the digest detect milestones in a running app; history
        # written at once must be caught up here. Reports read casework, so the import is
        # local to the seeding, not the other way round.
        from reports.digest import reported_week
        from reports.milestones import milestones_detect

        week_start, _due = reported_week(self.agency, self.now)
        start = datetime.combine(week_start, datetime.min.time(), tzinfo=self.tz)
        end = start + timedelta(days=7)
        self._newcomer(start, end)
        self._stories(start, end)
        milestones_detect(agency_id=self.agency.pk)

    def _newcomer(self, start: datetime, end: datetime) -> None:
        """The last deflection of the reported week becomes a new patrol officer's first."""
        referral = (
            Referral.objects.filter(agency=self.agency, created_at__gte=start, created_at__lt=end)
            .exclude(status=Status.CANCELLED)
            .exclude(officer__in=[self.officer, self.supervisor])
            .select_related("officer")
            .order_by("created_at", "id")
            .last()
        )
        if referral is None:
            return
        first, last = self._person()
        user = self._user(
            username=self._username(first, last),
            first_name=first,
            last_name=last,
            role=User.Role.OFFICER,
            agency=self.agency,
            unit=referral.officer.unit,
            # Above the roster's badges (1200 to 4999): a recruit's number is the newest.
            badge_number=f"PV-{self.rnd.randrange(5000, 6000)}",
        )
        newcomer = officer_for_user(user=user)
        Referral.objects.filter(pk=referral.pk).update(officer=newcomer, created_by=user)
        CaseEvent.objects.filter(referral=referral, kind=CaseEvent.Kind.CREATED).update(actor=user)

    def _stories(self, start: datetime, end: datetime) -> None:
        """Thank-you notes recorded in the reported week, for referrals in treatment since before
        it, each approved by the program administrator a day later (the digest shows a story
        only once approved, in the week of its approval)."""
        from reports.models import SuccessStory
        from reports.services import success_story_create, success_story_review

        referrals = list(
            Referral.objects.filter(
                agency=self.agency,
                status__in=[Status.IN_PROGRESS, Status.COMPLETED],
                intake_at__lt=start - timedelta(days=14),
                accepted_by__isnull=False,
            )
            .select_related("accepted_by")
            .order_by("-intake_at", "id")[: 4 * len(STORIES)]
        )
        for (source, text), referral in zip(
            STORIES, self.rnd.sample(referrals, min(len(STORIES), len(referrals))), strict=False
        ):
            story = success_story_create(
                referral=referral, actor=referral.accepted_by, source=source, text=text, consent_to_share=True
            )
            success_story_review(story_id=story.pk, actor=self.logins["admin"], approve=True)
            when = start + timedelta(days=self.rnd.uniform(0.5, 5.5))
            SuccessStory.objects.filter(pk=story.pk).update(
                created_at=when, consent_recorded_at=when, reviewed_at=when + timedelta(days=1)
            )

    def _counts(self) -> dict[str, int]:
        referrals = Referral.objects.filter(agency=self.agency)
        counts = {
            "units": self.agency.units.count(),
            "service partners": ServicePartner.objects.filter(agencies=self.agency).count(),
            "officers": Officer.objects.filter(agency=self.agency).count(),
            "clients": Client.objects.filter(agency=self.agency).count(),
            "referrals": referrals.count(),
            "officer contacts": OfficerContact.objects.filter(referral__agency=self.agency).count(),
            "follow-ups": FollowUp.objects.filter(referral__agency=self.agency).count(),
            "case events": CaseEvent.objects.filter(referral__agency=self.agency).count(),
        }
        by_status = Counter(referrals.values_list("status", flat=True))
        counts.update({f"  {status}": by_status[status] for status in Status.values if by_status[status]})
        return counts


class Command(BaseCommand):
    help = "Build a realistic demo program (made-up agency, partners, officers, clients, six months of referrals)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any agency exists (for `make run`)."
        )
        parser.add_argument(
            "--force", action="store_true", help="Seed even though the database holds real (non-demo) agencies."
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Random seed (same seed, same data).")

    def handle(self, *args, if_empty: bool = False, force: bool = False, seed: int = DEFAULT_SEED, **options) -> None:
        if if_empty and Agency.objects.exists():
            self.stdout.write("seed_demo: the database already has agencies; leaving it as it is.")
            return
        real = list(Agency.objects.filter(is_demo=False).values_list("name", flat=True)[:3])
        if real and not force:
            raise CommandError(
                f"This database holds real program data (agencies: {', '.join(real)}). "
                "seed_demo would mix made-up clients into it; use --force if you really mean it."
            )
        with transaction.atomic():
            replaced = Agency.objects.filter(is_demo=True).exists()
            delete_demo_data()
            counts = DemoBuilder(seed=seed).build()
        self._summary(counts, replaced=replaced)

    def _summary(self, counts: dict[str, int], *, replaced: bool) -> None:
        what = "Replaced the demo program" if replaced else "Built the demo program"
        self.stdout.write(self.style.SUCCESS(f"{what}: {AGENCY_NAME}"))
        for label, n in counts.items():
            self.stdout.write(f"  {label}: {n}")
        self.stdout.write(f"Logins (password {DEMO_PASSWORD}):")
        for login in LOGINS:
            self.stdout.write(f"  {login.username:<12} {login.first_name} {login.last_name}, {login.role}")
