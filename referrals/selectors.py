"""Reads for officers, clients and referrals, always scoped by the requesting user.

An officer sees identities only on referrals they made (a supervisor: their unit's);
a case manager only on referrals routed to their partner; command staff see none.
"""

from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, partial

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Replace, Upper
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from deflection.models import User
from deflection.permissions import PROGRAM_PATHS, administers_programs, may_search_clients, program_q
from partners.models import ServicePartner
from referrals.models import (
    Client,
    Consent,
    FollowUp,
    HeldCharge,
    Officer,
    OfficerContact,
    PossibleDuplicate,
    Referral,
)
from referrals.submission import submission_read


def _referral_scope(user: User) -> Q | None:
    """Which referrals a user may see with identities; None means none at all."""
    if administers_programs(user):
        return program_q(user, *PROGRAM_PATHS["referrals.Referral"])
    if user.role == User.Role.OFFICER:
        return Q(officer__user=user)
    if user.role == User.Role.SUPERVISOR:
        if user.unit_id:
            return Q(officer__user=user) | Q(agency_id=user.agency_id, officer__unit_id=user.unit_id)
        return Q(officer__user=user)
    if user.role == User.Role.CASE_MANAGER and user.partner_id:
        return Q(partner_id=user.partner_id)
    if user.role == User.Role.INTEGRATION:
        # A partner's record system: the partner's referrals, as its case managers. An
        # agency's: the agency's referrals (police, seen as police see them: the API shows
        # no identity to it, only status and outcome within consent).
        if user.partner_id:
            return Q(partner_id=user.partner_id)
        if user.agency_id:
            return Q(agency_id=user.agency_id)
    return None


def referral_list_for_user(*, user: User) -> QuerySet[Referral]:
    """Every referral the user may see with identities, newest first."""
    scope = _referral_scope(user)
    if scope is None:
        return Referral.objects.none()
    return (
        Referral.objects.filter(scope)
        .select_related("client", "partner", "officer", "agency")
        .order_by("-occurred_at", "-id")
    )


@dataclass(frozen=True)
class ListedReferral:
    """A referral as an officer's list shows it (My deflections, its search by incident
    number): plain values, cheaper to read than a referral, its client and its partner as
    model instances, on a page officers open many times a shift. police_disclosure.officer_view
    reads its status, closed_at and officer_seen_at as it reads a referral's."""

    pk: int
    client_id: int
    agency_id: int
    occurred_at: datetime
    pathway: str
    incident_number: str
    status: str
    closed_at: datetime | None
    accepted_at: datetime | None
    officer_seen_at: datetime | None
    cancelled_by_officer: bool
    first_name: str
    last_name: str
    partner_name: str
    # Whether any consent to the referring agency is on file (then its history is read).
    has_agency_consent: bool

    @classmethod
    def of(cls, referral: Referral, *, has_agency_consent: bool) -> ListedReferral:
        """A referral read as a model (its client and partner joined) as a list shows it."""
        return cls(
            **{name: getattr(referral, name) for name in _REFERRAL_COLUMNS},
            first_name=referral.client.first_name,
            last_name=referral.client.last_name,
            partner_name=referral.partner.name,
            has_agency_consent=has_agency_consent,
        )


_REFERRAL_COLUMNS = (
    *("pk", "client_id", "agency_id", "occurred_at", "pathway", "incident_number"),
    *("status", "closed_at", "accepted_at", "officer_seen_at", "cancelled_by_officer"),
)


def officer_id_of(user: User) -> Subquery:
    """The user's officer row's id, to filter an officer's own rows by. Joined through the
    user instead, the planner read all of an officer's rows and sorted them rather than the
    first few of their (officer, newest first) index (337 contacts: 2.9 ms against 0.2 ms).
    A subquery, run once before the scan, not a query of its own."""
    return Subquery(Officer.objects.filter(user=user).order_by().values("pk")[:1])


