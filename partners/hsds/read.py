"""Reading an HSDS 3.0 file: each organization becomes a partner's directory entry, or the
reasons it cannot, said so that whoever made the file can find and fix them.

A file from elsewhere is untrusted: any value may be missing or of any type, and each one
is checked before it is used. What the directory keeps that a file may not say (the kind,
the hours' words) is left as the partner has it.
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from dataclasses import dataclass, field
from datetime import time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from deflection.models import Agency
from partners.directory import DirectoryEntry, Opening
from partners.hsds import terms
from partners.models import ServicePartner

TIME = re.compile(r"(?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?P<offset>Z|[+-]\d{2}:?\d{2})?")
STATUS_ACTIVE = {"active": True, "inactive": False, "defunct": False, "temporarily closed": False}


@dataclass
class Row:
    """One organization of the file: its entry when it reads well, else its errors."""

    number: int
    name: str
    entry: DirectoryEntry | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_rows(data: object, *, agencies: dict[str, Agency]) -> tuple[list[Row], list[str]]:
    """The file's rows, numbered from 1, and what is wrong with the file as a whole.
    `agencies`: the agencies a partner may serve, by their name in lower case."""
    if isinstance(data, dict) and "contents" in data:
        data = data["contents"]
    if not isinstance(data, list):
        return [], [_("This is not an HSDS directory: expected a page of organizations (with “contents”) or a list.")]
    return [_Reader(number, item, agencies).row() for number, item in enumerate(data, start=1)], []


class _Reader:
    def __init__(self, number: int, org: object, agencies: dict[str, Agency]) -> None:
        self.org = org if isinstance(org, dict) else {}
        self.agencies = agencies
        self.result = Row(number=number, name="")
        self.result.name = self.text(self.org, "name").strip()
        if not isinstance(org, dict):
            self.error(_("it is not an organization (an object with a name)."))

    def error(self, message: str) -> None:
        self.result.errors.append(message)

    # -- untrusted values -------------------------------------------------------------------

    def text(self, obj: dict, key: str, where: str = "") -> str:
        value = obj.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(_("%(where)s%(key)s is not text.") % {"where": where, "key": key})
            return ""
        return str(value)

    def objects(self, obj: dict, key: str, where: str = "") -> list[dict]:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.error(_("%(where)s%(key)s is not a list of objects.") % {"where": where, "key": key})
            return []
        return value

    # -- the row ----------------------------------------------------------------------------

    def row(self) -> Row:
        if self.result.errors:
            return self.result
        org = self.org
        if not self.result.name:
            self.error(_("it has no name."))
        hsds_id = self.hsds_id()
        services = self.objects(org, "services")
        service = services[0] if services else {}
        if len(services) > 1:
            self.result.warnings.append(
                _("only its first service (%(name)s) is read: a partner is one service in the directory.")
                % {"name": self.text(service, "name") or "1"}
            )
        agencies = self.served(service)
        zone = self.zone(agencies)
        locations = self.locations(service)
        is_24_7, openings, hours = self.schedules(service, zone)
        entry = DirectoryEntry(
            hsds_id=hsds_id,
            name=self.result.name,
            kind=self.kind(service),
            # Kept as written (no trimming): an export read back must equal the partner.
            services=self.text(service, "description") if services else self.text(org, "description"),
            is_active=self.active(service) if services else True,
            is_24_7=is_24_7,
            hours=hours,
            openings=openings,
            address=self.address(locations),
            phone=self.phone(service, locations),
            languages=self.languages(service, locations),
            agencies=tuple(sorted(agency.name for agency in agencies)),
        )
        if not self.result.errors:
            self.result.entry = entry
        return self.result

    def hsds_id(self) -> uuid.UUID | None:
        value = self.text(self.org, "id")
        if not value:
            return None
        try:
            return uuid.UUID(value)
        except ValueError:
            self.error(_("its id %(id)s is not a UUID.") % {"id": repr(value[:60])})
            return None

    def kind(self, service: dict) -> str | None:
        for attribute in self.objects(service, "attributes", _("the service's ")):
            term = attribute.get("taxonomy_term")
            if not isinstance(term, dict) or not self.is_kind_term(term):
                continue
            code = self.text(term, "code")
            if code in ServicePartner.Kind.values:
                return code
            self.error(
                _("its kind %(code)s is not one of: %(kinds)s.")
                % {"code": repr(code[:60]), "kinds": ", ".join(ServicePartner.Kind.values)}
            )
        return None

    @staticmethod
    def is_kind_term(term: dict) -> bool:
        detail = term.get("taxonomy_detail")
        names = [term.get("taxonomy"), detail.get("name") if isinstance(detail, dict) else None]
        return terms.KIND_TAXONOMY_NAME in names or term.get("taxonomy_id") == str(terms.KIND_TAXONOMY_ID)

    def active(self, service: dict) -> bool:
        status = self.text(service, "status").strip().lower() or "active"
        if status not in STATUS_ACTIVE:
            self.error(_("its service's status %(status)s is not an HSDS status.") % {"status": repr(status[:60])})
        return STATUS_ACTIVE.get(status, True)

    def served(self, service: dict) -> list[Agency]:
        served: dict[int, Agency] = {}
        for area in self.objects(service, "service_areas", _("the service's ")):
            name = self.text(area, "name").strip()
            agency = self.agencies.get(name.lower())
            if agency is None:
                self.error(_("it serves an agency this program does not know: %(name)s.") % {"name": repr(name[:200])})
            else:
                served[agency.pk] = agency
        return [served[pk] for pk in sorted(served)]

    @staticmethod
    def zone(agencies: list[Agency]) -> zoneinfo.ZoneInfo:
        """The partner's time zone, as partners.selectors.partner_zone: its first agency's."""
        return zoneinfo.ZoneInfo(agencies[0].timezone if agencies else settings.TIME_ZONE)

    def locations(self, service: dict) -> list[dict]:
        nested = [
            place["location"]
            for place in self.objects(service, "service_at_locations", _("the service's "))
            if isinstance(place.get("location"), dict)
        ]
        return [*self.objects(self.org, "locations"), *nested]

    def address(self, locations: list[dict]) -> str:
        for location in locations:
            if self.text(location, "location_type") == "virtual":
                continue
            addresses = self.objects(location, "addresses", _("a location's "))
            physical = [a for a in addresses if self.text(a, "address_type") != "postal"]
            for address in physical or addresses:
                keys = ("address_1", "address_2", "city", "state_province", "postal_code")
                line = terms.address_line({key: self.text(address, key) for key in keys})
                if line.strip():
                    return line
        return ""

    def phone(self, service: dict, locations: list[dict]) -> str:
        places = [self.org, service, *locations]
        for place in places:
            for phone in self.objects(place, "phones"):
                number = self.text(phone, "number")
                if number.strip():
                    return number
        return ""

    def languages(self, service: dict, locations: list[dict]) -> tuple[str, ...]:
        codes: list[str] = []
        places = [service, *locations]
        for language in (item for place in places for item in self.objects(place, "languages")):
            code = self.text(language, "code").strip().lower()
            name = self.text(language, "name").strip()
            if not code and name:
                code = terms.language_code(name) or ""
            if re.fullmatch(r"[a-z]{2,3}", code):
                codes.append(code)
            else:
                self.error(
                    _("the language %(language)s has no ISO 639 code (two or three letters).")
                    % {"language": repr((code or name)[:60])}
                )
        return tuple(dict.fromkeys(codes))

    # -- schedules --------------------------------------------------------------------------

    def schedules(self, service: dict, zone: zoneinfo.ZoneInfo) -> tuple[bool, tuple[Opening, ...], str | None]:
        """Open 24/7 (every day 00:00 to 23:59), the opening hours, and the hours' words
        (None for a partner open 24/7: its words stay as they are)."""
        openings: set[Opening] = set()
        words: list[str] = []
        for number, schedule in enumerate(self.objects(service, "schedules", _("the service's ")), start=1):
            where = _("schedule %(number)s: ") % {"number": number}
            openings |= self.schedule(schedule, where, zone)
            description = self.text(schedule, "description", where)
            if description.strip():
                words.append(description)
        all_day = {o.weekday for o in openings if o.opens_at == time(0, 0) and o.closes_at >= time(23, 59)}
        if all_day == set(range(7)):
            return True, (), None
        return False, tuple(sorted(openings)), "; ".join(dict.fromkeys(words))

    def schedule(self, schedule: dict, where: str, zone: zoneinfo.ZoneInfo) -> set[Opening]:
        freq = self.text(schedule, "freq", where).strip().upper()
        byday = self.text(schedule, "byday", where).strip()
        opens = self.text(schedule, "opens_at", where).strip()
        closes = self.text(schedule, "closes_at", where).strip()
        if not (byday or opens or closes):
            return set()
        if freq not in ("", "WEEKLY"):
            self.error(
                where + _("only weekly opening hours are understood, not freq %(freq)s.") % {"freq": repr(freq[:20])}
            )
            return set()
        days = [day.strip().upper() for day in byday.split(",") if day.strip()]
        unknown = [day for day in days if day not in terms.DAYS]
        if unknown or not days:
            self.error(
                where
                + _("byday lists the days it is open as MO,TU,WE,TH,FR,SA,SU, not %(days)s.")
                % {"days": repr(byday[:60])}
            )
            return set()
        opens_at = self.clock(opens, "opens_at", where, zone)
        closes_at = self.clock(closes, "closes_at", where, zone, closing=True)
        if opens_at is None or closes_at is None:
            return set()
        if closes_at <= opens_at:
            self.error(
                where
                + _("it closes (%(closes)s) before it opens (%(opens)s); opening through midnight is two stretches.")
                % {"opens": opens, "closes": closes}
            )
            return set()
        return {Opening(terms.DAYS.index(day), opens_at, closes_at) for day in days}

    def clock(self, value: str, key: str, where: str, zone: zoneinfo.ZoneInfo, *, closing: bool = False) -> time | None:
        match = TIME.fullmatch(value)
        if closing and value in ("24:00", "24:00:00"):
            return time(23, 59)
        try:
            if match is None:
                raise ValueError
            read = time(int(match["h"]), int(match["m"]), int(match["s"] or 0))
        except ValueError:
            self.error(where + _("%(key)s %(value)s is not a time (HH:MM).") % {"key": key, "value": repr(value[:30])})
            return None
        if match["offset"] and _offset(match["offset"]) != timezone.now().astimezone(zone).utcoffset():
            self.error(
                where
                + _("%(key)s %(value)s is in another time zone than the partner's (%(zone)s): give its local time.")
                % {"key": key, "value": value, "zone": zone.key}
            )
            return None
        return read


def _offset(text: str) -> timedelta:
    if text == "Z":
        return timedelta(0)
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return -offset if text[0] == "-" else offset
