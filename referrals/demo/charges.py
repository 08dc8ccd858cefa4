"""The demo's charges held in abeyance: most officer intervention deflections hold a charge
for the county attorney (a few for the municipal court) to decide, in every state: held (the
recent ones), satisfied (recorded by the case manager once intake showed it, or decided at
the deadline), not satisfied (decided at the deadline) and withdrawn. Half the clients who
reached intake signed the criminal-justice consent there, and the decisions it covered were
told to the office in a notice (emailed). The access record is not generated: like every
other look at the demo's clients, it fills as the demo is used (and its rows are final, so a
re-seeded demo could not take generated ones back).

Written in bulk, as the builder writes the referrals' history: which moves exist comes from
services.CHARGE_TRANSITIONS and whether a condition was met from referrals.held_charges, the
services' own reads. Everything here is generated; the offices' names and addresses are made up.
"""

from __future__ import annotations

import random
import zoneinfo
from collections import Counter
from datetime import datetime, time, timedelta

from deflection.models import Agency
from referrals import event_notes
from referrals.demo.data import EMAIL_DOMAIN
from referrals.held_charges import condition_met_at
from referrals.models import (
    IS_DEFLECTION,
    CaseEvent,
    ChargeNotice,
    Consent,
    HeldCharge,
    JusticeAgency,
    Pathway,
    Referral,
    count_day,
)
from referrals.services import CHARGE_TRANSITIONS, criminal_justice_consent_new

H = HeldCharge.State
# (name, kind, contact desk, mailbox, postal address): made up.
OFFICES = (
    (
        "Pima Valley County Attorney's Office",
        JusticeAgency.Kind.PROSECUTOR,
        "Diversion unit",
        "diversion",
        "32 N Stone Ave, Suite 1400\nPima Valley, AZ 85701",
    ),
    (
        "Pima Valley Municipal Court",
        JusticeAgency.Kind.COURT,
        "Deflection docket clerk",
        "court-deflection",
        "110 W Congress St\nPima Valley, AZ 85701",
    ),
)
STATUTES = {
    "Possession of drug paraphernalia": "ARS 13-3415",
    "Possession of a dangerous drug, personal-use amount": "ARS 13-3407",
    "Possession of a narcotic drug, personal-use amount": "ARS 13-3408",
    "Criminal trespass, third degree": "ARS 13-1502",
    "Shoplifting, under $250": "ARS 13-1805",
    "Disorderly conduct": "ARS 13-2904",
    "Criminal damage, under $250": "ARS 13-1602",
}
HELD_SHARE = 0.85  # of the officer intervention deflections with a charge deflected
CONSENT_SHARE = 0.5  # of those that reached intake
WITHDRAWN_SHARE = 0.04


def office_names() -> list[str]:
    return [name for name, *_rest in OFFICES]


def held_charges_build(*, agency: Agency, county: list[Agency], rnd: random.Random, now: datetime) -> Counter:
    """The charges, their decisions, consents and notices; returns how many charges in each state.
    The county attorney also decides for the `county`'s other agencies (the sheriff's office),
    so that their officers can hold a charge too; the municipal court is the city's only."""
    zone = zoneinfo.ZoneInfo(agency.timezone)
    offices = _offices(agency)
    offices[0].agencies.add(*county)
    referrals = (
        Referral.objects.filter(agency=agency, pathway=Pathway.OFFICER_INTERVENTION)
        .filter(IS_DEFLECTION)
        .exclude(charge_deflected="")
        .select_related("officer", "client", "agency")
        .order_by("occurred_at", "pk")
    )
    charges, consents, events = [], [], []
    for referral in referrals:
        if rnd.random() > HELD_SHARE:
            continue
        charge = _charge(referral, offices, rnd, zone)
        consent = None
        if referral.intake_at and rnd.random() < CONSENT_SHARE:
            consent = _consent(referral, charge, rnd, zone, now)
        _decide(charge, referral, rnd, now, zone)
        charges.append(charge)
        if consent is not None:
            consents.append(consent)
        events += _events(charge, referral, consent)
    _every_state_once(charges, now)
    HeldCharge.objects.bulk_create(charges, batch_size=500)
    Consent.objects.bulk_create(consents, batch_size=500)
    CaseEvent.objects.bulk_create(sorted(events, key=lambda e: e.created_at), batch_size=500)
    _notices(charges, {c.referral_id: c for c in consents}, now)
    return Counter(charge.state for charge in charges)


def _offices(agency: Agency) -> list[JusticeAgency]:
    made = []
    for name, kind, desk, mailbox, address in OFFICES:
        office = JusticeAgency.objects.create(
            name=name, kind=kind, contact_name=desk, contact_email=f"{mailbox}@{EMAIL_DOMAIN}", postal_address=address
        )
        office.agencies.add(agency)
        made.append(office)
    return made


def _charge(referral: Referral, offices: list[JusticeAgency], rnd: random.Random, zone) -> HeldCharge:
    engaged = rnd.random() < 0.3
    day = referral.occurred_at.astimezone(zone).date()
    return HeldCharge(
        referral=referral,
        description=referral.charge_deflected,
        statute=STATUTES.get(referral.charge_deflected, ""),
        case_number=f"PV{day:%y}-{referral.pk:05d}",
        condition=HeldCharge.Condition.ENGAGED_DAYS if engaged else HeldCharge.Condition.INTAKE,
        engaged_days=30 if engaged else None,
        deadline=day + timedelta(days=60 if engaged else 30),
        decider=offices[0] if rnd.random() < 0.85 else offices[1],
        recorded_by=referral.created_by,
        created_at=referral.created_at,
    )