class ReferralRowsMadeBy:
    """My deflections: the referrals this officer logged, newest first, as ListedReferral
    rows. Sliced as a queryset is (paging.page_of reads a page and one row more).

    Plain SQL: My deflections is the page officers open most after the log form, and the
    ORM spent three times as long building this query (joins, a subquery, an EXISTS) as the
    database spent answering it (benchmarks/log_deflection.py: 3.1 ms against 0.9 ms)."""

    def __init__(self, user: User) -> None:
        self.user = user

    def __getitem__(self, window: slice) -> list[ListedReferral]:
        params = {"user": self.user.pk, "offset": window.start, "limit": window.stop - window.start}
        with connection.cursor() as cursor:
            cursor.execute(_ROWS_MADE_BY_SQL, params)
            rows = cursor.fetchall()
        return [_listed(row) for row in rows]

    def count(self) -> int:
        return Referral.objects.filter(officer_id=officer_id_of(self.user)).count()


def referral_rows_made_by(*, user: User) -> ReferralRowsMadeBy:
    return ReferralRowsMadeBy(user)


# The officer's row is found first, by a subquery (see
# officer_id_of): then the (officer, newest first) index reads only the page's rows.
_ROWS_MADE_BY_SQL = """
SELECT r.id, r.client_id, r.agency_id, r.occurred_at, r.pathway, r.incident_number, r.status,
       r.closed_at, r.accepted_at, r.officer_seen_at, r.cancelled_by_officer,
       c.first_name, c.last_name, p.name,
       EXISTS (SELECT 1 FROM referrals_consent k
               WHERE k.referral_id = r.id AND k.recipient_agency_id = r.agency_id)
FROM referrals_referral r
JOIN referrals_client c ON c.id = r.client_id
JOIN partners_servicepartner p ON p.id = r.partner_id
WHERE r.officer_id = (SELECT o.id FROM referrals_officer o WHERE o.user_id = %(user)s)
ORDER BY r.occurred_at DESC, r.id DESC
LIMIT %(limit)s OFFSET %(offset)s
"""


# The SQL selects ListedReferral's fields in its order.
_LISTED_FIELDS = [f.name for f in fields(ListedReferral)]
_LISTED_DATETIMES = ("occurred_at", "closed_at", "accepted_at", "officer_seen_at")


def _listed(row: tuple) -> ListedReferral:
    values = dict(zip(_LISTED_FIELDS, row, strict=True))
    for name in _LISTED_DATETIMES:
        values[name] = _aware(values[name])
    for name in ("has_agency_consent", "cancelled_by_officer"):
        values[name] = bool(values[name])  # SQLite: 0 or 1
    return ListedReferral(**values)


def _aware(value: datetime | None) -> datetime | None:
    """A datetime read by plain SQL as the ORM gives it: SQLite returns the UTC it stores
    without its zone (PostgreSQL with it)."""
    if value is not None and timezone.is_naive(value):
        return value.replace(tzinfo=UTC)
    return value


# At most this many referrals answer one incident number (one incident, a few people).
INCIDENT_RESULTS = 25


def referral_list_by_incident(*, user: User, incident_number: str) -> list[Referral]:
    """The referrals the user may see with the agency's incident number, newest first:
    an officer's own, a supervisor's unit's (the agency's records system filters the API)."""
    return list(with_incident_number(referral_list_for_user(user=user), incident_number)[:INCIDENT_RESULTS])


def with_incident_number(referrals: QuerySet[Referral], incident_number: str) -> QuerySet[Referral]:
    """Those of these referrals with the incident number, typed as a person types it on a
    phone: capitals or not, with or without its dashes, slashes and spaces ("pv26 11142038"
    finds PV26-11142038); digits alone (at least INCIDENT_DIGITS) find the numbers that end
    with them (11142038 finds it too)."""
    key = _incident_key(incident_number)
    if not key:
        return referrals.none()
    referrals = referrals.exclude(incident_number="").alias(incident_key=_incident_key_sql())
    if key.isdigit() and len(key) >= INCIDENT_DIGITS:
        return referrals.filter(incident_key__endswith=key)
    return referrals.filter(incident_key=key)


# Digits alone find the incident numbers ending with them from this many on (fewer would
# find most of an officer's referrals).
INCIDENT_DIGITS = 4
# What an incident number is compared by: its letters and digits, in capitals.
_INCIDENT_SEPARATORS = ("-", " ", "/", ".", "_")


