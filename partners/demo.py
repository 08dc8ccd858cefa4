"""The demo's partner relationships: six months of contacts with every demo partner, next
steps done and to come, one wait-and-see partner with an overdue next step, and tier
changes with their reasons. Written through the services, then dated back, as
referrals.demo.builder does with the stories (the services stamp everything "now")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from deflection.models import User
from partners.models import PartnerContact, PartnerTierChange, ServicePartner
from partners.selectors import partner_today, partner_zone
from partners.services import partner_contact_create, partner_next_step_done, partner_tier_change

K = PartnerContact.Kind
T = ServicePartner.Tier


@dataclass(frozen=True)
class DemoContact:
    days_ago: int
    kind: str
    what: str
    met_with: str = ""
    next_step: str = ""
    due_in: int | None = None  # days after the contact
    done_after: int | None = None  # days after the contact; None: still open


@dataclass(frozen=True)
class DemoTierChange:
    days_ago: int
    from_tier: str
    to_tier: str
    reason: str


CONTACTS: dict[str, tuple[DemoContact, ...]] = {
    "mat": (
        DemoContact(
            178,
            K.AGREEMENT,
            "Signed the deflection MOU; the clinic director will attend the monthly partner meeting.",
            met_with="Clinic director, intake lead",
        ),
        DemoContact(
            120,
            K.VISIT,
            "Walked the new law-enforcement entrance: officers are back on the road in under 10 minutes.",
            met_with="Nurse manager",
            next_step="Send the entrance map to every shift briefing",
            due_in=7,
            done_after=5,
        ),
        DemoContact(
            45,
            K.MEETING,
            "Monthly partner meeting: same-day buprenorphine starts are holding; weekend nurse coverage is thin.",
            met_with="Clinic director",
            next_step="Share the quarter's acceptance figures with the clinic director",
            due_in=30,
            done_after=20,
        ),
        DemoContact(
            8,
            K.CALL,
            "Asked about naloxone kits for patrol cars; the clinic can supply 200 a month.",
            met_with="Pharmacy lead",
            next_step="Confirm the kit hand-off point with the quartermaster",
            due_in=14,
        ),
    ),
    "crisis": (
        DemoContact(
            170,
            K.MEETING,
            "Agreed on drop-off without medical clearance for calm adults.",
            met_with="Medical director",
        ),
        DemoContact(
            95,
            K.EMAIL,
            "Drop-off turnaround for officers averaged 9 minutes last quarter.",
            met_with="Operations manager",
        ),
        DemoContact(
            20,
            K.CALL,
            "Discussed the two weekend diversions to the ER; the bay was full both nights.",
            met_with="Charge nurse",
            next_step="Joint review of weekend capacity at the partner meeting",
            due_in=25,
        ),
    ),
    "peer": (
        DemoContact(
            160,
            K.VISIT,
            "Rode along on a naloxone-plus visit; peers reached the client within a day.",
            met_with="Peer team lead",
        ),
        DemoContact(
            75,
            K.MEETING,
            "Now covering Saturdays after the east-side pilot.",
            met_with="Peer team lead, program manager",
            next_step="Add Saturday coverage to the officers' quick-reference card",
            due_in=10,
            done_after=9,
        ),
        DemoContact(
            12,
            K.CALL,
            "Bilingual peers stretched thin; they are hiring one more.",
            met_with="Program manager",
        ),
    ),
    "housing": (
        DemoContact(
            150,
            K.MEETING,
            "Willing to take referrals for clients already in treatment; wants to see the first quarter's "
            "numbers before committing bridge beds.",
            met_with="Executive director",
        ),
        DemoContact(
            60,
            K.EMAIL,
            "Sent the first quarter's figures: how many housing referrals reached intake elsewhere first.",
            met_with="Executive director",
            next_step="Meet to ask again about two bridge beds for deflected clients",
            due_in=50,
        ),
    ),
    "mental_health": (
        DemoContact(
            165,
            K.CALL,
            "Waiting list past six weeks; asked officers to hold off non-urgent referrals.",
            met_with="Clinical director",
        ),
        DemoContact(
            70,
            K.MEETING,
            "Two counsellors hired; the intensive outpatient programme takes deflected clients again.",
            met_with="Clinical director",
            next_step="Tell the units that Desert Willow takes referrals again",
            due_in=3,
            done_after=2,
        ),
    ),
}

TIER_CHANGES: dict[str, tuple[DemoTierChange, ...]] = {
    "housing": (
        DemoTierChange(
            148,
            T.COMMITTED,
            T.WAIT_AND_SEE,
            "Bridge beds went to the county's winter shelter contract; they want the first quarter's "
            "numbers before committing beds to the program.",
        ),
    ),
    "mental_health": (
        DemoTierChange(164, T.COMMITTED, T.WAIT_AND_SEE, "Waiting list past six weeks; no new referrals for now."),
        DemoTierChange(69, T.WAIT_AND_SEE, T.COMMITTED, "Two counsellors hired; taking deflected clients again."),
    ),
}


def _at(day: date, partner: ServicePartner, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=partner_zone(partner))


def partner_relations_build(*, partners: dict[str, ServicePartner], admin: User, now: datetime) -> int:
    """Write the demo's relationship logs and tier histories; returns how many contacts."""
    written = 0
    for key, changes in TIER_CHANGES.items():
        partner = partners[key]
        ServicePartner.objects.filter(pk=partner.pk).update(engagement_tier=changes[0].from_tier)
        today = partner_today(partner, now=now)
        for change in changes:
            made = partner_tier_change(partner_id=partner.pk, actor=admin, tier=change.to_tier, reason=change.reason)
            when = _at(today - timedelta(days=change.days_ago), partner, 10)
            PartnerTierChange.objects.filter(pk=made.pk).update(changed_at=when)
        partner.refresh_from_db(fields=["engagement_tier"])
    for key, contacts in CONTACTS.items():
        partner = partners[key]
        today = partner_today(partner, now=now)
        for spec in contacts:
            day = today - timedelta(days=spec.days_ago)
            contact = partner_contact_create(
                partner_id=partner.pk,
                actor=admin,
                contact_on=day,
                kind=spec.kind,
                what=spec.what,
                met_with=spec.met_with,
                next_step=spec.next_step,
                next_step_due=day + timedelta(days=spec.due_in) if spec.due_in is not None else None,
            )
            fields: dict = {"created_at": _at(day, partner, 16)}
            if spec.done_after is not None:
                partner_next_step_done(contact_id=contact.pk, actor=admin)
                fields["next_step_done_at"] = _at(day + timedelta(days=spec.done_after), partner, 11)
                fields["next_step_reminded_at"] = None
            PartnerContact.objects.filter(pk=contact.pk).update(**fields)
            written += 1
    return written
