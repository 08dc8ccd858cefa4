"""Reads about partners, scoped by who is asking."""

from __future__ import annotations

from django.db.models import QuerySet

from partners.models import ServicePartner


def partner_list_for_agency(*, agency_id: int) -> QuerySet[ServicePartner]:
    """Active partners serving an agency, 24/7 partners first (what an officer picks from)."""
    return ServicePartner.objects.filter(agencies__id=agency_id, is_active=True).order_by("-is_24_7", "name")


def partner_serves_agency(*, partner: ServicePartner, agency_id: int) -> bool:
    return partner.is_active and partner.agencies.filter(id=agency_id).exists()
