"""Reads about partners, scoped by who is asking."""

from __future__ import annotations

from django.db.models import IntegerField, QuerySet, Value

from partners.models import ServicePartner


def partner_list_for_agency(*, agency_id: int) -> QuerySet[ServicePartner]:
    """Active partners serving an agency, 24/7 partners first (what an officer picks from)."""
    # Each partner listed carries the agency it was listed for, so that
    # partner_serves_agency need not ask the database again about a partner this query
    # has just found serving it (the officer's form picks from this list).
    return (
        ServicePartner.objects.filter(agencies__id=agency_id, is_active=True)
        .annotate(listed_for_agency_id=Value(agency_id, output_field=IntegerField()))
        .order_by("-is_24_7", "name")
    )


def partner_serves_agency(*, partner: ServicePartner, agency_id: int) -> bool:
    listed_for = getattr(partner, "listed_for_agency_id", None)
    if listed_for is not None and listed_for == agency_id:
        return True
    return partner.is_active and partner.agencies.filter(id=agency_id).exists()
