"""The Task search a partner's system polls: Task?owner=...&status=...&_lastUpdated=gt...

Parameters are checked strictly (a misspelt `_lastUpdated` would otherwise answer every
Task): an unknown one answers 400. Results come newest referral first, `_count` a page
(50 by default, 100 at most), each page's `next` link carrying the search's own parameters
and the last referral id shown (`_cursor`): ids and codes, never client data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from api.fhir import codes
from api.fhir.errors import structure
from api.fhir.resources import partner_id
from api.fhir.selectors import TASK_FIELDS, updated_filter, with_partner, with_versions
from api.fhir.updates import moment_in
from deflection.models import User
from referrals import selectors
from referrals.models import Referral

PAGE = 50
MOST = 100
# Bundle.meta.lastUpdated, which a poller passes as its next `_lastUpdated=gt`, lies this far
# before the search: a change whose transaction committed while the search ran is found
# again next time rather than never (meta.versionId tells the poller it has it already).
POLL_OVERLAP = timedelta(minutes=1)
PREFIXES = ("gt", "ge", "lt", "le")
KNOWN = {"owner", "status", "_lastUpdated", "_id", "_count", "_cursor", "_format"}


@dataclass
class TaskSearch:
    owners: list[str] = field(default_factory=list)  # Organization ids asked for
    statuses: list[str] = field(default_factory=list)  # referral statuses
    updated: list[tuple[str, datetime]] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    count: int = PAGE
    cursor: int | None = None

    def query(self, referrals: QuerySet[Referral], *, own_partner_id: int) -> QuerySet[Referral]:
        """The client's referrals (already scoped) that match, newest first, from the cursor on."""
        if self.owners and partner_id(own_partner_id) not in self.owners:
            # Another partner's Tasks: none of them are this client's to see.
            return referrals.none()
        if self.statuses:
            referrals = referrals.filter(status__in=self.statuses)
        if self.ids:
            referrals = referrals.filter(pk__in=self.ids)
        for prefix, moment in self.updated:
            referrals = referrals.filter(updated_filter(prefix=prefix, moment=moment))
        if self.cursor is not None:
            referrals = referrals.filter(pk__lt=self.cursor)
        return referrals.order_by("-pk")

    def link(self, base: str, *, cursor: int | None = None) -> str:
        """This search's URL (the next page's with `cursor`), from the parsed parameters only."""
        params: list[tuple[str, str]] = []
        params += [("owner", f"Organization/{owner}") for owner in self.owners]
        if self.statuses:
            params.append(("status", ",".join(codes.TASK_STATUS[s] for s in self.statuses)))
        params += [("_lastUpdated", f"{prefix}{moment.isoformat()}") for prefix, moment in self.updated]
        if self.ids:
            params.append(("_id", ",".join(str(pk) for pk in self.ids)))
        params.append(("_count", str(self.count)))
        if cursor is not None:
            params.append(("_cursor", str(cursor)))
        return f"{base}?{urlencode(params)}"


def task_search(params) -> TaskSearch:
    """The search asked for in the query string (a QueryDict), or a 400 OperationOutcome."""
    unknown = sorted(set(params) - KNOWN)
    if unknown:
        raise structure(_("This server does not search Tasks by %(names)s.") % {"names": ", ".join(unknown)})
    search = TaskSearch()
    for value in params.getlist("owner"):
        search.owners.append(_owner(value))
    for value in params.getlist("status"):
        for one in value.split(","):
            if one not in codes.REFERRAL_STATUS:
                raise structure(_("%(status)s is not a status of a referral's Task.") % {"status": one[:40]})
            search.statuses.append(codes.REFERRAL_STATUS[one])
    for value in params.getlist("_lastUpdated"):
        search.updated.append(_updated(value))
    for value in params.getlist("_id"):
        for one in value.split(","):
            if not one.isdecimal() or len(one) > 18:
                raise structure(_("A Task's id is a number."), "_id")
            search.ids.append(int(one))
    search.count = _number(params.get("_count"), "_count", default=PAGE, most=MOST)
    if params.get("_cursor") is not None:
        search.cursor = _number(params.get("_cursor"), "_cursor", default=0, most=10**18)
    return search


def _owner(value: str) -> str:
    found = value.removeprefix("Organization/")
    if not found.startswith(("partner-", "agency-")) or not found.split("-", 1)[1].isdecimal():
        raise structure(_("owner is an Organization's id, such as Organization/partner-7."), "owner")
    return found


def _updated(value: str) -> tuple[str, datetime]:
    prefix, text = (value[:2], value[2:]) if value[:2] in PREFIXES else ("", value)
    if not prefix:
        raise structure(_("_lastUpdated takes gt, ge, lt or le before the moment: gt2026-05-03T17:23:18Z."))
    moment = moment_in(text) if "T" in text else None
    day = _day_in(text) if moment is None else None
    if day is not None:
        # A date alone: from its start, in UTC.
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    if moment is None:
        raise structure(
            _("_lastUpdated is a moment with its zone, such as gt2026-05-03T17:23:18-04:00 (send + as %2B).")
        )
    if timezone.is_naive(moment):
        raise structure(_("_lastUpdated needs its time zone: Z or an offset such as -04:00 (send + as %2B)."))
    return prefix, moment


def _day_in(text: str) -> date | None:
    try:
        return parse_date(text)
    except ValueError:
        return None


def _number(value: str | None, name: str, *, default: int, most: int) -> int:
    if value is None:
        return default
    if not value.isdecimal() or not 1 <= int(value[:19]) <= most:
        raise structure(_("%(name)s is a whole number from 1 to %(most)s.") % {"name": name, "most": most}, name)
    return int(value)


def tasks_found(*, user: User, wanted: TaskSearch) -> tuple[list[Referral], bool]:
    """A page of the Tasks the partner's system searched for, each with its version, its
    agency and its partner; and whether there are more."""
    scoped = selectors.referral_list_for_user(user=user).select_related(None).select_related("agency")
    scoped = with_versions(scoped.only(*TASK_FIELDS))
    found = list(wanted.query(scoped, own_partner_id=user.partner_id)[: wanted.count + 1])
    page = with_partner(found[: wanted.count], partner=user.partner)
    return page, len(found) > wanted.count


def poll_mark(now: datetime | None = None) -> datetime:
    """What the Bundle gives as its meta.lastUpdated: the next poll's `_lastUpdated=gt`."""
    return (now or timezone.now()) - POLL_OVERLAP
