"""The demo's referrals before they are written: each encounter, and its history up to now.

The Planner draws every encounter of the six months (when, by whom, for whom, to which
partner) and lets each one's lifecycle play out through referrals.demo.lifecycle, which makes
the moves referrals.services would make. Nothing here touches the database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from deflection.models import Agency, User
from partners.models import ServicePartner
from referrals.demo.data import (
    CANCELLATIONS,
    CHARGE_CHANCE,
    CLIENTS,
    CONSENT_PURPOSE,
    CONSENT_SCOPES,
    DAYS,
    DRUG_CHARGES,
    FAILURES_AFTER_INTAKE,
    FAILURES_BEFORE_INTAKE,
    FOLLOW_UP_NOTES,
    HOLD_NOTES,
    HOUR_WEIGHTS,
    OTHER_CHARGES,
    OWN_REFERRALS,
    PARTNER_NOTES,
    PATHWAY_WEIGHTS,
    PLACES,
    REFERRALS,
    REJECTIONS,
    SUBSTANCE_WEIGHTS,
    SUPERVISOR_REFERRALS,
    WAITING_AT_CLINIC,
)
from referrals.demo.lifecycle import Check, History
from referrals.models import Consent, FollowUp, Need, Officer, Pathway, Referral, Substance, count_day
from referrals.services import REVOCATION_TERMS

Status = Referral.Status
# A follow-up left undone in the demo is at most this late: older ones were done.
OVERDUE_AT_MOST = timedelta(days=14)


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
    history: History
    consent: Consent | None = None


def encounter_moment(rnd: random.Random, now: datetime, tz: tzinfo) -> datetime:
    """A moment in the last six months, more of them recent: the program is growing."""
    while True:
        days_ago = rnd.uniform(0, DAYS)
        # Twice as many deflections a week now as six months ago.
        if rnd.random() * 2 > 2 - days_ago / DAYS:
            continue
        local_day = (now.astimezone(tz) - timedelta(days=days_ago)).date()
        hour = rnd.choices(range(24), weights=HOUR_WEIGHTS)[0]
        moment = datetime(local_day.year, local_day.month, local_day.day, hour, rnd.randrange(60), tzinfo=tz)
        if moment < now - timedelta(minutes=30):
            return moment


class Planner:
    """Draws the encounters and their histories. Shares the builder's random source and
    Faker, so that the same seed still gives the same demo."""

    def __init__(
        self,
        *,
        rnd: random.Random,
        fake,
        now: datetime,
        tz: tzinfo,
        agency: Agency,
        partners: dict[str, ServicePartner],
        case_managers: dict[int, list[User]],
        roster: list[tuple[Officer, float, float]],
        officer: Officer,
        supervisor: Officer,
        referrals: int = REFERRALS,
        clients: int = CLIENTS,
        own: int = OWN_REFERRALS,
        supervised: int = SUPERVISOR_REFERRALS,
    ) -> None:
        self.rnd, self.fake, self.now, self.tz, self.agency = rnd, fake, now, tz, agency
        self.partners, self.case_managers, self.roster = partners, case_managers, roster
        self.officer, self.supervisor = officer, supervisor
        # How many encounters, people, and of them the two logins' (the program's second
        # agency is smaller than the first).
        self.referrals, self.clients, self.own, self.supervised = referrals, clients, own, supervised

    def plans(self) -> list[Plan]:
        """Every encounter of the six months, in time order, each with its history."""
        moments = sorted(encounter_moment(self.rnd, self.now, self.tz) for _ in range(self.referrals))
        indices = list(range(self.referrals))
        # The `officer` login: 15 deflections over the last five months, two this week.
        recent = [i for i in indices if moments[i] > self.now - timedelta(days=7)]
        older = [i for i in indices if self.now - timedelta(days=150) < moments[i] <= self.now - timedelta(days=7)]
        # A small agency may have fewer than two this week at some hours of the day: fewer then.
        this_week = self.rnd.sample(recent, min(2, len(recent)))
        own = set(this_week + self.rnd.sample(older, self.own - len(this_week)))
        rest = [i for i in indices if i not in own]
        supervised = set(self.rnd.sample(rest, self.supervised))
        # Every client has at least one referral; a few come back again and again
        # (re-engagement, never failure). Weights fall off steeply by rank: most clients once.
        weights = [1 / (rank + 4) ** 1.2 for rank in range(self.clients)]
        slots = list(range(self.clients)) + self.rnd.choices(
            range(self.clients), weights=weights, k=self.referrals - self.clients
        )
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
        case_manager = rnd.choice(self.case_managers[partner.pk])
        note = rnd.choice(PARTNER_NOTES) if rnd.random() < 0.25 else ""
        # Logged a few minutes after the encounter, as the officer wraps up.
        created_at = moment + timedelta(minutes=rnd.uniform(2, 20))
        return Plan(
            occurred_at=moment,
            officer=officer,
            client_index=client_index,
            pathway=pathway,
            partner=partner,
            case_manager=case_manager,
            needs=needs,
            substances=substances,
            naloxone=naloxone,
            charge=charge,
            warm_handoff=warm,
            minutes=minutes,
            location=f"Beat {beat} · {place}",
            note=note,
            created_at=created_at,
            history=History(
                created_at=created_at, creator=officer.user, now=self.now, counted_until=count_day(moment, self.tz)
            ),
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
        self._transitions(plan)
        # Follow-ups after the whole story is known: what a check found depends on it.
        for check in plan.history.checks:
            self._follow_up(plan, check)

    def _transitions(self, plan: Plan) -> None:
        rnd = self.rnd
        hours = timedelta(hours=1)
        days = timedelta(days=1)
        cm, history = plan.case_manager, plan.history
        if rnd.random() < 0.04:
            # The referring officer withdraws it while the partner has not acted yet.
            reason, note = rnd.choice(CANCELLATIONS)
            history.act("cancel", plan.created_at + rnd.uniform(0.2, 12) * hours, plan.officer.user, reason, note)
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
            history.act("reject", decided, cm, reason, note)
            return
        if not history.act("accept", decided, cm):
            return
        intake_chance = 0.88 if plan.warm_handoff else 0.66
        if rnd.random() >= intake_chance:
            history.act("fail", decided + rnd.uniform(5, 14) * days, cm, *rnd.choice(FAILURES_BEFORE_INTAKE))
            return
        delay = rnd.uniform(0.5, 12) if plan.warm_handoff else rnd.uniform(12, 120)
        intake = decided + delay * hours
        if not history.act("record_intake", intake, cm):
            return
        if rnd.random() < 0.7:
            plan.consent = self._consent(plan, intake)
        last = intake
        if rnd.random() < 0.12:
            held = intake + rnd.uniform(5, 40) * days
            if not history.act("hold", held, cm, note=rnd.choice(HOLD_NOTES)):
                return
            last = held + rnd.uniform(4, 21) * days
            if not history.act("resume", last, cm, note="Back in treatment."):
                return
        ending = rnd.random()
        if ending < 0.55:
            history.act(
                "complete", max(intake + rnd.uniform(35, 110) * days, last + days), cm, note="Completed the program."
            )
        elif ending < 0.75:
            failed = max(intake + rnd.uniform(10, 80) * days, last + days)
            history.act("fail", failed, cm, *rnd.choice(FAILURES_AFTER_INTAKE))
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

    def _follow_up(self, plan: Plan, check: Check) -> None:
        # Most past-due checks were done, a few of the last two weeks' are overdue: the queue
        # has work to show, as a team that keeps up with it would have (none months late).
        recent = check.due_at > self.now - OVERDUE_AT_MOST
        if check.due_at <= self.now and (not recent or self.rnd.random() < 0.9):
            # A contact check may be done a little early; a retention check not before it is due.
            early = 0 if check.kind in dict(FollowUp.RETENTION_CHECKS) else 20
            done = min(check.due_at + timedelta(hours=self.rnd.uniform(-early, 60)), self.now - timedelta(minutes=1))
            check.completed_at = max(done, check.created_at + timedelta(hours=1))
            check.outcome = self._outcome(plan, check.kind, check.completed_at)
            check.note = self.rnd.choice(FOLLOW_UP_NOTES[check.outcome])

    def _outcome(self, plan: Plan, kind: str, when: datetime) -> str:
        """What the check found, consistent with the referral's history at that moment."""
        state = plan.history.status_at(when)
        if state == Status.ON_HOLD:
            return FollowUp.Outcome.OTHER
        if state in (Status.IN_PROGRESS, Status.COMPLETED):
            return FollowUp.Outcome.ENGAGED if self.rnd.random() < 0.92 else FollowUp.Outcome.NO_CONTACT
        if kind == FollowUp.Kind.CHECK_72H and plan.history.intake_at is not None:
            return FollowUp.Outcome.ENGAGED  # reached, intake booked for later
        if self.rnd.random() < 0.6:
            return FollowUp.Outcome.NO_CONTACT
        return FollowUp.Outcome.NOT_ENGAGED
