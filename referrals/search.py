"""Finding a client as the officer types, so that the same person is not created twice.

Tolerant of typos, swapped first and last names, aliases and a slip in the date of birth.
PostgreSQL answers a name in one statement (pg_trgm and a GIN index), and a name with a
date of birth through the ORM's trigram lookups; other databases score candidates in Python.
tests/search_oracle.py takes the statement's steps one by one, to check it against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from difflib import SequenceMatcher

from django.conf import settings
from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.db import connection
from django.db.models import IntegerField, Q, QuerySet
from django.db.models.functions import Cast, Greatest
from django.db.models.lookups import Exact

from deflection.models import User
from deflection.permissions import may_search_clients
from referrals.models import Client, normalize_name

# No name is this long; the search field's own limit is 100, the views read the POST.
MAX_SEARCH_LENGTH = 200
# A new client this like someone the agency knows may be them (see name_similarity).
DUPLICATE_SCORE = 0.8

# What a search result shows and ranks by: reading only these keeps every keystroke's rows narrow.
_SHOWN_IN_RESULTS = ("agency_id", "first_name", "last_name", "aliases", "date_of_birth", "search_name", "created_at")

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
    """A new client's name and date of birth, as typed in the search."""

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


@dataclass(frozen=True)
class ClientMatch:
    """A client found, and how well they match what was typed (0..1.5: name, plus a date of birth)."""

    client: Client
    score: float


def client_search_for_officer(*, user: User, query: str, limit: int | None = None) -> list[Client]:
    """Clients of the officer's agency that match what was typed, best first."""
    return [match.client for match in _search(user, query, limit)]


def possible_duplicates(*, user: User, first_name: str, last_name: str, date_of_birth: date | None) -> list[Client]:
    """Clients of the officer's agency who may be the new client typed, best first."""
    query = f"{first_name} {last_name}"
    if date_of_birth:
        query += f" {date_of_birth:%Y-%m-%d}"
    return [match.client for match in _search(user, query, None) if match.score >= DUPLICATE_SCORE]


def _search(user: User, query: str, limit: int | None) -> list[ClientMatch]:
    if not may_search_clients(user):
        return []
    limit = limit or settings.DEFLECTION["CLIENT_SEARCH_LIMIT"]
    name, dob = parse_search_query(query[:MAX_SEARCH_LENGTH])
    if len(name) < 2 and dob is None:
        return []
    if connection.vendor == "postgresql":
        return _search_postgres(user.agency_id, name, dob, limit)
    return _search_portable(_agency_clients(user.agency_id), name, dob, limit)


def _agency_clients(agency_id: int) -> QuerySet[Client]:
    # A client whose identity was removed (purge_expired) has no name to match, and is
    # left out besides: whatever the thresholds, nobody is offered a "Removed" client.
    return Client.objects.filter(agency_id=agency_id, identity_removed_at=None).only(*_SHOWN_IN_RESULTS)


# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

# The columns a result shows, in the model's field order (Client.from_db needs that order).
_RESULT_COLUMNS = tuple(f.attname for f in Client._meta.concrete_fields if f.attname in {"id", *_SHOWN_IN_RESULTS})
_SCORE_SQL = "greatest(word_similarity(%(typed)s, search_name), similarity(search_name, %(typed)s))::float8"

# What was typed as a name (no date of birth), in one statement. A first pass: for two words
# or more, everyone whose stored name is the whole name typed, in either order (as
# _whole_name); for one word, the names with a word starting with it, whole words first:
# when at least `limit` names have one, they all score 1.0 in name_similarity, the most a
# name can. When it finds too few (nobody; fewer than `limit`), the names that hold the
# typed words (`%>`, word similarity), best first; when fewer than `limit` do, the names
# most like the whole name typed (`%`) besides (as _trigram_steps). One statement, because
# the ORM building up to four queries cost as much as PostgreSQL's answers. A step that is
# not needed is not run: its condition on the step before is a one-time filter.
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


def _search_postgres(agency_id: int, name: str, dob: date | None, limit: int) -> list[ClientMatch]:
    if dob is None:
        return _names_postgres(agency_id, name, limit)
    clients = _agency_clients(agency_id)
    if not name:
        return _rank(list(clients.filter(date_of_birth=dob).order_by("last_name", "first_name")[:limit]), name, dob)
    # A date of birth typed with the name rules out everyone born on another day.
    by_name = _by_name_scope(agency_id).filter(_born_like(dob))
    return _trigram_steps(by_name, name, limit, dob=dob, also=clients.filter(date_of_birth=dob))


def _names_postgres(agency_id: int, name: str, limit: int) -> list[ClientMatch]:
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
    it may read a smaller agency's clients through the agency's btree index and run the
    similarity on each of them, which costs many times the index scan.
    """
    return Client.objects.filter(Exact(Cast("agency_id", IntegerField()), agency_id), identity_removed_at=None).only(
        *_SHOWN_IN_RESULTS
    )


def _trigram_steps(
    by_name: QuerySet[Client],
    name: str,
    limit: int,
    *,
    dob: date | None = None,
    also: QuerySet[Client] | None = None,
) -> list[ClientMatch]:
    """The names that hold the typed words, best first (and `also`, born on the date typed);
    when fewer than `limit`, the names most like the whole name typed besides."""
    # `%>` (trigram_word_similar) finds the typed words inside the stored name and uses the
    # GIN index; word order does not matter to trigrams, so "Smith John" finds John Smith.
    matches = by_name.filter(search_name__trigram_word_similar=name)
    if also is not None:
        matches = matches | also
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


# ---------------------------------------------------------------------------
# Other databases (SQLite): candidates narrowed by the database, scored in Python.
# ---------------------------------------------------------------------------


def _search_portable(clients: QuerySet[Client], name: str, dob: date | None, limit: int) -> list[ClientMatch]:
    if dob is None and len(name.split()) >= 2:
        found = _whole_name(clients, name, limit)
        if found:
            return found
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
    return [match for match in _rank(candidates, name, dob) if match.score >= 0.5][:limit]


def _whole_name(clients: QuerySet[Client], name: str, limit: int) -> list[ClientMatch]:
    """Everyone whose stored name is the whole name typed, in either order ("john smith",
    "smith john"; aliases may follow): the officer sees everyone of that exact name (dates
    of birth tell them apart), and near spellings only when nobody has it."""
    words = name.split()
    exact = Q()
    for order in {name, " ".join([words[-1], *words[:-1]])}:
        exact |= Q(search_name=order) | Q(search_name__startswith=f"{order} ")
    return _rank(list(clients.filter(exact).order_by("last_name", "first_name", "id")[:limit]), name, None)


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


def _rank(candidates: list[Client], name: str, dob: date | None) -> list[ClientMatch]:
    ratios: dict[tuple[str, str], float] = {}
    matches = []
    for client in candidates:
        score = name_similarity(name, client.search_name, ratios) if name else 0.0
        if dob is not None and client.date_of_birth == dob:
            score = score + 0.5 if name else 1.0
        matches.append(ClientMatch(client=client, score=score))
    return sorted(matches, key=lambda m: (-m.score, m.client.last_name, m.client.first_name))
