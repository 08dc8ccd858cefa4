"""Builds the demo program (`manage.py seed_demo`): a realistic, repeatable program to show and try the app.

One made-up regional program: a police department with its units, officers, service partners
and six months of deflections, each with the case events and follow-ups its lifecycle would
have written, and the county sheriff's office referring to the same partners
(referrals.demo.region). Everything is marked as demo data (Program.is_demo, Agency.is_demo),
so a real database is never touched by accident, and a re-run replaces the previous demo
instead of adding to it.

Officers, clients and success stories are made through the services (partners and users
have none: the admin edits them). The referrals' six months of history are written in bulk,
as referrals.demo.lifecycle lays them out: the services would stamp every event with "now".
"""

from __future__ import annotations

import random
import zoneinfo
from collections import Counter
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils import timezone
from faker import Faker

from deflection.models import Agency, Program, Unit, User
from partners.models import PartnerContact, PartnerOpening, ServicePartner
from referrals import event_notes
from referrals.demo.charges import held_charges_build, office_names
from referrals.demo.check_ins import check_ins_build
from referrals.demo.data import (
    AGENCY_NAME,
    AGENCY_TZ,
    CLIENTS,
    DAYS,
    DEMO_PASSWORD,
    EMAIL_DOMAIN,
    FIRST_ON_DUTY_DAYS,
    GENDERS,
    LOGINS,
    PARTNERS,
    PROGRAM_NAME,
    RACES,
    SHERIFF_NAME,
    STREET_NAMES,
    UNITS,
)
from referrals.demo.offline import possible_duplicate_build
from referrals.demo.plans import Plan, Planner
from referrals.demo.program_life import ProgramLife
from referrals.demo.region import Region
from referrals.models import (
    CaseEvent,
    ChargeNotice,
    Client,
    ClientMerge,
    Consent,
    FollowUp,
    JusticeAgency,
    Officer,
    OfficerCheckIn,
    OfficerContact,
    Referral,
    normalize_name,
)
from referrals.services import NewClient, client_create, officer_for_user, officer_sync

BATCH = 500
Status = Referral.Status