def _incident_key(typed: str) -> str:
    key = typed.strip().upper()
    for separator in _INCIDENT_SEPARATORS:
        key = key.replace(separator, "")
    return key


def _incident_key_sql():
    key = Upper("incident_number")
    for separator in _INCIDENT_SEPARATORS:
        key = Replace(key, Value(separator), Value(""))
    return key


def contacts_made_by(*, user: User, limit: int = 10) -> list[dict]:
    """The officer's latest contacts: clients they saw again while a referral was open
    (another officer's, too: the client and the partner are what this officer entered).
    As plain values, like ListedReferral: what My deflections shows of each, and the
    referral and client its access record names. Plain SQL, as ReferralRowsMadeBy and for
    the same reason (1.1 ms of the ORM's building against 0.7 ms of the query)."""
    with connection.cursor() as cursor:
        cursor.execute(_CONTACTS_MADE_BY_SQL, {"user": user.pk, "limit": limit})
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row["occurred_at"] = _aware(row["occurred_at"])
    return rows


_CONTACTS_MADE_BY_SQL = """
SELECT oc.occurred_at, oc.pathway, oc.referral_id, r.client_id,
       c.first_name, c.last_name, p.name AS partner_name
FROM referrals_officercontact oc
JOIN referrals_referral r ON r.id = oc.referral_id
JOIN referrals_client c ON c.id = r.client_id
JOIN partners_servicepartner p ON p.id = r.partner_id
WHERE oc.officer_id = (SELECT o.id FROM referrals_officer o WHERE o.user_id = %(user)s)
ORDER BY oc.occurred_at DESC, oc.id DESC
LIMIT %(limit)s
"""


# How far back the log form looks for the partners an officer refers to most.
RECENT_PARTNER_DAYS = 90


