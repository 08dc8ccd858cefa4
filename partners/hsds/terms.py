"""The words both directions of the exchange share: ids, days, the 24/7 convention, the
partner kinds' taxonomy, addresses and language names.

Open Referral HSDS 3.0 gives every object a UUID. A partner keeps one (`hsds_id`); the
objects that describe it (its service, location, schedules...) take ids derived from it,
so the same partner exports the same ids every time without storing more of them.
"""

from __future__ import annotations

import re
import uuid

from django.conf.locale import LANG_INFO

HSDS_VERSION = "3.0"

# RFC 5545 day codes, Monday first as PartnerOpening.Weekday.
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# HSDS has no field for "open 24/7"; its field guidance ("24h opening") names this convention:
# every day, opening at 00:00 and closing at 23:59.
ALL_DAY_OPENS = "00:00"
ALL_DAY_CLOSES = "23:59"

# The partner kinds, as an embedded taxonomy (HSDS attributes and taxonomy terms): its own
# name and a fixed id, so an import knows them among other taxonomies.
KIND_TAXONOMY_ID = uuid.uuid5(uuid.NAMESPACE_URL, "deflection:taxonomy:partner-kind")
KIND_TAXONOMY_NAME = "Deflection partner kinds"
KIND_TAXONOMY_DESCRIPTION = (
    "The kinds of service partner a first-responder deflection program refers people to "
    "(the code is the program's own)."
)

# Addresses are kept on one line ("street, city, ST 12345"): split into HSDS's parts when
# they have that shape, kept whole in address_1 when they do not.
US_ADDRESS = re.compile(r"(?P<street>.+), (?P<city>[^,]+), (?P<state>[A-Z]{2}) (?P<postal>\d{5}(?:-\d{4})?)")
COUNTRY = "US"


def part_id(partner_id: uuid.UUID, part: str) -> str:
    """The id of one object describing a partner ("service", "location", "schedule:..."): the
    same for the same partner and part, export after export."""
    return str(uuid.uuid5(partner_id, part))


def kind_term_id(kind: str) -> str:
    return str(uuid.uuid5(KIND_TAXONOMY_ID, kind))


def address_parts(address: str) -> dict[str, str]:
    """HSDS's address fields of a one-line address; `address_line` puts them back as they were."""
    match = US_ADDRESS.fullmatch(address)
    if match is None:
        return {"address_1": address, "city": "", "state_province": "", "postal_code": ""}
    return {
        "address_1": match["street"],
        "city": match["city"],
        "state_province": match["state"],
        "postal_code": match["postal"],
    }


def address_line(parts: dict[str, str]) -> str:
    """One line from HSDS's address fields (the inverse of `address_parts`)."""
    street = ", ".join(p for p in (parts.get("address_1", ""), parts.get("address_2", "")) if p)
    region = " ".join(p for p in (parts.get("state_province", ""), parts.get("postal_code", "")) if p)
    return ", ".join(p for p in (street, parts.get("city", ""), region) if p)


def language_name(code: str) -> str:
    """The English name of an ISO 639 code, or the code itself when Django does not know it."""
    return LANG_INFO.get(code, {}).get("name", code)


def language_code(name: str) -> str | None:
    """The ISO 639-1 code of a language's English or own name, when Django knows it."""
    wanted = name.strip().lower()
    for code, info in LANG_INFO.items():
        if wanted in (info.get("name", "").lower(), info.get("name_local", "").lower()):
            return code
    return None
