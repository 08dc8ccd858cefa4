"""A partner as the directory knows it: the fields exchanged with other directories (Open
Referral HSDS, partners.hsds), read from the partner and written by
partners.services.partner_directory_save. The relationship (tier, capacity, lead, contacts)
is the program's own and is never exchanged."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import time

from django.utils.translation import gettext_lazy as _

from partners.models import PartnerOpening, ServicePartner, language_codes

Weekday = PartnerOpening.Weekday


@dataclass(frozen=True, order=True)
class Opening:
    """One stretch of one day, in the partner's local time."""

    weekday: int
    opens_at: time
    closes_at: time


@dataclass(frozen=True)
class DirectoryEntry:
    """Everything the directory says about one partner.

    Read from a file, `hsds_id`, `kind` and `hours` may be None: the file does not say, and
    the partner keeps what it has (see `filled_from`).
    """

    hsds_id: uuid.UUID | None
    name: str
    kind: str | None
    services: str
    is_active: bool
    is_24_7: bool
    hours: str | None
    openings: tuple[Opening, ...]
    address: str
    phone: str
    languages: tuple[str, ...]
    agencies: tuple[str, ...]  # the names of the agencies served, sorted

    def filled_from(self, current: DirectoryEntry | None) -> DirectoryEntry:
        """This entry, what it does not say taken from the partner's current entry (or, for a
        new partner, a fresh id, the kind "other" and no hours)."""
        if current is None:
            return replace(
                self,
                hsds_id=self.hsds_id or uuid.uuid4(),
                kind=self.kind or ServicePartner.Kind.OTHER,
                hours=self.hours or "",
            )
        return replace(
            self,
            hsds_id=self.hsds_id or current.hsds_id,
            kind=self.kind or current.kind,
            hours=current.hours if self.hours is None else self.hours,
        )


# What each field is called where a change is reported, in the order reported.
FIELD_LABELS = {
    "hsds_id": _("directory id"),
    "name": _("name"),
    "kind": _("kind"),
    "services": _("services offered"),
    "is_active": _("active"),
    "is_24_7": _("open 24/7"),
    "hours": _("hours"),
    "openings": _("opening hours"),
    "address": _("address"),
    "phone": _("phone"),
    "languages": _("languages spoken"),
    "agencies": _("agencies served"),
}


def directory_entry_of(partner: ServicePartner) -> DirectoryEntry:
    """The partner's entry. Reads `agencies` and `openings`: prefetch them for many partners."""
    openings = () if partner.is_24_7 else tuple(sorted(_openings(partner.openings.all())))
    return DirectoryEntry(
        hsds_id=partner.hsds_id,
        name=partner.name,
        kind=partner.kind,
        services=partner.services,
        is_active=partner.is_active,
        is_24_7=partner.is_24_7,
        hours=partner.hours,
        # A partner open 24/7 has no opening hours to tell: none are exchanged, none kept.
        openings=openings,
        address=partner.address,
        phone=partner.phone,
        languages=tuple(language_codes(partner.languages)),
        agencies=tuple(sorted(agency.name for agency in partner.agencies.all())),
    )


def _openings(rows: Iterable[PartnerOpening]) -> Iterable[Opening]:
    return (Opening(row.weekday, row.opens_at, row.closes_at) for row in rows)


@dataclass(frozen=True)
class Stretch:
    """The days that share the same opening times."""

    days: tuple[int, ...]
    opens_at: time
    closes_at: time


def week_stretches(openings: Iterable[Opening | PartnerOpening]) -> list[Stretch]:
    """Opening hours grouped by their times, the stretch with the earliest day first."""
    by_times: dict[tuple[time, time], set[int]] = {}
    for opening in openings:
        by_times.setdefault((opening.opens_at, opening.closes_at), set()).add(opening.weekday)
    stretches = [Stretch(tuple(sorted(days)), opens, closes) for (opens, closes), days in by_times.items()]
    return sorted(stretches, key=lambda s: (s.days[0], s.opens_at))


def clock(value: time) -> str:
    """A time as HH:MM (HH:MM:SS when it has seconds)."""
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def week_summary(openings: Iterable[Opening | PartnerOpening]) -> list[str]:
    """Opening hours as people read them: "Monday–Friday 08:00–17:00"."""
    return [f"{_day_ranges(s.days)} {clock(s.opens_at)}–{clock(s.closes_at)}" for s in week_stretches(openings)]


def _day_ranges(days: tuple[int, ...]) -> str:
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    names = [
        str(Weekday(run[0]).label) if len(run) == 1 else f"{Weekday(run[0]).label}–{Weekday(run[-1]).label}"
        for run in runs
    ]
    return ", ".join(names)
