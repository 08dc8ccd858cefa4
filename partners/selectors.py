"""Reads about partners, scoped by who is asking."""

from __future__ import annotations

import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import Max, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from deflection.models import Agency, User
from deflection.permissions import (
    administers_programs,
    agencies_of_program,
    in_program,
    may_exchange_partner_directory,
    may_see_partner_relations,
)
from partners.models import PartnerContact, PartnerTierChange, ServicePartner


@dataclass(frozen=True)
class AgencyPartners:
    """The active partners serving one agency, 24/7 first, by name (what an officer picks from)."""

    agency_id: int
    partners: list[ServicePartner]


def partner_list_for_agency(*, agency_id: int) -> AgencyPartners:
    """Active partners serving an agency, 24/7 partners first, with the agency they were read for."""
    partners = ServicePartner.objects.filter(is_active=True, agencies=agency_id).order_by("-is_24_7", "name")
    return AgencyPartners(agency_id=agency_id, partners=list(partners))


def partner_serves_agency(*, partner: ServicePartner, agency_id: int, listed: AgencyPartners | None = None) -> bool:
    """Whether the partner is active and serves the agency. `listed`: the agency's partners
    just read for the officer to pick from, which answer without asking the database again."""
    if listed is not None and listed.agency_id == agency_id and partner in listed.partners:
        return True
    return partner.is_active and partner.agencies.filter(id=agency_id).exists()


# ---------------------------------------------------------------------------
# The relationship with each partner: its log, next steps and tier history.
# ---------------------------------------------------------------------------


def partner_zone(partner: ServicePartner) -> zoneinfo.ZoneInfo:
    """The time zone a partner's dates are read in: that of the first agency it serves (the
    program's), else the deployment's. Reads `partner.agencies.all()`, so prefetch it for many."""
    agencies = sorted(partner.agencies.all(), key=lambda agency: agency.pk)
    return zoneinfo.ZoneInfo(agencies[0].timezone if agencies else settings.TIME_ZONE)


def partner_today(partner: ServicePartner, *, now: datetime | None = None) -> date:
    """Today's date where the partner's program is (never the server's or UTC's date)."""
    return (now or timezone.now()).astimezone(partner_zone(partner)).date()


def partner_list_for_user(*, user: User) -> QuerySet[ServicePartner]:
    """The partners whose relationship the user may read: those serving the program's
    agencies for program administration, those serving their agency for command staff,
    none for anyone else."""
    if not may_see_partner_relations(user):
        return ServicePartner.objects.none()
    if administers_programs(user):
        return in_program(ServicePartner.objects.all(), user)
    return ServicePartner.objects.filter(pk__in=ServicePartner.objects.filter(agencies=user.agency_id).values("pk"))


def partner_get_for_user(*, user: User, partner_id: int) -> ServicePartner:
    """One partner the user may read the relationship of, or 404 (never 403: that would confirm it exists)."""
    partner = partner_list_for_user(user=user).prefetch_related("agencies", "openings").filter(pk=partner_id).first()
    if partner is None:
        raise Http404
    return partner


@dataclass(frozen=True)
class PartnerStanding:
    """One row of the partners list: the partner, its last contact and its earliest open next step."""

    partner: ServicePartner
    last_contact: date | None
    next_step_due: date | None
    overdue: bool


def partner_standings_for_user(*, user: User, now: datetime | None = None) -> list[PartnerStanding]:
    """The partners the user may read, those with an overdue next step first (the most
    overdue first), then by the next step's due date, then the rest by name."""
    open_steps = Q(contacts__next_step_done_at__isnull=True, contacts__next_step_due__isnull=False)
    partners = (
        partner_list_for_user(user=user)
        .annotate(
            last_contact=Max("contacts__contact_on"),
            next_due=Min("contacts__next_step_due", filter=open_steps),
        )
        .prefetch_related("agencies")
        .order_by("name")
    )
    rows = [
        PartnerStanding(
            partner=p,
            last_contact=p.last_contact,
            next_step_due=p.next_due,
            overdue=p.next_due is not None and p.next_due < partner_today(p, now=now),
        )
        for p in partners
    ]
    return sorted(rows, key=lambda r: (not r.overdue, r.next_step_due is None, r.next_step_due or date.max))


@dataclass(frozen=True)
class RelationshipLog:
    """A partner's relationship log (newest first), its tier history (newest first) and the
    partner's today, against which a next step is overdue."""

    contacts: list[PartnerContact]
    tier_changes: list[PartnerTierChange]
    today: date


def partner_relationship_log(*, partner: ServicePartner, now: datetime | None = None) -> RelationshipLog:
    """What the partner's page shows of the relationship, read for a partner the user may see."""
    contacts = partner.contacts.select_related("recorded_by", "next_step_done_by").order_by("-contact_on", "-pk")
    changes = partner.tier_changes.select_related("changed_by").order_by("-changed_at", "-pk")
    return RelationshipLog(contacts=list(contacts), tier_changes=list(changes), today=partner_today(partner, now=now))


# ---------------------------------------------------------------------------
# The partner directory, exchanged as Open Referral HSDS (partners.hsds).
# ---------------------------------------------------------------------------


def partner_directory_for_user(*, user: User) -> QuerySet[ServicePartner]:
    """The partners whose directory entries the user may download: those of the program,
    for whoever keeps its directory; none for anyone else."""
    if not may_exchange_partner_directory(user):
        return ServicePartner.objects.none()
    return partner_list_for_user(user=user)


def partner_for_directory(*, actor: User | None, hsds_id: uuid.UUID | None, name: str) -> ServicePartner | None:
    """The partner an imported entry is about, among those the importer may read (all of
    them from the command line): the one with its directory id, else the one of its name.
    Its agencies and opening hours are read with it."""
    partners = ServicePartner.objects.all() if actor is None else partner_directory_for_user(user=actor)
    partners = partners.prefetch_related("agencies", "openings")
    if hsds_id is not None:
        partner = partners.filter(hsds_id=hsds_id).first()
        if partner is not None:
            return partner
    return partners.filter(name__iexact=name).first()


def agencies_for_directory(*, actor: User | None) -> dict[str, Agency]:
    """The agencies an imported partner may serve, by their name in lower case: those of
    the importer's program (every agency, from the command line)."""
    agencies = Agency.objects.all() if actor is None else agencies_of_program(actor)
    return {agency.name.lower(): agency for agency in agencies}