def delete_demo_data() -> None:
    """Delete every demo program and agency and what hangs off them, children before parents (PROTECT)."""
    programs = list(Program.objects.filter(is_demo=True).values_list("pk", flat=True))
    agencies = list(Agency.objects.filter(Q(is_demo=True) | Q(program__in=programs)).values_list("pk", flat=True))
    # A demo partner serves demo agencies only; one that also serves a real agency stays.
    partners = list(
        ServicePartner.objects.filter(Q(agencies__in=agencies) | Q(name__in=[p.name for p in PARTNERS]))
        .exclude(agencies__is_demo=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    try:
        # Follow-ups, case events and held charges go with their referrals (CASCADE); the
        # notices to the offices first (PROTECT). A real agency's referral to a demo partner
        # is never deleted here: PROTECT stops us instead.
        ChargeNotice.objects.filter(held_charge__referral__agency__in=agencies).delete()
        Consent.objects.filter(client__agency__in=agencies).delete()
        ClientMerge.objects.filter(survivor__agency__in=agencies).delete()
        Referral.objects.filter(agency__in=agencies).delete()
        OfficerContact.objects.filter(officer__agency__in=agencies).delete()  # and with them (CASCADE), but PROTECT
        Client.objects.filter(agency__in=agencies).delete()
        Officer.objects.filter(agency__in=agencies).delete()
        users = User.objects.filter(Q(agency__in=agencies) | Q(partner__in=partners) | Q(program__in=programs))
        # The buy-in loop's demo rows name demo users (PROTECT); seeding is their only link down.
        from buyin.demo.suggestions import delete_demo_suggestions

        delete_demo_suggestions(list(users.values_list("pk", flat=True)))
        users.delete()
        ServicePartner.objects.filter(pk__in=partners).delete()
        # The demo's offices, unless one also decides a real agency's charges.
        JusticeAgency.objects.filter(name__in=office_names()).exclude(agencies__is_demo=False).delete()
        Agency.objects.filter(pk__in=agencies).delete()  # units go with it
        Program.objects.filter(pk__in=programs).delete()
    except (ProtectedError, RestrictedError) as error:
        blockers = ", ".join(sorted({f"{o._meta.verbose_name} {o.pk}" for o in list(error.args[1])[:5]}))
        raise CommandError(
            f"The old demo data is still referenced by other rows ({blockers}); remove those first."
        ) from error


class DemoBuilder(ProgramLife, Region):
    """Builds the demo program. Randomness comes from the seed only, so a run is repeatable."""

    def __init__(self, *, seed: int, now: datetime | None = None) -> None:
        self.seed = seed
        self.rnd = random.Random(seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        self.fake_es = Faker("es_MX")
        self.fake_es.seed_instance(seed + 1)
        self.now = now or timezone.now()
        self.tz = zoneinfo.ZoneInfo(AGENCY_TZ)
        # One hash for every demo account: hashing is deliberately slow.
        self.password_hash = make_password(DEMO_PASSWORD)
        self.taken_usernames = set(User.objects.values_list("username", flat=True))
        self.case_managers: dict[int, list[User]] = {}

    # -- people and places -------------------------------------------------------------

    def build(self) -> dict[str, int]:
        """Write the whole demo program; returns what it holds, counted."""
        self._check_names_are_free()
        self._program_and_sheriff()
        self.agency = Agency.objects.create(
            name=AGENCY_NAME,
            program=self.program,
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
        plans = Planner(
            rnd=self.rnd,
            fake=self.fake,
            now=self.now,
            tz=self.tz,
            agency=self.agency,
            partners=self.partners,
            case_managers=self.case_managers,
            roster=self.roster,
            officer=self.officer,
            supervisor=self.supervisor,
        ).plans()
        clients = self._clients(plans, agency=self.agency, count=CLIENTS)
        self._write(plans, clients)
        check_ins_build(agency=self.agency, officer_user=self.logins["officer"], rnd=self.rnd, now=self.now)
        held = held_charges_build(agency=self.agency, county=[self.sheriff], rnd=self.rnd, now=self.now)
        possible_duplicate_build(agency=self.agency, officer_user=self.logins["officer"], now=self.now)
        self._quick_wins()
        self._partner_relations()
        self._feedback()
        self._pulse_surveys()
        self._suggestions()
        self._briefings()
        self._sheriff_history()
        # The program view's months as the beat would have published them.
        from reports.program_digest import months_published_by

        months_published_by(self.program, self.now)
        counts = self._counts()
        counts.update({f"charges held, {state}": n for state, n in sorted(held.items())})
        counts.update(self._buyin())
        return counts

    def _check_names_are_free(self) -> None:
        # After delete_demo_data only real rows can hold these names: never take them over.
        for name in (AGENCY_NAME, SHERIFF_NAME):
            if Agency.objects.filter(name=name).exists():
                raise CommandError(f"A real agency is named {name!r}; rename it before seeding the demo.")
        if Program.objects.filter(name=PROGRAM_NAME).exists():
            raise CommandError(f"A real program is named {PROGRAM_NAME!r}; rename it before seeding the demo.")
        clash = ServicePartner.objects.filter(name__in=[p.name for p in PARTNERS]).values_list("name", flat=True)
        if clash:
            raise CommandError(f"Real service partners use the demo names: {', '.join(clash)}.")
        offices = JusticeAgency.objects.filter(name__in=office_names()).values_list("name", flat=True)
        if offices:
            raise CommandError(f"Real prosecutors' offices or courts use the demo names: {', '.join(offices)}.")
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
        officer_sync(user=user)
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
                languages=spec.languages,
            )
            # The program's two agencies refer to the same partners.
            partner.agencies.add(self.agency, self.sheriff)
            PartnerOpening.objects.bulk_create(
                PartnerOpening(
                    partner=partner,
                    weekday=day,
                    opens_at=time.fromisoformat(opens),
                    closes_at=time.fromisoformat(closes),
                )
                for days, opens, closes in spec.week
                for day in days
            )
            self.partners[spec.key] = partner
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
            fields: dict = {"badge_number": login.badge, "language": login.language}
            if login.role == User.Role.CASE_MANAGER:
                fields["partner"] = mat
            elif login.where == "program":
                fields["program"] = self.program  # a regional coordinator: the program, no agency
            else:
                # The admin belongs to the demo agency too: that is how a re-run finds and
                # replaces it without touching a real administrator.
                fields["agency"] = self.sheriff if login.where == "sheriff" else self.agency
            if login.unit:
                fields["unit"] = (self.sheriff_units if login.where == "sheriff" else self.units)[login.unit]
            if login.role == User.Role.PROGRAM_ADMIN:
                fields.update(program=self.program, is_staff=True, is_superuser=True)
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
            officer = self._field_officer(
                agency=self.agency, unit=self.units[unit], role=role, badge=f"PV-{next(badges)}", men=0.72
            )
            if unit == "MHST":
                start, keen = FIRST_ON_DUTY_DAYS, self.rnd.uniform(2.5, 4.0)
            else:
                start, keen = self.rnd.uniform(20, DAYS), self.rnd.lognormvariate(0, 0.8)
            if role == User.Role.SUPERVISOR:
                keen *= 0.3
            self.roster.append((officer, start, keen))

    def _field_officer(self, *, agency: Agency, unit: Unit, role: str, badge: str, men: float) -> Officer:
        """A made-up officer or sergeant of the agency's unit (`men`: the share of men)."""
        gender = "Male" if self.rnd.random() < men else "Female"
        first, last = self._person(gender=gender)
        user = self._user(
            username=self._username(first, last),
            first_name=first,
            last_name=last,
            role=role,
            agency=agency,
            unit=unit,
            badge_number=badge,
        )
        return officer_for_user(user=user)

    # -- writing -----------------------------------------------------------------------

    def _clients(self, plans: list[Plan], *, agency: Agency, count: int) -> list[Client]:
        first_seen: dict[int, Plan] = {}
        for plan in plans:  # chronological: the first plan of a client is where they were met
            first_seen.setdefault(plan.client_index, plan)
        today = self.now.astimezone(self.tz).date()
        clients = []
        for index in range(count):
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
                agency_id=agency.pk,
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
            history = [CaseEvent(referral=referral, **vars(change)) for change in plan.history.case_events()]
            # Past-due follow-ups count as reminded: the demo's reminder sweep must not send
            # hundreds of emails about history the moment `make run` starts.
            follow_ups += [
                FollowUp(
                    referral=referral,
                    reminded_at=min(check.due_at + timedelta(minutes=5), self.now)
                    if check.due_at <= self.now
                    else None,
                    **vars(check),
                )
                for check in plan.history.follow_ups()
            ]
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
                        **event_notes.note("consent_recorded", scope=consent.scope),
                        created_at=consent.created_at,
                    )
                )
            # In time order, so that ids and timestamps agree on the history.
            events.extend(sorted(history, key=lambda e: e.created_at))
        CaseEvent.objects.bulk_create(events, batch_size=BATCH)
        FollowUp.objects.bulk_create(follow_ups, batch_size=BATCH)
        Consent.objects.bulk_create(consents, batch_size=BATCH)

    def _encounter(self, plan: Plan) -> dict:
        """What a referral and an officer contact both record of the encounter."""
        return {
            # The agency's records system numbers every call: year, then when it came in.
            "incident_number": f"PV{plan.occurred_at.astimezone(self.tz):%y-%m%d%H%M}",
            "officer": plan.officer,
            "pathway": plan.pathway,
            "occurred_at": plan.occurred_at,
            "location": plan.location,
            "presenting_needs": plan.needs,
            "substances": plan.substances,
            "naloxone_administered": plan.naloxone,
            "charge_deflected": plan.charge,
            "warm_handoff": plan.warm_handoff,
            "officer_minutes": plan.minutes,
            "note": plan.note,
            "created_by": plan.officer.user,
            "created_at": plan.created_at,
        }

    def _referral(self, plan: Plan, client: Client) -> Referral:
        history = plan.history
        activity = [change.created_at for change in history.case_events()]
        # The officer has looked since the last news on most referrals; news of the last
        # few days is still unseen, so "updated since you looked" has something to show.
        seen = max(activity) + timedelta(hours=self.rnd.uniform(2, 96))
        return Referral(
            client=client,
            agency_id=plan.officer.agency_id,
            partner=plan.partner,
            status=history.status,
            status_reason=history.reason,
            status_note=history.note,
            status_changed_at=history.changed_at,
            accepted_by=history.accepted_by,
            accepted_at=history.accepted_at,
            intake_at=history.intake_at,
            closed_at=history.closed_at,
            cancelled_by_officer=history.cancelled_by_officer,
            **history.counted,
            officer_seen_at=seen if seen < self.now else None,
            **self._encounter(plan),
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
            if before is not None and (before.history.closed_at is None or before.history.closed_at > plan.created_at):
                contacts.append((plan, before))
                continue
            latest[key] = plan
            kept.append(plan)
        return kept, contacts

    def _write_contacts(self, contacts: list[tuple[Plan, Plan]], referral_of: dict[int, Referral]) -> None:
        rows, events = [], []
        for plan, open_plan in contacts:
            referral = referral_of[id(open_plan)]
            rows.append(OfficerContact(referral=referral, **self._encounter(plan)))
            with timezone.override(self.tz):  # the day the stored text gives, as the officer's agency saw it
                said = event_notes.note("seen_again", officer=plan.officer.display_name, at=plan.occurred_at)
            events.append(
                CaseEvent(
                    referral=referral,
                    actor=plan.officer.user,
                    kind=CaseEvent.Kind.OFFICER_CONTACT,
                    created_at=plan.created_at,
                    **said,
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
                # Past one its officer cancelled before (IS_DEFLECTION), as referral_create links.
                closed_at = before.history.closed_at
                if not (before.history.cancelled_by_officer and closed_at <= plan.created_at):
                    referral.reengagement_of = before_referral
                    linked.append(referral)
                    break
            earlier.setdefault(plan.client_index, []).append((plan, referral))
        Referral.objects.bulk_update(linked, ["reengagement_of"], batch_size=BATCH)

    # -- quick wins --------------------------------------------------------------------

    def _counts(self) -> dict[str, int]:
        referrals = Referral.objects.filter(agency=self.agency)
        counts = {
            "units": self.agency.units.count(),
            "service partners": ServicePartner.objects.filter(agencies=self.agency).count(),
            "officers": Officer.objects.filter(agency=self.agency).count(),
            "clients": Client.objects.filter(agency=self.agency).count(),
            "referrals": referrals.count(),
            "officer contacts": OfficerContact.objects.filter(referral__agency=self.agency).count(),
            "officer check-ins": OfficerCheckIn.objects.filter(referral__agency=self.agency).count(),
            "follow-ups": FollowUp.objects.filter(referral__agency=self.agency).count(),
            "case events": CaseEvent.objects.filter(referral__agency=self.agency).count(),
            "partner contacts": PartnerContact.objects.filter(partner__agencies=self.agency).count(),
            "suggestions": self.suggestions,
            "sheriff's office referrals": Referral.objects.filter(agency=self.sheriff).count(),
        }
        by_status = Counter(referrals.values_list("status", flat=True))
        counts.update({f"  {status}": by_status[status] for status in Status.values if by_status[status]})
        return counts
