"""The partner directory as Open Referral HSDS 3.0 JSON.

One organization per service partner, in the organization-oriented shape of HSDS's compiled
schemas: the organization with its phone and location, and its one service with the
partner's kind, status, schedules, languages and the agencies it serves. HSDS has no
packaging format for many records in one file; the file is the API reference's `Page`
with every organization in `contents`.

Nothing about clients, referrals or the relationship with the partner (tier, capacity,
contacts, staff) is in the directory.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from partners.directory import DirectoryEntry, Stretch, clock, directory_entry_of, week_stretches
from partners.hsds import terms
from partners.models import ServicePartner


def export_directory(partners: Iterable[ServicePartner] | None = None) -> dict:
    """The partners (all of them when None) as an HSDS `Page` of organizations, by name: a
    plain dict, ready for json.dumps. Given a queryset, it reads it in three queries."""
    if partners is None:
        partners = ServicePartner.objects.all()
    if isinstance(partners, QuerySet):
        partners = partners.prefetch_related("agencies", "openings").order_by("name").distinct()
    # The directory's words do not change with the reader's language.
    with translation.override(settings.LANGUAGE_CODE):
        contents = [organization(directory_entry_of(partner)) for partner in partners]
    return {
        "total_items": len(contents),
        "total_pages": 1,
        "page_number": 1,
        "size": len(contents),
        "first_page": True,
        "last_page": True,
        "empty": not contents,
        "contents": contents,
    }


def organization(entry: DirectoryEntry) -> dict:
    """One partner as an HSDS organization, its service nested."""
    org_id = str(entry.hsds_id)
    kind_label = str(ServicePartner.Kind(entry.kind).label)
    org: dict = {
        "id": org_id,
        "name": entry.name,
        # Required by HSDS: the services offered, or what kind of partner it is.
        "description": entry.services or kind_label,
    }
    if entry.phone:
        org["phones"] = [{"id": _id(entry, "phone"), "organization_id": org_id, "number": entry.phone}]
    if entry.address:
        org["locations"] = [_location(entry)]
    org["services"] = [_service(entry, kind_label)]
    return org


def _id(entry: DirectoryEntry, part: str) -> str:
    # An entry read from a partner always has its id (only a file's may lack one).
    return terms.part_id(entry.hsds_id, part)  # type: ignore[arg-type]


def _location(entry: DirectoryEntry) -> dict:
    location_id = _id(entry, "location")
    return {
        "id": location_id,
        "location_type": "physical",
        "organization_id": str(entry.hsds_id),
        "name": entry.name,
        "addresses": [
            {
                "id": _id(entry, "address"),
                "location_id": location_id,
                **terms.address_parts(entry.address),
                "country": terms.COUNTRY,
                "address_type": "physical",
            }
        ],
    }


def _service(entry: DirectoryEntry, kind_label: str) -> dict:
    service_id = _id(entry, "service")
    service: dict = {
        "id": service_id,
        "organization_id": str(entry.hsds_id),
        "name": entry.name,
        "status": "active" if entry.is_active else "inactive",
    }
    if entry.services:
        service["description"] = entry.services
    service["schedules"] = _schedules(entry, service_id)
    if entry.languages:
        service["languages"] = [
            {
                "id": _id(entry, f"language:{code}"),
                "service_id": service_id,
                "name": terms.language_name(code),
                "code": code,
            }
            for code in entry.languages
        ]
    # The agencies whose officers refer to the partner: their jurisdictions are where the
    # service is available to the program's clients.
    if entry.agencies:
        service["service_areas"] = [
            {
                "id": _id(entry, f"service_area:{name.lower()}"),
                "service_id": service_id,
                "name": name,
                "description": _("Takes deflection referrals from %(agency)s.") % {"agency": name},
            }
            for name in entry.agencies
        ]
    if entry.address:
        service["service_at_locations"] = [
            {"id": _id(entry, "service_at_location"), "service_id": service_id, "location_id": _id(entry, "location")}
        ]
    service["attributes"] = [_kind_attribute(entry, service_id, kind_label)]
    return service


def _schedules(entry: DirectoryEntry, service_id: str) -> list[dict]:
    if entry.is_24_7:
        return [
            {
                "id": _id(entry, "schedule:24/7"),
                "service_id": service_id,
                "freq": "WEEKLY",
                "byday": ",".join(terms.DAYS),
                "opens_at": terms.ALL_DAY_OPENS,
                "closes_at": terms.ALL_DAY_CLOSES,
                "description": _("Open 24 hours a day, 7 days a week."),
            }
        ]
    described = {"description": entry.hours} if entry.hours else {}
    stretches = week_stretches(entry.openings)
    if not stretches:
        # Only words ("by appointment"): a schedule that describes, without times.
        return [{"id": _id(entry, "schedule:hours"), "service_id": service_id, **described}] if described else []
    return [_stretch(entry, service_id, stretch, described) for stretch in stretches]


def _stretch(entry: DirectoryEntry, service_id: str, stretch: Stretch, described: dict) -> dict:
    opens, closes = clock(stretch.opens_at), clock(stretch.closes_at)
    return {
        "id": _id(entry, f"schedule:{opens}-{closes}"),
        "service_id": service_id,
        "freq": "WEEKLY",
        "byday": ",".join(terms.DAYS[day] for day in stretch.days),
        # The partner's local time: the time zone of the program it serves.
        "opens_at": opens,
        "closes_at": closes,
        **described,
    }


def _kind_attribute(entry: DirectoryEntry, service_id: str, kind_label: str) -> dict:
    return {
        "id": _id(entry, "attribute:kind"),
        "link_id": service_id,
        "link_type": "partner_kind",
        "link_entity": "service",
        "taxonomy_term": {
            "id": terms.kind_term_id(entry.kind or ""),
            "code": entry.kind,
            "name": kind_label,
            "description": kind_label,
            "taxonomy": terms.KIND_TAXONOMY_NAME,
            "taxonomy_id": str(terms.KIND_TAXONOMY_ID),
            "taxonomy_detail": {
                "id": str(terms.KIND_TAXONOMY_ID),
                "name": terms.KIND_TAXONOMY_NAME,
                "description": terms.KIND_TAXONOMY_DESCRIPTION,
            },
        },
    }