def _consent(referral: Referral, charge: HeldCharge, rnd: random.Random, zone, now: datetime) -> Consent:
    """The criminal-justice consent, signed at intake with the case manager. An intake of
    minutes ago has its consent signed by now, not later."""
    at = min(referral.intake_at + timedelta(minutes=rnd.randrange(10, 90)), now)
    return criminal_justice_consent_new(
        referral=referral,
        charge=charge,
        actor=referral.accepted_by,
        purpose=f"To let {charge.decider.name} know whether I entered treatment and stayed in it.",
        expires_on=charge.deadline + timedelta(days=60),
        signature_name=referral.client.full_name,
        signed_on=at.astimezone(zone).date(),
        language="es" if referral.client.preferred_language == "es" else "en",
        created_at=at,
    )


def _decide(charge: HeldCharge, referral: Referral, rnd: random.Random, now: datetime, zone) -> None:
    """The charge's decision as the services would have made it by now: withdrawn by its
    officer now and then; satisfied when the case manager saw the condition met (a day or so
    after) or at the deadline; not satisfied at the deadline without it."""
    end = charge.deadline_ends_at(zone)
    met = condition_met_at(charge, referral, zone=zone)
    if rnd.random() < WITHDRAWN_SHARE:
        at = referral.created_at + timedelta(days=rnd.randrange(1, 10))
        if at < now:
            _move(charge, "withdraw", at, referral.created_by)
        return
    if met is not None and met < now:
        recorded = met + timedelta(hours=rnd.randrange(2, 72))
        if recorded < min(end, now):
            _move(charge, "satisfy", recorded, referral.accepted_by)
            return
    if end <= now:
        _move(charge, "satisfy" if met is not None else "not_satisfy", min(end + timedelta(minutes=5), now), None)


def _move(charge: HeldCharge, action: str, at: datetime, by) -> None:
    sources, target = CHARGE_TRANSITIONS[action]
    if charge.state not in sources:
        raise ValueError(f"{action} from {charge.state}: the held charge has no such move")
    charge.state, charge.state_changed_at, charge.decided_by = target, at, by
    # As the service keeps it: decided before the count day of its deadline's end, counted so.
    zone = zoneinfo.ZoneInfo(charge.referral.agency.timezone)
    if at < count_day(charge.deadline_ends_at(zone), zone):
        charge.counted_state = target


def _every_state_once(charges: list[HeldCharge], now: datetime) -> None:
    """However the dice fell, the demo shows a charge in each state: a recent held one is
    withdrawn by its officer if none was."""
    if not any(c.state == H.WITHDRAWN for c in charges):
        held = [c for c in charges if c.state == H.HELD]
        if len(held) > 1:
            _move(held[0], "withdraw", min(now, held[0].created_at + timedelta(hours=20)), held[0].recorded_by)


def _events(charge: HeldCharge, referral: Referral, consent: Consent | None) -> list[CaseEvent]:
    events = [
        CaseEvent(
            referral=referral,
            actor=charge.recorded_by,
            kind=CaseEvent.Kind.HELD_CHARGE,
            to_status=H.HELD,
            **event_notes.note(
                "charge_held", condition=charge.condition, engaged_days=charge.engaged_days, deadline=charge.deadline
            ),
            created_at=charge.created_at + timedelta(seconds=1),
        )
    ]
    if consent is not None:
        events.append(
            CaseEvent(
                referral=referral,
                actor=consent.captured_by,
                kind=CaseEvent.Kind.CONSENT,
                **event_notes.note("justice_consent_recorded", court=charge.decider.name),
                created_at=consent.created_at,
            )
        )
    if charge.state != H.HELD:
        events.append(
            CaseEvent(
                referral=referral,
                actor=charge.decided_by,
                kind=CaseEvent.Kind.HELD_CHARGE,
                from_status=H.HELD,
                to_status=charge.state,
                **(event_notes.note("charge_decided_by_the_check") if charge.decided_by is None else {}),
                created_at=charge.state_changed_at,
            )
        )
    return events


def _notices(charges: list[HeldCharge], consents: dict[int, Consent], now: datetime) -> None:
    """What each office was told: a decision a consent covered, emailed a few minutes after it.
    Past deadlines are marked reminded, so that the demo's sweep does not mail its history."""
    notices = []
    for charge in charges:
        zone = zoneinfo.ZoneInfo(charge.referral.agency.timezone)
        reminded = {}
        if datetime.combine(charge.deadline - timedelta(days=3), time(7), tzinfo=zone) <= now:
            reminded["reminded_before_at"] = now
        if charge.deadline_ends_at(zone) <= now:
            reminded["reminded_passed_at"] = now
        if reminded:
            HeldCharge.objects.filter(pk=charge.pk).update(**reminded)
        consent = consents.get(charge.referral_id)
        decided = charge.state_changed_at
        if consent is None or charge.state == H.HELD or consent.created_at > decided or not consent.covers(decided):
            continue
        emailed = min(decided + timedelta(minutes=3), now)
        notices.append(
            ChargeNotice(
                held_charge=charge,
                consent=consent,
                recipient=charge.decider,
                state=charge.state,
                decided_on=decided.astimezone(zone).date(),
                created_at=decided,
                email_to=charge.decider.contact_email,
                emailed_at=emailed,
            )
        )
    ChargeNotice.objects.bulk_create(notices, batch_size=500)
