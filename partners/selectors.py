"""Reads about partners, scoped by who is asking."""

from __future__ import annotations

from dataclasses import dataclass

from partners.models import ServicePartner


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