def partner_ids_used_recently(*, user: User, limit: int = 3) -> list[int]:
    """The partners this officer referred to in the last 90 days, most often first (then
    most recently): the likeliest picks on the log form. One small query: the officer's
    own referrals of three months, read through the (officer, occurred_at) index.

    Plain SQL: this runs on every opening of the officer's home, and the ORM took three
    times as long building the grouped and ordered query (about 1.5 ms) as the database took
    answering it."""
    since = timezone.now() - timedelta(days=RECENT_PARTNER_DAYS)
    params = {
        "user": user.pk,
        "since": connection.ops.adapt_datetimefield_value(since),  # as stored (SQLite: without its zone)
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(_RECENT_PARTNERS_SQL, params)
        return [partner_id for (partner_id,) in cursor.fetchall()]


# Referrals the officer cancelled were entered in error or withdrawn: not a pick to repeat.
# (A partner's cancelling is its record: it changes nothing the officer is offered.)
_RECENT_PARTNERS_SQL = """
SELECT r.partner_id FROM referrals_referral r
JOIN referrals_officer o ON o.id = r.officer_id
WHERE o.user_id = %(user)s AND r.occurred_at >= %(since)s AND NOT r.cancelled_by_officer
GROUP BY r.partner_id
ORDER BY count(*) DESC, max(r.occurred_at) DESC, r.partner_id
LIMIT %(limit)s
"""


def referral_for_submission(*, user: User, token: str) -> Referral | None:
    """The referral this officer already saved from the form carrying `token` (or added
    a contact to, the client's referral then being open at that partner), if any."""
    submission = submission_read(token)
    if submission is None:
        return None
    token_uuid = submission.token
    made = Referral.objects.filter(submission_token=token_uuid, created_by=user).first()
    if made is not None:
        return made
    contact = OfficerContact.objects.filter(submission_token=token_uuid, created_by=user).select_related("referral")
    return next((c.referral for c in contact[:1]), None)


def referral_visible_to(*, user: User, referral: Referral) -> bool:
    """Whether the user may open the referral (its page would 404 otherwise)."""
    return referral_list_for_user(user=user).filter(pk=referral.pk).exists()


def possible_duplicates_to_answer(*, user: User) -> QuerySet[PossibleDuplicate]:
    """The officer's own deflections, logged with no signal, whose new client may be someone
    already known, still to answer: oldest first, each with the clients found (none whose
    identity was removed). One left with nobody to compare is no question any more."""
    if not user.is_field_officer:
        return PossibleDuplicate.objects.none()
    candidates = Client.objects.filter(identity_removed_at=None).order_by("last_name", "first_name", "pk")
    return (
        PossibleDuplicate.objects.filter(
            logged_by=user, decision="", client__isnull=False, client__identity_removed_at=None
        )
        .filter(Exists(PossibleDuplicate.candidates.through.objects.filter(possibleduplicate=OuterRef("pk"))))
        .select_related("client", "referral__partner")
        .prefetch_related(Prefetch("candidates", queryset=candidates))
    )


def possible_duplicates_to_answer_count(*, user: User) -> int:
    """How many possible_duplicates_to_answer the officer has, for the log form's notice. Most
    officers have none: a plain look at their own open questions first, so that the common
    case costs one small query and not the whole definition's."""
    if not user.is_field_officer or not PossibleDuplicate.objects.filter(logged_by=user, decision="").exists():
        return 0
    return possible_duplicates_to_answer(user=user).count()


def possible_duplicate_get_for_user(*, user: User, flag_id: int) -> PossibleDuplicate:
    """One of the officer's own questions still to answer; 404 for anyone else's."""
    flag = possible_duplicates_to_answer(user=user).filter(pk=flag_id).first()
    if flag is None:
        raise Http404
    return flag


def referral_queue_for_partner(*, user: User) -> QuerySet[Referral]:
    """The partner queue: referrals routed to the case manager's partner, newest first."""
    if user.role != User.Role.CASE_MANAGER or not user.partner_id:
        return Referral.objects.none()
    return (
        Referral.objects.filter(partner_id=user.partner_id)
        .select_related("client", "officer", "agency")
        .order_by("-created_at", "-id")
    )


def referral_get_for_user(*, user: User, referral_id: int) -> Referral:
    """One referral the user may see, or 404 (never 403: that would confirm it exists)."""
    referral = referral_list_for_user(user=user).select_related("officer__unit").filter(pk=referral_id).first()
    if referral is None:
        raise Http404
    return referral


def client_for_logging(*, user: User, client_id: int) -> Client | None:
    """A known client of the user's agency to log a deflection for (as the log form offers:
    not one whose identity was removed), or None."""
    if not may_search_clients(user) or client_id > 2**63 - 1:
        return None
    return Client.objects.filter(pk=client_id, agency_id=user.agency_id, identity_removed_at=None).first()


def client_get_for_user(*, user: User, client_id: int) -> Client:
    """A client the user may see: one on a referral visible to them."""
    scope = _referral_scope(user)
    if scope is None:
        raise Http404
    visible = Referral.objects.filter(scope, client_id=client_id)
    client = Client.objects.filter(pk=client_id).first() if visible.exists() else None
    if client is None:
        raise Http404
    return client


# ---------------------------------------------------------------------------
# The partner queue, with filters and counts, sorted by urgency.
# ---------------------------------------------------------------------------

# "Open", "New", "Accepted" and "Closed" of referrals (the queue's tabs), as opposed to a
# suggestion's, a pulse wave's or one referral's status: Spanish words them differently
# (abiertos, nuevos, aceptados, cerrados).
QUEUE_FILTERS: dict[str, tuple[str, Q | None]] = {
    "open": (pgettext_lazy("referrals", "Open"), Q(status__in=Referral.OPEN_STATUSES)),
    "new": (pgettext_lazy("referrals", "New"), Q(status=Referral.Status.REQUESTED)),
    "accepted": (pgettext_lazy("referrals", "Accepted"), Q(status=Referral.Status.ACCEPTED)),
    "in_progress": (gettext_lazy("In treatment"), Q(status=Referral.Status.IN_PROGRESS)),
    "on_hold": (gettext_lazy("On hold"), Q(status=Referral.Status.ON_HOLD)),
    "overdue": (gettext_lazy("Overdue follow-ups"), None),  # needs "now": see _filter_q
    "closed": (pgettext_lazy("referrals", "Closed"), ~Q(status__in=Referral.OPEN_STATUSES)),
}


def _filter_q(name: str, now: datetime) -> Q:
    if name == "overdue":
        # The follow-ups the reminder emails (which link to this filter) chase: those of open
        # referrals and the retention checks that outlive a completed one (FOLLOW_UPS_STILL_FOLLOWED,
        # its condition on the referral read from this row: a look at each referral's open
        # follow-ups, not a join of every overdue follow-up of the installation to its referral).
        overdue = FollowUp.objects.filter(referral=OuterRef("pk"), completed_at__isnull=True, due_at__lt=now)
        retention = overdue.filter(kind__startswith="retention")
        return Q(Q(status__in=Referral.OPEN_STATUSES), Exists(overdue)) | Q(
            Q(status=Referral.Status.COMPLETED), Exists(retention)
        )
    return QUEUE_FILTERS[name][1]  # type: ignore[return-value]


def queue_counts(*, user: User, now: datetime | None = None) -> dict[str, int]:
    """How many referrals each filter of the queue holds, in one query."""
    now = now or timezone.now()
    base = referral_queue_for_partner(user=user).order_by()
    return base.aggregate(**{name: Count("pk", filter=_filter_q(name, now)) for name in QUEUE_FILTERS})


def _by_urgency(referrals: QuerySet[Referral], *, filter_name: str, now: datetime) -> QuerySet[Referral]:
    """The referrals with `next_due` (their earliest open follow-up), `overdue` and `urgency`,
    in the queue's order: the oldest new referrals, then those with overdue follow-ups (longest
    overdue first), then the rest by their next due follow-up; the closed ones by closing."""
    # One join onto the open follow-ups, grouped, rather than subqueries run for each referral:
    # the sort reads every referral under the filter, thousands at a busy partner.
    referrals = referrals.alias(
        open_follow_ups=FilteredRelation("follow_ups", condition=Q(follow_ups__completed_at__isnull=True))
    ).annotate(next_due=Min("open_follow_ups__due_at"))
    # An open follow-up is due before now exactly when the earliest one is.
    overdue = Q(next_due__lt=now)
    referrals = referrals.annotate(
        overdue=Case(When(overdue, then=Value(True)), default=Value(False), output_field=BooleanField()),
        urgency=Case(
            When(status=Referral.Status.REQUESTED, then=Value(0)),
            When(overdue, then=Value(1)),
            When(status__in=Referral.OPEN_STATUSES, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        ),
    )
    if filter_name == "closed":
        return referrals.order_by("-closed_at", "-id")
    return referrals.order_by("urgency", F("next_due").asc(nulls_last=True), "created_at", "id")


def queue_for_partner(*, user: User, filter_name: str = "open", now: datetime | None = None) -> QuerySet[Referral]:
    """The queue under one filter, most urgent first (see _by_urgency), each referral with
    `next_due`, `overdue` and `urgency`: the order, read on the referrals alone."""
    now = now or timezone.now()
    if filter_name not in QUEUE_FILTERS:
        filter_name = "open"
    referrals = referral_queue_for_partner(user=user).filter(_filter_q(filter_name, now))
    return _by_urgency(referrals, filter_name=filter_name, now=now)


def queue_page(*, user: User, filter_name: str, number: str | None, count: int, now: datetime | None = None) -> Page:
    """One page of the partner's queue under a filter (`count` referrals, as queue_counts
    counted them), each referral as the list shows it: its client, officer and agency,
    `next_due` and `overdue`, when an officer last saw the client again (`seen_again_at`,
    `seen_again_by`), the deadline of a charge held on the referral (`charge_held_until`) and,
    for a new one, whether it has waited longer than NEW_WAITING_LONG (`waiting_long`)."""
    now = now or timezone.now()
    order = queue_for_partner(user=user, filter_name=filter_name, now=now).values("pk")
    rows = partial(_queue_rows, user=user, filter_name=filter_name, now=now)
    return _QueuePaginator(order, settings.DEFLECTION["PAGE_SIZE"], count=count, rows=rows).get_page(number)


class _QueuePaginator(Paginator):
    """The queue's pages: the order is decided on the referrals alone and only the page's
    ids are read from it; the page's rows are read whole in the same statement. The count
    is the filter's, from queue_counts (counting the ordered statement would group it all)."""

    def __init__(self, order: QuerySet, per_page: int, *, count: int, rows: Callable[..., QuerySet]) -> None:
        super().__init__(order, per_page)
        self._count = count
        self._rows = rows

    @cached_property
    def count(self) -> int:
        return self._count

    def _get_page(self, ids, number, paginator) -> Page:
        return Page(list(self._rows(ids=ids)), number, paginator)


# A new referral still unanswered after this long stands out in the queue: the person was
# referred at a moment of willingness, which does not wait (the seed talk's "follow up").
NEW_WAITING_LONG = timedelta(hours=24)


def _queue_rows(*, user: User, ids: QuerySet, filter_name: str, now: datetime) -> QuerySet[Referral]:
    # The client seen again by an officer while the referral is open: one item, not two.
    last_contact = OfficerContact.objects.filter(referral=OuterRef("pk")).order_by("-occurred_at", "-id")
    held = Q(held_charge__state=HeldCharge.State.HELD)
    rows = referral_queue_for_partner(user=user).filter(pk__in=ids)
    return _by_urgency(rows, filter_name=filter_name, now=now).annotate(
        seen_again_at=Subquery(last_contact.values("occurred_at")[:1]),
        seen_again_by=Subquery(last_contact.values("officer__display_name")[:1]),
        # Only while it is held does the charge hang on the client's engagement here.
        charge_held_until=Case(When(held, then=F("held_charge__deadline")), output_field=DateField()),
        waiting_long=Case(
            When(status=Referral.Status.REQUESTED, created_at__lt=now - NEW_WAITING_LONG, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def follow_up_get_for_user(*, user: User, follow_up_id: int) -> FollowUp:
    """A follow-up on a referral the user may see, or 404."""
    return _on_visible_referral(FollowUp.objects.all(), user=user, pk=follow_up_id)


def follow_ups_for_casework(*, referral: Referral, now: datetime) -> QuerySet[FollowUp]:
    """A referral's follow-ups for its casework page, open ones first (then by due date),
    each with `overdue`: not completed and due before `now`."""
    # nulls_first: NULLs sort differently in SQLite and PostgreSQL.
    return (
        referral.follow_ups.select_related("assigned_to")
        .annotate(
            overdue=Case(
                When(completed_at__isnull=True, due_at__lt=now, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by(F("completed_at").asc(nulls_first=True), "due_at")
    )


def consent_get_for_user(*, user: User, consent_id: int) -> Consent:
    """A consent on a referral the user may see, or 404."""
    return _on_visible_referral(Consent.objects.all(), user=user, pk=consent_id)


def _on_visible_referral(rows: QuerySet, *, user: User, pk: int):
    """The row `pk` (with its referral) if it belongs to a referral the user may see; 404 otherwise."""
    found = rows.filter(pk=pk, referral__in=referral_list_for_user(user=user).values("pk")).select_related("referral")
    row = found.first()
    if row is None:
        raise Http404
    return row


def consent_signing_window(*, referral: Referral, now: datetime | None = None) -> tuple[date, date]:
    """The first and last date a consent on this referral may say it was signed: from the day
    of the encounter to today, both in the agency's time zone (a case manager's browser or the
    server may be elsewhere, and at 06:40 UTC it is still yesterday in Phoenix)."""
    zone = zoneinfo.ZoneInfo(referral.agency.timezone)
    return timezone.localdate(referral.occurred_at, zone), timezone.localdate(now or timezone.now(), zone)


# What logging a deflection for a known client needs, in one statement (see past_referrals):
# the client's latest deflection (IS_DEFLECTION) (0), latest open one in the agency (1)
# and latest open one at the partner chosen (2), the last two with whether a consent to share
# with the agency was ever recorded, and the referral already made from this form, if any (3).
_CONSENTED_SQL = """CASE WHEN EXISTS (
    SELECT 1 FROM referrals_consent c WHERE c.referral_id = {table}.id AND c.recipient_agency_id = %(agency)s
) THEN 1 ELSE 0 END"""
_PAST_REFERRALS_SQL = """
SELECT r.*, p.name AS partner_name, earlier.which, earlier.consented FROM (
    SELECT id, 0 AS which, 0 AS consented FROM (
        SELECT id FROM referrals_referral WHERE client_id = %(client)s AND NOT cancelled_by_officer
        ORDER BY occurred_at DESC, id DESC LIMIT 1
    ) latest
    UNION ALL
    SELECT id, 1, {open_consented} FROM (
        SELECT id FROM referrals_referral
        WHERE client_id = %(client)s AND agency_id = %(agency)s AND status IN ({open_statuses})
        ORDER BY occurred_at DESC, id DESC LIMIT 1
    ) latest_open
    UNION ALL
    SELECT id, 2, {here_consented} FROM (
        SELECT id FROM referrals_referral
        WHERE client_id = %(client)s AND agency_id = %(agency)s AND partner_id = %(partner)s
          AND status IN ({open_statuses})
        ORDER BY occurred_at DESC, id DESC LIMIT 1
    ) open_here
    UNION ALL
    SELECT id, 3, 0 FROM referrals_referral WHERE submission_token = %(token)s
) earlier
JOIN referrals_referral r ON r.id = earlier.id
JOIN partners_servicepartner p ON p.id = r.partner_id
""".format(  # noqa: S608 (table names and placeholders only)
    open_statuses=", ".join(f"%(open_{i})s" for i in range(len(Referral.OPEN_STATUSES))),
    open_consented=_CONSENTED_SQL.format(table="latest_open"),
    here_consented=_CONSENTED_SQL.format(table="open_here"),
)


@dataclass
class PastReferrals:
    """What logging a deflection for a known client found out about the client's past."""

    previous_id: int | None = None  # the latest deflection: the new one links to it
    open_in_agency: Referral | None = None  # the latest open one in the agency (the officer's notice)
    open_at_partner: Referral | None = None  # the latest open one at the partner chosen: a contact on it
    made_by_this_form: Referral | None = None  # the referral this very form already made (a double tap)
    consented: set[int] = field(default_factory=set)  # of those, the ids with a consent to the agency


def past_referrals(
    *, client: Client, agency_id: int, partner_id: int | None = None, submission_token: uuid.UUID | None = None
) -> PastReferrals:
    """What logging a new referral for a known client needs to know about the client's past.

    The client's latest deflection (the new one links to it), the client's latest open
    referral in the agency with its partner's name (the officer is told about it), the latest
    open one at the partner chosen (the encounter becomes a contact on it) and the referral
    already made from this form. `consented` holds which of the open
    ones ever had a consent to share with the agency, so the usual case (none) needs no
    further query.

    This runs on every deflection logged for a known client, the officer's hot path: one
    plain query finds them all, the open referrals whole (the ORM spent more time building
    the equivalent queries than the database spent answering them).
    """
    params = {
        "client": client.pk,
        "agency": agency_id,
        "partner": partner_id,
        # As the database stores it (a uuid column, or text where there is none).
        "token": Referral._meta.get_field("submission_token").get_db_prep_value(submission_token, connection),
        **{f"open_{i}": status for i, status in enumerate(Referral.OPEN_STATUSES)},
    }
    found = PastReferrals()
    for row in Referral.objects.raw(_PAST_REFERRALS_SQL, params):
        if row.which == 0:
            found.previous_id = row.pk
            continue
        if row.consented:
            found.consented.add(row.pk)
        # The partner as far as the notice names it; any other field loads when read.
        partner = ServicePartner.from_db(connection.alias, ["id", "name"], [row.partner_id, row.partner_name])
        Referral.partner.field.set_cached_value(row, partner)
        if row.which == 1:
            found.open_in_agency = row
        elif row.which == 2:
            found.open_at_partner = row
        else:
            found.made_by_this_form = row
    return found


def other_open_referral(*, user: User, past: PastReferrals | None) -> Referral | None:
    """The client's latest other open referral in this officer's agency, which
    referral_create read for the re-engagement notice, or None: no query."""
    found = past.open_in_agency if past is not None else None
    return None if found is None or found.agency_id != user.agency_id else found
