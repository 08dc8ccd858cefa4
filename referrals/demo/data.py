"""The demo program's made-up world: its agency, people, partners, and the odds of what happens.

Everything here is data the builder (referrals.demo.builder) draws from; nothing touches the
database. Names, phone numbers and email addresses are fictional by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

from deflection.models import User
from partners.models import ServicePartner
from referrals.models import Consent, FollowUp, Pathway, Referral, Substance

DEMO_PASSWORD = "deflect-demo-2026"  # noqa: S105 (the published demo password)
DEFAULT_SEED = 2026
PROGRAM_NAME = "Pima Valley Regional Deflection Program"
AGENCY_NAME = "Pima Valley Police Department"
AGENCY_TZ = "America/Phoenix"
# The program's second agency: the county sheriff, referring to the same partners.
SHERIFF_NAME = "Pima Valley Sheriff's Office"
SHERIFF_UNITS = ("Rural Patrol", "Jail Diversion Team")
SHERIFF_DEPUTIES = 8
SHERIFF_REFERRALS = 140
SHERIFF_CLIENTS = 120
SHERIFF_OWN_REFERRALS = 6  # what the `deputy` login sees in My deflections
SHERIFF_SERGEANT_REFERRALS = 3
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
    # Whose: the police department's ("police"), the sheriff's office's ("sheriff"), or the
    # whole program's ("program": a regional coordinator, without an agency).
    where: str = "police"
    language: str = ""


LOGINS = (
    Login("officer", "Marcus", "Delgado", User.Role.OFFICER, "MHST", "PV-2281"),
    # The app in Spanish: an MHST officer who chose it.
    Login("oficial", "Rosa", "Ybarra", User.Role.OFFICER, "MHST", "PV-2290", language="es"),
    Login("supervisor", "Teresa", "Whitfield", User.Role.SUPERVISOR, "MHST", "PV-1164"),
    Login("casemanager", "Alicia", "Navarro", User.Role.CASE_MANAGER),
    Login("command", "Raymond", "Castellanos", User.Role.COMMAND, None, "PV-0102"),
    Login("admin", "Jordan", "Ellis", User.Role.PROGRAM_ADMIN),
    Login("deputy", "Rosa", "Villanueva", User.Role.OFFICER, "Rural Patrol", "SO-3107", where="sheriff"),
    Login("coordinator", "Evelyn", "Marsh", User.Role.COMMAND, where="program"),
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
    staff: tuple[tuple[str, str], ...] = ()  # extra case managers (first, last)
    # Opening hours: (days, 0 for Monday; opens; closes), for a partner not open 24/7.
    week: tuple[tuple[range, str, str], ...] = ()
    languages: str = "en"


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
        staff=(("Samuel", "Okafor"),),
        languages="en, es",
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
    ),
    PartnerSpec(
        key="peer",
        name="Second Chance Peer Deflection Team",
        kind=ServicePartner.Kind.DEFLECTION_TEAM,
        is_24_7=False,
        hours="Field visits within 24 hours of a referral, also outside these hours.",
        week=((range(6), "07:00", "19:00"),),
        languages="en, es",
        services=(
            "Certified peer support specialists with lived experience who meet clients in the field "
            "within 24 hours, ride along on naloxone-plus visits, and help with ID, benefits, phones "
            "and transport to treatment intake. Bilingual (English/Spanish)."
        ),
    ),
    PartnerSpec(
        key="housing",
        name="Casa Esperanza Housing Navigation",
        kind=ServicePartner.Kind.HOUSING,
        is_24_7=False,
        hours="Closed on public holidays.",
        week=((range(5), "08:00", "17:00"),),
        languages="en, es",
        services=(
            "Housing navigation and rapid re-housing applications, a few bridge-housing beds held for "
            "clients engaged in treatment, help with documents and deposits. Bilingual staff."
        ),
        tier=ServicePartner.Tier.WAIT_AND_SEE,
        capacity=ServicePartner.Capacity.LIMITED,
    ),
    PartnerSpec(
        key="mental_health",
        name="Desert Willow Behavioral Health",
        kind=ServicePartner.Kind.MENTAL_HEALTH,
        is_24_7=False,
        hours="",
        week=((range(5), "08:00", "18:00"), (range(5, 6), "09:00", "13:00")),
        services=(
            "Outpatient counseling, psychiatric medication management and an intensive outpatient "
            "program for co-occurring substance use and mental health disorders. Medicaid accepted."
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
    "bus transit center",
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
    "Client asked for a Spanish-speaking counselor.",
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
