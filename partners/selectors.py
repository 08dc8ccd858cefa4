"""Reads about partners, scoped by who is asking."""

from __future__ import annotations

from functools import cache

from partners.models import ServicePartner


@cache
def _served_sql() -> str:
    """Active partners serving an agency, 24/7 first, by name; each row with the agency it
    was listed for. Table and column names from the models, read once."""
    through = ServicePartner.agencies.through._meta
    partner_column = through.get_field("servicepartner").column
    agency_column = through.get_field("agency").column
    return (
        f"SELECT p.*, %s AS listed_for_agency_id FROM {ServicePartner._meta.db_table} p "  # noqa: S608 (model names)
        f"WHERE p.is_active AND EXISTS (SELECT 1 FROM {through.db_table} a "
        f"WHERE a.{partner_column} = p.id AND a.{agency_column} = %s) "
        "ORDER BY p.is_24_7 DESC, p.name"
    )


def partner_list_for_agency(*, agency_id: int) -> list[ServicePartner]:
    """Active partners serving an agency, 24/7 partners first (what an officer picks from).

    Each partner listed carries the agency it was listed for, so that partner_serves_agency
    need not ask the database again about a partner this query has just found serving it
    (the officer's form picks from this list). Plain SQL: it runs on every log-a-deflection
    request, where the ORM took longer to build the query than the database to answer it.
    """
    return list(ServicePartner.objects.raw(_served_sql(), [agency_id, agency_id]))


def partner_serves_agency(*, partner: ServicePartner, agency_id: int) -> bool:
    listed_for = getattr(partner, "listed_for_agency_id", None)
    if listed_for is not None and listed_for == agency_id:
        return True
    return partner.is_active and partner.agencies.filter(id=agency_id).exists()
