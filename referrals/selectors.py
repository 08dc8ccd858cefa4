"""Reads for officers, clients and referrals, always scoped by the requesting user.

An officer sees identities only on referrals they made (a supervisor: their unit's);
a case manager only on referrals routed to their partner; command staff see none.
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from difflib import SequenceMatcher

from django.conf import settings
from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Cast, Greatest
from django.db.models.lookups import Exact
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deflection.models import User
from partners.models import ServicePartner
from referrals.models import (
    FOLLOW_UPS_STILL_FOLLOWED,
    CaseEvent,
    Client,
    Consent,
    FollowUp,
    Officer,
    OfficerContact,
    Referral,
    normalize_name,
    reason_label,
)

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%m-%d-%y", "%m.%d.%Y")
_DATE_TOKEN = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


def _split_date(query: str) -> tuple[str, date | None]:
    """What was typed, less its date (if any), and the date of birth it gave, if a whole one."""
    dob = None
    match = _DATE_TOKEN.search(query)
    if match:
        for fmt in _DATE_FORMATS:
            try:
                dob = datetime.strptime(match.group(0), fmt).date()  # noqa: DTZ007 (a calendar date)
                break
            except ValueError:
                continue
        query = query.replace(match.group(0), " ")
    return query, dob


def parse_search_query(query: str) -> tuple[str, date | None]:
    """Split what an officer typed into the name part and a date of birth, if any."""
    rest, dob = _split_date(query)
    return normalize_name(rest), dob


@dataclass(frozen=True)
class TypedPerson:
    first_name: str
    last_name: str
    date_of_birth: date | None


def person_from_search(query: str) -> TypedPerson:
    """A new client's name and date of birth as the officer typed them in the search, so
    they need not be typed twice: "First Last" or "Last, First", and a whole date. As
    written, not as compared (parse_search_query folds case and accents): this is what
    the client's record will say. The same reading as app.js's fillNewClientFromSearch."""
    rest, dob = _split_date(query[:MAX_SEARCH_LENGTH])
    # Anything else with a digit in it is a date still being typed: not a name.
    rest = " ".join(word for word in rest.split() if not any(c.isdigit() for c in word))
    first = last = ""
    if "," in rest:
        last, _comma, first = (part.strip() for part in rest.partition(","))
        first = " ".join(first.replace(",", " ").split())
    elif len(rest.split()) >= 2:
        first, last = rest.split(maxsplit=1)
    return TypedPerson(first_name=first[:100], last_name=last[:100], date_of_birth=dob)


def birth_dates_like(dob: date) -> set[date]:
    """The dates of birth an officer who typed `dob` may have meant: the date itself, the
    day and month swapped (6/4 for 4/6), and every date one digit away in the written date
    (1991-04-17: 1981-04-17, 1991-04-11, 1991-09-17...). A slip of the thumb or of memory
    finds the person; someone born on another day is someone else."""
    written = f"{dob.year:04d}{dob.month:02d}{dob.day:02d}"
    dates = {dob}
    try:
        dates.add(dob.replace(month=dob.day, day=dob.month))
    except ValueError:  # the 13th and later cannot be a month
        pass
    for position, digit in enumerate(written):
        for other in "0123456789":
            if other == digit:
                continue
            slipped = f"{written[:position]}{other}{written[position + 1 :]}"
            try:
                dates.add(date(int(slipped[:4]), int(slipped[4:6]), int(slipped[6:])))
            except ValueError:  # month 13, 31 April, year 0...
                continue
    return dates


def _born_like(dob: date) -> Q:
    # Clients with no date of birth on file stay in: a name-only client (the officer did not
    # know the date the first time) is exactly the one a second officer must find rather
    # than create again; the result shows "date of birth unknown" for the officer to judge.
    return Q(date_of_birth=None) | Q(date_of_birth__in=sorted(birth_dates_like(dob)))


def _referral_scope(user: User) -> Q | None:
    """Which referrals a user may see with identities; None means none at all."""
    if user.is_superuser or user.role == User.Role.PROGRAM_ADMIN:
        return Q()
    if user.role == User.Role.OFFICER:
        return Q(officer__user=user)
    if user.role == User.Role.SUPERVISOR:
        if user.unit_id:
            return Q(officer__user=user) | Q(agency_id=user.agency_id, officer__unit_id=user.unit_id)
        return Q(officer__user=user)
    if user.role == User.Role.CASE_MANAGER and user.partner_id:
        return Q(partner_id=user.partner_id)
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


def referral_list_made_by(*, user: User) -> QuerySet[Referral]:
    """My deflections: the referrals this officer logged, newest first."""
    # By officer id, not through a join on the user, so the (officer, -occurred_at)
    # index reads one page instead of sorting all of an officer's referrals.
    officer_id = Officer.objects.filter(user=user).values_list("pk", flat=True).first()
    return (
        Referral.objects.filter(officer_id=officer_id)
        .select_related("client", "partner")
        .order_by("-occurred_at", "-id")
    )


def contacts_made_by(*, user: User, limit: int = 10) -> list[OfficerContact]:
    """The officer's latest contacts: clients they saw again while a referral was open
    (another officer's, too: the client and the partner are what this officer entered)."""
    return list(
        OfficerContact.objects.filter(officer__user=user)
        .select_related("referral__client", "referral__partner")
        .order_by("-occurred_at", "-id")[:limit]
    )


# How far back the log form looks for the partners an officer refers to most.
RECENT_PARTNER_DAYS = 90


def partner_ids_used_recently(*, user: User, limit: int = 3) -> list[int]:
    """The partners this officer referred to in the last 90 days, most often first (then
    most recently): the likeliest picks on the log form. One small query: the officer's
    own referrals of three months, read through the (officer, occurred_at) index."""
    since = timezone.now() - timedelta(days=RECENT_PARTNER_DAYS)
    rows = (
        Referral.objects.filter(officer__user=user, occurred_at__gte=since)
        .exclude(status=Referral.Status.CANCELLED)  # entered in error, withdrawn: not a pick to repeat
        .values("partner_id")
        .annotate(times=Count("id"), last=Max("occurred_at"))
        .order_by("-times", "-last", "partner_id")[:limit]
    )
    return [row["partner_id"] for row in rows]


def referral_for_submission(*, user: User, token: str) -> Referral | None:
    """The referral this officer already saved from the form carrying `token` (or added
    a contact to, the client's referral then being open at that partner), if any."""
    try:
        token_uuid = uuid.UUID(str(token))
    except ValueError:
        return None
    made = Referral.objects.filter(submission_token=token_uuid, created_by=user).first()
    if made is not None:
        return made
    contact = OfficerContact.objects.filter(submission_token=token_uuid, created_by=user).select_related("referral")
    return next((c.referral for c in contact[:1]), None)


def referral_visible_to(*, user: User, referral: Referral) -> bool:
    """Whether the user may open the referral (its page would 404 otherwise)."""
    return referral_list_for_user(user=user).filter(pk=referral.pk).exists()


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


MAX_SEARCH_LENGTH = 200

# What a search result shows and ranks by: reading only these keeps every keystroke's rows narrow.
_SHOWN_IN_RESULTS = ("agency_id", "first_name", "last_name", "aliases", "date_of_birth", "search_name")


def client_search_for_officer(*, user: User, query: str, limit: int | None = None) -> list[Client]:
    """Clients of the officer's agency that match what was typed, best first.

    Tolerant of typos and swapped first and last names, so that the officer finds the
    person instead of creating them twice. PostgreSQL uses trigram similarity (pg_trgm
    and a GIN index); other databases a portable fallback scored in Python.
    """
    if not user.is_field_officer or not user.agency_id:
        return []
    limit = limit or settings.DEFLECTION["CLIENT_SEARCH_LIMIT"]
    # No name is this long; the search field's own limit is 100, the view reads the POST.
    name, dob = parse_search_query(query[:MAX_SEARCH_LENGTH])
    if len(name) < 2 and dob is None:
        return []
    if dob is None and connection.vendor == "postgresql":
        return _names_postgres(user.agency_id, name, limit)
    # A client whose identity was removed (purge_expired) has no name to match, and is
    # left out besides: whatever the thresholds, nobody is offered a "Removed" client.
    clients = Client.objects.filter(agency_id=user.agency_id, identity_removed_at=None).only(*_SHOWN_IN_RESULTS)
    if dob is None and len(name.split()) >= 2:
        found = _whole_name(clients, name, limit)
        if found:
            return found
    if connection.vendor == "postgresql":
        return _search_postgres(clients, name, dob, limit, by_name=_by_name_scope(user.agency_id))
    return _search_portable(clients, name, dob, limit)


def _whole_name(clients: QuerySet[Client], name: str, limit: int) -> list[Client]:
    """Everyone whose stored name is the whole name typed, in either order ("john smith",
    "smith john"; aliases may follow). The search_name index answers this in well under a
    millisecond, where a trigram scan costs 2 to 15 ms for a common name: the officer sees
    everyone of that exact name (dates of birth tell them apart), and near spellings only
    when nobody has it."""
    words = name.split()
    exact = Q()
    for order in {name, " ".join([words[-1], *words[:-1]])}:
        exact |= Q(search_name=order) | Q(search_name__startswith=f"{order} ")
    return _rank(list(clients.filter(exact).order_by("last_name", "first_name", "id")[:limit]), name, None)


# The columns a result shows, in the model's field order (Client.from_db needs that order).
_RESULT_COLUMNS = tuple(f.attname for f in Client._meta.concrete_fields if f.attname in {"id", *_SHOWN_IN_RESULTS})
_SCORE_SQL = "greatest(word_similarity(%(typed)s, search_name), similarity(search_name, %(typed)s))::float8"

# What was typed as a name (no date of birth), in one statement. A first pass: for two words
# or more, everyone whose stored name is the whole name typed, in either order (see
# _whole_name); for one word, the names with a word starting with it, whole words first
# (see _search_postgres). When it finds too few (nobody; fewer than `limit`), the names that
# hold the typed words (`%>`, word similarity), best first; when fewer than `limit` do, the
# names most like the whole name typed (`%`) besides. The same steps _whole_name and
# _search_postgres take, without their round trips and the ORM building up to four queries,
# which cost as much as PostgreSQL's answers (1 to 2 ms a search). A step that is not needed
# is not run: its condition on the step before is a one-time filter.
_WHOLE_NAME_SQL = """
    SELECT {columns}, 0.0::float8 AS first_key FROM referrals_client
    WHERE agency_id = %(agency)s AND identity_removed_at IS NULL
      AND (search_name = %(typed)s OR search_name LIKE %(typed_words)s
           OR search_name = %(swapped)s OR search_name LIKE %(swapped_words)s)
    ORDER BY last_name, first_name, id LIMIT %(limit)s
"""
_WORD_START_SQL = """
    SELECT {columns}, CASE WHEN search_name = %(typed)s OR search_name LIKE %(typed_words)s
                            OR search_name LIKE %(last_word)s OR search_name LIKE %(inner_word)s
                       THEN 0.0 ELSE 1.0 END::float8 AS first_key
    FROM referrals_client
    WHERE agency_id::integer = %(agency)s AND identity_removed_at IS NULL AND search_name LIKE %(inside)s
      AND (search_name LIKE %(typed_start)s OR search_name LIKE %(word_start)s)
    ORDER BY first_key, last_name, first_name, id
    LIMIT %(limit)s
"""
_NAMES_SQL = """
WITH first_pass AS ({first_pass}), near AS (
    SELECT {columns}, {score} AS score FROM referrals_client
    WHERE agency_id::integer = %(agency)s AND identity_removed_at IS NULL AND search_name %%> %(typed)s
      AND (SELECT count(*) FROM first_pass) < %(enough)s
    ORDER BY score DESC, last_name, id LIMIT %(wide)s
), wider AS (
    SELECT {columns}, {score} AS score FROM referrals_client
    WHERE agency_id::integer = %(agency)s AND identity_removed_at IS NULL AND search_name %% %(typed)s
      AND (SELECT count(*) FROM first_pass) < %(enough)s AND (SELECT count(*) FROM near) < %(limit)s
      AND id NOT IN (SELECT id FROM near)
    ORDER BY score DESC, last_name, id LIMIT %(wide)s
)
-- Each step's rows in its own order: (step, its key, last name, first name or "", id).
SELECT 0 AS step, {columns}, first_key AS step_key, first_name AS then_by FROM first_pass
UNION ALL SELECT 1, {columns}, -score, '' FROM near
UNION ALL SELECT 2, {columns}, -score, '' FROM wider
ORDER BY step, step_key, last_name, then_by, id
"""
_NAMES_SQL_BY_WORDS = {
    several: _NAMES_SQL.format(  # noqa: S608 (the model's column names; values are parameters)
        first_pass=(_WHOLE_NAME_SQL if several else _WORD_START_SQL).format(columns=", ".join(_RESULT_COLUMNS)),
        columns=", ".join(_RESULT_COLUMNS),
        score=_SCORE_SQL,
    )
    for several in (True, False)
}


def _like(value: str, *, before: str = "", after: str = "%") -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{before}{escaped}{after}"


def _names_postgres(agency_id: int, name: str, limit: int) -> list[Client]:
    words = name.split()
    swapped = " ".join([words[-1], *words[:-1]])
    several = len(words) > 1
    params = {
        "agency": agency_id,
        "typed": name,
        "typed_words": _like(f"{name} "),
        "swapped": swapped,
        "swapped_words": _like(f"{swapped} "),
        "inside": _like(name, before="%"),
        "typed_start": _like(name),
        "word_start": _like(f" {name}", before="%"),
        "last_word": _like(f" {name}", before="%", after=""),
        "inner_word": _like(f" {name} ", before="%"),
        "limit": limit,
        "wide": limit * 3,
        # The first pass is the answer when it finds anyone of the whole name, or, for one
        # word, `limit` names that all have it: they all score 1.0 in name_similarity.
        "enough": 1 if several else limit,
    }
    found: dict[int, list[Client]] = {0: [], 1: [], 2: []}
    with connection.cursor() as cursor:
        cursor.execute(_NAMES_SQL_BY_WORDS[several], params)
        for step, *values, _key, _then_by in cursor.fetchall():
            found[step].append(Client.from_db(connection.alias, _RESULT_COLUMNS, values))
    if len(found[0]) >= params["enough"]:
        return _rank(found[0], name, None)
    results = found[1] + found[2][: limit * 3 - len(found[1])]
    return _rank(results, name, None)[:limit]


def _by_name_scope(agency_id: int) -> QuerySet[Client]:
    """The agency's clients, selected the way the (agency, search_name) trigram index is built.

    `agency_id::integer = X` is a condition only that index can serve (referrals_client_agency_search_trgm).
    PostgreSQL declares the trigram functions cheap (COST 1): given a plain `agency_id = X`
    it reads a smaller agency's clients through the agency's btree index and runs the
    similarity on each of them, 20 to 30 ms for 5,000 clients instead of 1 or 2.
    """
    return Client.objects.filter(Exact(Cast("agency_id", IntegerField()), agency_id), identity_removed_at=None).only(
        *_SHOWN_IN_RESULTS
    )


def _search_postgres(
    clients: QuerySet[Client], name: str, dob: date | None, limit: int, by_name: QuerySet[Client] | None = None
) -> list[Client]:
    if not name:
        return list(clients.filter(date_of_birth=dob).order_by("last_name", "first_name")[:limit])
    by_name = clients if by_name is None else by_name
    words = name.split()
    if dob is None and len(words) == 1 and len(name) >= 2:
        # One word (an alias, a last name): often hundreds of people have it, and scoring
        # each of them by trigram similarity costs 10 ms and more. When at least `limit`
        # names have a word starting with it, they all score 1.0 in name_similarity, the
        # most a name can; the trigram order put those who have it as a whole word first,
        # then went by last name. Same here, with LIKE, which the trigram index serves and
        # which is cheap to recheck.
        whole_word = (
            Q(search_name=name)
            | Q(search_name__startswith=f"{name} ")
            | Q(search_name__endswith=f" {name}")
            | Q(search_name__contains=f" {name} ")
        )
        starts = list(
            by_name.filter(search_name__contains=name)
            .filter(Q(search_name__startswith=name) | Q(search_name__contains=f" {name}"))
            .order_by(Case(When(whole_word, then=Value(0)), default=Value(1)), "last_name", "first_name", "id")[:limit]
        )
        if len(starts) == limit:
            return _rank(starts, name, dob)
    if dob is not None:
        # A date of birth typed with the name rules out everyone born on another day.
        by_name = by_name.filter(_born_like(dob))
    # `%>` (trigram_word_similar) finds the typed words inside the stored name and uses the
    # GIN index; word order does not matter to trigrams, so "Smith John" finds John Smith.
    matches = by_name.filter(search_name__trigram_word_similar=name)
    if dob is not None:
        matches = matches | clients.filter(date_of_birth=dob)
    results = list(_by_score(matches, name)[: limit * 3])
    if len(results) < limit:
        # Few word matches: widen to whole-name similarity (`%`). Only then: with a common
        # first name `%` matches so many rows that PostgreSQL scans the table.
        seen = {c.pk for c in results}
        wider = _by_score(by_name.filter(search_name__trigram_similar=name).exclude(pk__in=seen), name)
        results += list(wider[: limit * 3 - len(results)])
    return _rank(results, name, dob)[:limit]


def _by_score(matches: QuerySet[Client], name: str) -> QuerySet[Client]:
    score = Greatest(TrigramWordSimilarity(name, "search_name"), TrigramSimilarity("search_name", name))
    return matches.annotate(score=score).order_by("-score", "last_name", "id")


def _search_portable(clients: QuerySet[Client], name: str, dob: date | None, limit: int) -> list[Client]:
    # Narrow with cheap prefix matches of each word's first letters, then score in Python.
    words = [w for w in name.split() if len(w) >= 2]
    narrow = Q()
    for word in words:
        narrow |= Q(search_name__contains=word[:2])
    if dob is not None:
        narrow |= Q(date_of_birth=dob)
    if dob is not None and name:
        # As on PostgreSQL: with a name, a date of birth typed rules out everyone born on another day.
        clients = clients.filter(_born_like(dob))
    candidates = list(clients.filter(narrow)[:2000]) if narrow else []
    ranked = _rank(candidates, name, dob)
    return [c for c in ranked if getattr(c, "match_score", 0) >= 0.5][:limit]


def name_similarity(typed: str, stored: str, ratios: dict[tuple[str, str], float] | None = None) -> float:
    """0..1: how well the typed words match the stored name, in any order, with typos.

    `ratios`: word comparisons already made, to reuse (a search's candidates share their
    words: many Marias, many Garcias). Kept per search, not per process: a worker holding
    clients' names after their identity was removed is what purge_expired is there to end."""
    typed_words = typed.split()
    stored_words = stored.split()
    if not typed_words or not stored_words:
        return 0.0
    ratios = {} if ratios is None else ratios
    total = 0.0
    for word in typed_words:
        # A prefix of a word counts fully: the officer is still typing.
        if len(word) >= 2 and any(candidate.startswith(word) for candidate in stored_words):
            total += 1.0
            continue
        best = 0.0
        for candidate in stored_words:
            # The ratio is at most 2 * shorter / (both lengths): skip a comparison that
            # cannot beat the best so far (SequenceMatcher is the costly part of ranking).
            if 2 * min(len(word), len(candidate)) <= best * (len(word) + len(candidate)):
                continue
            ratio = ratios.get((word, candidate))
            if ratio is None:
                ratio = ratios[(word, candidate)] = SequenceMatcher(None, word, candidate).ratio()
            best = max(best, ratio)
        total += best
    return total / len(typed_words)


def _rank(candidates: list[Client], name: str, dob: date | None) -> list[Client]:
    ratios: dict[tuple[str, str], float] = {}
    for client in candidates:
        score = name_similarity(name, client.search_name, ratios) if name else 0.0
        if dob is not None and client.date_of_birth == dob:
            score = score + 0.5 if name else 1.0
        client.match_score = score  # type: ignore[attr-defined]
    return sorted(candidates, key=lambda c: (-c.match_score, c.last_name, c.first_name))  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------
# What the referring agency may see of a referral's outcome (42 CFR Part 2).
# ---------------------------------------------------------------------------

CONSENT_RANK = {
    Consent.Scope.STATUS_ONLY: 1,
    Consent.Scope.STATUS_OUTCOMES: 2,
    Consent.Scope.FULL_RECORD: 3,
}


@dataclass
class OutcomeItem:
    when: datetime
    text: str


@dataclass
class OfficerView:
    """A referral as police see it: only what the client's consent lets flow to the agency."""

    is_open: bool
    label: str
    scope: str  # "" without consent, else the consent's scope
    consent_active: bool
    items: list[OutcomeItem] = field(default_factory=list)
    changed_at: datetime | None = None
    updated: bool = False
    # The 72-hour check in a few words ("Reached within 72 hours"), under status and outcomes.
    check_72h: str = ""


def _agency_consents(referral: Referral) -> list[Consent]:
    return [c for c in referral.consents.all() if c.recipient_agency_id == referral.agency_id]


def officer_view(
    referral: Referral, *, now: datetime | None = None, consents: list[Consent] | None = None
) -> OfficerView:
    """What the referring officer (and their supervisor) may see of this referral.

    Without consent to share with the referring agency: only that the partner received
    it and whether it is still open. With it: the status (any scope); intake, the 72-hour
    check (reached within 72 hours of acceptance or not), retention checkpoints and the
    closing outcome (status and outcomes, full record) recorded while a consent covered them.
    Expects consents, events and follow_ups prefetched (see with_officer_view), or
    `consents` given: the referral's consents to its agency, known to be none, say.
    """
    now = now or timezone.now()
    if consents is None:
        consents = _agency_consents(referral)
    closed = referral.status not in Referral.OPEN_STATUSES
    base_label = _("Closed") if closed else _("Received by partner · open")
    view = OfficerView(is_open=not closed, label=str(base_label), scope="", consent_active=False)
    view.changed_at = referral.closed_at if closed else None
    if consents:
        best = max(consents, key=lambda c: CONSENT_RANK[c.scope])
        view.scope = best.scope
        view.consent_active = any(c.is_active(now) for c in consents)

        def shown_from(moment: datetime, rank: int) -> datetime | None:
            """When police could first see information recorded at `moment`: once a
            consent of enough scope covering it existed; None if none covers it."""
            times = [max(moment, c.created_at) for c in consents if CONSENT_RANK[c.scope] >= rank and c.covers(moment)]
            return min(times) if times else None

        changes: list[datetime] = [view.changed_at] if view.changed_at else []
        status_events = [e for e in referral.events.all() if e.kind == CaseEvent.Kind.STATUS_CHANGED]
        shown_status = [(e, shown_from(e.created_at, 1)) for e in status_events]
        shown_status = [(e, when) for e, when in shown_status if when is not None]
        if shown_status:
            last, when = shown_status[-1]
            # Closed is always known to police; a closing the consent did not cover stays "Closed".
            if not (closed and last.to_status in Referral.OPEN_STATUSES):
                view.label = str(Referral.Status(last.to_status).label)
                changes.append(when)
        for event in status_events:
            when = shown_from(event.created_at, 2)
            if when is None:
                continue
            if event.to_status == Referral.Status.IN_PROGRESS and event.from_status == Referral.Status.ACCEPTED:
                view.items.append(OutcomeItem(event.created_at, str(_("Intake: the client attended"))))
                changes.append(when)
            elif event.to_status in (Referral.Status.COMPLETED, Referral.Status.FAILED, Referral.Status.REJECTED):
                text = str(Referral.Status(event.to_status).label)
                if event.reason:
                    text += f" ({reason_label(event.reason)})"
                view.items.append(OutcomeItem(event.created_at, text))
                changes.append(when)
        for follow_up in referral.follow_ups.all():
            if follow_up.kind == FollowUp.Kind.CHECK_72H and follow_up.completed_at:
                # Whether the partner reached the client soon after accepting: an outcome.
                when = shown_from(follow_up.completed_at, 2)
                if when is not None:
                    view.check_72h = _check_72h_short(referral, follow_up)
                    view.items.append(OutcomeItem(follow_up.completed_at, _check_72h_text(referral, follow_up)))
                    changes.append(when)
                continue
            if not (
                follow_up.kind.startswith("retention")
                and follow_up.completed_at
                and follow_up.outcome == FollowUp.Outcome.ENGAGED
            ):
                continue
            when = shown_from(follow_up.completed_at, 2)
            if when is not None:
                text = _("%(check)s: still engaged") % {"check": follow_up.get_kind_display()}
                view.items.append(OutcomeItem(follow_up.completed_at, str(text)))
                changes.append(when)
        view.items.sort(key=lambda item: item.when)
        view.changed_at = max(changes) if changes else None
    seen = referral.officer_seen_at
    view.updated = view.changed_at is not None and (seen is None or view.changed_at > seen)
    return view


CHECK_72H_WINDOW = timedelta(hours=72)


def _within_72h(referral: Referral, follow_up: FollowUp) -> bool:
    accepted = referral.accepted_at or follow_up.due_at - CHECK_72H_WINDOW
    return follow_up.completed_at <= accepted + CHECK_72H_WINDOW  # type: ignore[operator]


def _check_72h_short(referral: Referral, follow_up: FollowUp) -> str:
    """The 72-hour check in a few words, for lists (My deflections)."""
    if follow_up.outcome not in (FollowUp.Outcome.ENGAGED, FollowUp.Outcome.NOT_ENGAGED):
        return str(_("Not reached at the 72-hour check"))
    if _within_72h(referral, follow_up):
        return str(_("Reached within 72 hours"))
    return str(_("Reached after 72 hours"))


def _check_72h_text(referral: Referral, follow_up: FollowUp) -> str:
    if _within_72h(referral, follow_up):
        text = _("72-hour check: %(outcome)s, within 72 hours of acceptance")
    else:
        text = _("72-hour check: %(outcome)s, more than 72 hours after acceptance")
    return text % {"outcome": str(follow_up.get_outcome_display()).lower()}


def _consents_prefetch() -> Prefetch:
    return Prefetch("consents", queryset=Consent.objects.select_related("referral"))


def _history_prefetches() -> list[Prefetch]:
    """What officer_view reads of a referral's history (only when there is consent)."""
    return [
        Prefetch(
            "events", queryset=CaseEvent.objects.filter(kind=CaseEvent.Kind.STATUS_CHANGED).order_by("created_at", "id")
        ),
        Prefetch(
            "follow_ups",
            queryset=FollowUp.objects.filter(
                Q(kind__startswith="retention") | Q(kind=FollowUp.Kind.CHECK_72H), completed_at__isnull=False
            ),
        ),
    ]


def with_officer_view(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Prefetch what officer_view needs, so a page of referrals costs a fixed number of queries."""
    return referrals.prefetch_related(_consents_prefetch(), *_history_prefetches())


def is_police_viewer(user: User) -> bool:
    """Officers and supervisors see outcomes only as consent allows."""
    return user.is_field_officer


# ---------------------------------------------------------------------------
# The partner queue, with filters and counts, sorted by urgency.
# ---------------------------------------------------------------------------

QUEUE_FILTERS: dict[str, tuple[str, Q | None]] = {
    "open": (gettext_lazy("Open"), Q(status__in=Referral.OPEN_STATUSES)),
    "new": (gettext_lazy("New"), Q(status=Referral.Status.REQUESTED)),
    "accepted": (gettext_lazy("Accepted"), Q(status=Referral.Status.ACCEPTED)),
    "in_progress": (gettext_lazy("In treatment"), Q(status=Referral.Status.IN_PROGRESS)),
    "on_hold": (gettext_lazy("On hold"), Q(status=Referral.Status.ON_HOLD)),
    "overdue": (gettext_lazy("Overdue follow-ups"), None),  # needs "now": see _filter_q
    "closed": (gettext_lazy("Closed"), ~Q(status__in=Referral.OPEN_STATUSES)),
}


def _filter_q(name: str, now: datetime) -> Q:
    if name == "overdue":
        # The follow-ups the reminder emails (which link to this filter) chase: those of open
        # referrals and the retention checks that outlive a completed one.
        overdue = FollowUp.objects.filter(referral=OuterRef("pk"), completed_at__isnull=True, due_at__lt=now)
        return Q(Exists(overdue.filter(FOLLOW_UPS_STILL_FOLLOWED)))
    return QUEUE_FILTERS[name][1]  # type: ignore[return-value]


def queue_counts(*, user: User, now: datetime | None = None) -> dict[str, int]:
    """How many referrals each filter of the queue holds, in one query."""
    now = now or timezone.now()
    base = referral_queue_for_partner(user=user).order_by()
    return base.aggregate(**{name: Count("pk", filter=_filter_q(name, now)) for name in QUEUE_FILTERS})


def queue_for_partner(*, user: User, filter_name: str = "open", now: datetime | None = None) -> QuerySet[Referral]:
    """The queue under one filter, most urgent first: the oldest new referrals, then those
    with overdue follow-ups (longest overdue first), then the rest by their next due follow-up."""
    now = now or timezone.now()
    if filter_name not in QUEUE_FILTERS:
        filter_name = "open"
    open_follow_ups = FollowUp.objects.filter(referral=OuterRef("pk"), completed_at__isnull=True)
    # The client seen again by an officer while the referral is open: one item, not two.
    last_contact = OfficerContact.objects.filter(referral=OuterRef("pk")).order_by("-occurred_at", "-id")
    qs = (
        referral_queue_for_partner(user=user)
        .filter(_filter_q(filter_name, now))
        .annotate(
            next_due=Subquery(open_follow_ups.order_by("due_at").values("due_at")[:1]),
            overdue=Exists(open_follow_ups.filter(due_at__lt=now)),
            seen_again_at=Subquery(last_contact.values("occurred_at")[:1]),
            seen_again_by=Subquery(last_contact.values("officer__display_name")[:1]),
        )
        .annotate(
            urgency=Case(
                When(status=Referral.Status.REQUESTED, then=Value(0)),
                When(overdue=True, then=Value(1)),
                When(status__in=Referral.OPEN_STATUSES, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
    )
    if filter_name == "closed":
        return qs.order_by("-closed_at", "-id")
    return qs.order_by("urgency", F("next_due").asc(nulls_last=True), "created_at", "id")


def follow_up_get_for_user(*, user: User, follow_up_id: int) -> FollowUp:
    follow_up = (
        FollowUp.objects.filter(pk=follow_up_id, referral__in=referral_list_for_user(user=user).values("pk"))
        .select_related("referral")
        .first()
    )
    if follow_up is None:
        raise Http404
    return follow_up


def consent_get_for_user(*, user: User, consent_id: int) -> Consent:
    consent = (
        Consent.objects.filter(pk=consent_id, referral__in=referral_list_for_user(user=user).values("pk"))
        .select_related("referral")
        .first()
    )
    if consent is None:
        raise Http404
    return consent


def may_add_story(*, user: User, referral: Referral) -> bool:
    """Who may add a thank-you note or testimonial to a referral, whatever its status (thanks
    often come after treatment ended): the partner's case managers, the referring officer and
    program administrators. What leaves the case record is decided later (reports.services)."""
    if user.is_superuser or user.is_program_admin:
        return True
    if user.is_case_manager:
        return user.partner_id == referral.partner_id
    return user.is_field_officer and referral.officer.user_id == user.pk


def may_record_consent(*, user: User, referral: Referral) -> bool:
    """Who may record a client's consent on this referral now (and print the blank form).

    The referring officer only at the scene, while the referral is still `requested`: later,
    a consent typed in by the officer would show them outcomes the client never agreed to
    share at the time. The partner's case managers and program administrators while the
    referral is open. A closed referral takes no new consent from anyone: nothing more
    happens on it for a consent to cover.
    """
    if referral.status not in Referral.OPEN_STATUSES:
        return False
    if user.is_superuser or user.is_program_admin:
        return True
    if user.is_case_manager:
        return user.partner_id == referral.partner_id
    at_the_scene = referral.status == Referral.Status.REQUESTED
    return at_the_scene and user.is_field_officer and referral.officer.user_id == user.pk


def may_see_consents(*, user: User, referral: Referral) -> bool:
    """Who sees (and prints) the consents recorded on a referral: those who do its casework."""
    if user.is_superuser or user.is_program_admin:
        return True
    return user.is_case_manager and user.partner_id == referral.partner_id


def consent_signing_window(*, referral: Referral, now: datetime | None = None) -> tuple[date, date]:
    """The first and last date a consent on this referral may say it was signed: from the day
    of the encounter to today, both in the agency's time zone (a case manager's browser or the
    server may be elsewhere, and at 06:40 UTC it is still yesterday in Phoenix)."""
    zone = zoneinfo.ZoneInfo(referral.agency.timezone)
    return timezone.localdate(referral.occurred_at, zone), timezone.localdate(now or timezone.now(), zone)


# What logging a deflection for a known client needs, in one statement (see earlier_referrals):
# the client's latest referral that was not cancelled (0), latest open one in the agency (1)
# and latest open one at the partner chosen (2), the last two with whether a consent to share
# with the agency was ever recorded, and the referral already made from this form, if any (3).
_CONSENTED_SQL = """CASE WHEN EXISTS (
    SELECT 1 FROM referrals_consent c WHERE c.referral_id = {table}.id AND c.recipient_agency_id = %(agency)s
) THEN 1 ELSE 0 END"""
_EARLIER_REFERRALS_SQL = """
SELECT r.*, p.name AS partner_name, earlier.which, earlier.consented FROM (
    SELECT id, 0 AS which, 0 AS consented FROM (
        SELECT id FROM referrals_referral WHERE client_id = %(client)s AND status <> %(cancelled)s
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
class EarlierReferrals:
    """What logging a deflection for a known client found out about the client's past."""

    previous_id: int | None = None  # the latest referral not cancelled: the new one links to it
    open_earlier: Referral | None = None  # the latest open one in the agency (the officer's notice)
    open_here: Referral | None = None  # the latest open one at the partner chosen: a contact on it
    already: Referral | None = None  # the referral this very form already made (a double tap)
    consented: set[int] = field(default_factory=set)  # of those, the ids with a consent to the agency


def earlier_referrals(
    *, client: Client, agency_id: int, partner_id: int | None = None, submission_token: uuid.UUID | None = None
) -> EarlierReferrals:
    """What logging a new referral for a known client needs to know about the client's past.

    The client's latest referral that was not cancelled (the new one links to it), the
    client's latest open referral in the agency with its partner's name (the officer is told
    about it), the latest open one at the partner chosen (the encounter becomes a contact
    on it) and the referral already made from this form. `consented` holds which of the open
    ones ever had a consent to share with the agency, so the usual case (none) needs no
    further query.

    This runs on every deflection logged for a known client, the officer's hot path: one
    plain query finds them all, the open referrals whole (the ORM spent more time building
    the equivalent queries than the database spent answering them).
    """
    params = {
        "client": client.pk,
        "cancelled": Referral.Status.CANCELLED,
        "agency": agency_id,
        "partner": partner_id,
        # As the database stores it (a uuid column, or text where there is none).
        "token": Referral._meta.get_field("submission_token").get_db_prep_value(submission_token, connection),
        **{f"open_{i}": status for i, status in enumerate(Referral.OPEN_STATUSES)},
    }
    found = EarlierReferrals()
    for row in Referral.objects.raw(_EARLIER_REFERRALS_SQL, params):
        if row.which == 0:
            found.previous_id = row.pk
            continue
        if row.consented:
            found.consented.add(row.pk)
        # The partner as far as the notice names it; any other field loads when read.
        partner = ServicePartner.from_db(connection.alias, ["id", "name"], [row.partner_id, row.partner_name])
        Referral.partner.field.set_cached_value(row, partner)
        if row.which == 1:
            found.open_earlier = row
        elif row.which == 2:
            found.open_here = row
        else:
            found.already = row
    return found


def open_earlier_referral(*, user: User, earlier: EarlierReferrals | None) -> Referral | None:
    """The client's latest other open referral in this officer's agency, which
    referral_create read for the re-engagement notice, or None: no query."""
    found = earlier.open_earlier if earlier is not None else None
    return None if found is None or found.agency_id != user.agency_id else found


def earlier_open_referral(*, user: User, earlier: EarlierReferrals | None) -> tuple[Referral, OfficerView] | None:
    """The client's latest other open referral, as this officer may see it, or None.

    For the re-engagement notice right after a referral was logged: referral_create has
    already read it (see earlier_referrals), so that the usual case costs no query; with
    consent to share, its history is read to show what police may see.
    """
    found = open_earlier_referral(user=user, earlier=earlier)
    if found is None:
        return None
    return found, _view_as_read(found, consented=found.pk in earlier.consented)  # type: ignore[union-attr]


def _view_as_read(earlier: Referral, *, consented: bool) -> OfficerView:
    """officer_view of a referral earlier_referrals read: no query without consent."""
    if not consented:
        return officer_view(earlier, consents=[])
    prefetch_related_objects([earlier], _consents_prefetch())
    if _agency_consents(earlier):
        # officer_view reads the history only under consent.
        prefetch_related_objects([earlier], *_history_prefetches())
    return officer_view(earlier)
