"""Finding the client as the officer types, so the same person is not created twice."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import formats, timezone

from referrals import search
from referrals.models import Client
from referrals.search import name_similarity, parse_search_query
from tests.factories.referrals import ClientFactory
from tests.search_oracle import stepwise_names

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(cast):
    return {
        "john": ClientFactory(
            agency=cast.agency_a, first_name="Jonathan", last_name="Smithers", date_of_birth=date(1984, 3, 9)
        ),
        "maria": ClientFactory(
            agency=cast.agency_a,
            first_name="María",
            last_name="Gutiérrez",
            aliases="Flaca",
            date_of_birth=date(1979, 11, 30),
        ),
        "other_agency": ClientFactory(
            agency=cast.agency_b, first_name="Jonathan", last_name="Smithers", date_of_birth=date(1984, 3, 9)
        ),
        "noise": [ClientFactory(agency=cast.agency_a) for _ in range(25)],
    }


def _names(results: list[Client]) -> list[str]:
    return [c.full_name for c in results]


@pytest.mark.parametrize(
    "typed",
    ["Jonathan Smithers", "smithers jonathan", "Jonathon Smithers", "jonathan smthers", "Smithers, Jon"],
)
def test_it_finds_the_client_despite_typos_and_swapped_names(cast, people, typed):
    results = search.client_search_for_officer(user=cast.officer_a1, query=typed)
    assert results and results[0] == people["john"]


def test_it_finds_a_client_by_alias_and_without_accents(cast, people):
    assert search.client_search_for_officer(user=cast.officer_a1, query="flaca")[0] == people["maria"]
    assert search.client_search_for_officer(user=cast.officer_a1, query="maria gutierrez")[0] == people["maria"]


def test_it_finds_a_client_by_date_of_birth(cast, people):
    results = search.client_search_for_officer(user=cast.officer_a1, query="03/09/1984")
    assert _names(results) == ["Jonathan Smithers"]
    assert results[0] == people["john"]


def test_it_never_shows_another_agencys_clients(cast, people):
    for user in (cast.officer_a1, cast.officer_a2, cast.supervisor_a):
        results = search.client_search_for_officer(user=user, query="Jonathan Smithers")
        assert people["other_agency"] not in results
    results_b = search.client_search_for_officer(user=cast.officer_b, query="Jonathan Smithers")
    assert results_b == [people["other_agency"]]


def test_two_records_of_one_name_and_birth_date_are_told_apart_in_the_results(cast, people):
    """One of them made tonight and awaiting a same-person check: the officer sees since when
    each is on record, not two identical rows."""
    twin = ClientFactory(
        agency=cast.agency_a, first_name="Jonathan", last_name="Smithers", date_of_birth=date(1984, 3, 9)
    )
    Client.objects.filter(pk=people["john"].pk).update(created_at=timezone.now() - timedelta(days=400))
    page = cast.login("officer_a1").post("/log/clients/", {"search": "Jonathan Smithers"}).content.decode()
    rows = [row.split("</label>")[0] for row in page.split('class="client-result"')[1:]]
    assert len(rows) == 2 and rows[0] != rows[1]
    made = formats.date_format(timezone.localtime(twin.created_at, ZoneInfo(cast.agency_a.timezone)), "DATE_FORMAT")
    assert any(f"on record since {made}" in row and f'value="{twin.pk}"' in row for row in rows)


def test_only_officers_and_supervisors_search_clients(cast, people):
    for who in ("case_manager_x", "command_a", "admin"):
        assert search.client_search_for_officer(user=getattr(cast, who), query="Jonathan Smithers") == []


def test_a_single_letter_searches_nothing(cast, people):
    assert search.client_search_for_officer(user=cast.officer_a1, query="j") == []


def test_an_unrelated_name_finds_nobody(cast, people):
    results = search.client_search_for_officer(user=cast.officer_a1, query="Xavier Quimbly")
    assert people["john"] not in results and people["maria"] not in results


def test_the_portable_matcher_gives_the_same_best_match(cast, people):
    # The SQLite fallback, exercised on any database.
    clients = Client.objects.filter(agency=cast.agency_a)
    name, dob = parse_search_query("smithers jonathon")
    results = search._search_portable(clients, name, dob, limit=5)
    assert results[0].client == people["john"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram search runs on PostgreSQL")
def test_postgres_uses_trigram_similarity(cast, people):
    name, dob = parse_search_query("Jonathon Smthers")
    results = search._search_postgres(cast.agency_a.pk, name, dob, limit=5)
    assert results[0].client == people["john"]


def test_parse_search_query_splits_name_and_date():
    assert parse_search_query("Ana López 1990-02-03") == ("ana lopez", date(1990, 2, 3))
    assert parse_search_query("2/3/90") == ("", date(1990, 2, 3))


def test_name_similarity_ignores_word_order_and_forgives_typos():
    assert name_similarity("smith john", "john smith") == 1.0
    assert name_similarity("jon smith", "john smith") > 0.8
    assert name_similarity("alice", "john smith") < 0.5


@pytest.mark.parametrize("typed", ["Jonathan Smithers", "smithers jonathan"])
def test_a_whole_name_finds_everyone_of_that_name_first_and_only_them(cast, people, typed):
    namesake = ClientFactory(
        agency=cast.agency_a, first_name="Jonathan", last_name="Smithers", date_of_birth=date(1991, 7, 2)
    )
    ClientFactory(agency=cast.agency_a, first_name="Jonathon", last_name="Smithers")  # a near spelling
    results = search.client_search_for_officer(user=cast.officer_a1, query=typed)
    assert set(results) == {people["john"], namesake}


def test_a_near_spelling_is_found_when_nobody_has_the_name_typed(cast, people):
    results = search.client_search_for_officer(user=cast.officer_a1, query="Jonathan Smither")
    assert results and results[0] == people["john"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram search runs on PostgreSQL")
def test_a_name_is_one_query_showing_what_the_steps_would(cast, people):
    """On PostgreSQL a name (without a date of birth) is searched in one statement; it shows
    the same clients, in the same order, as the steps it stands for: the whole-name lookup
    or the word-start lookup, then the trigram search."""
    from django.test.utils import CaptureQueriesContext

    for first, last in [("Jonathan", "Smithers"), ("Jonathon", "Smithers"), ("Jon", "Smithson")]:
        ClientFactory(agency=cast.agency_a, first_name=first, last_name=last)
    for n in range(9):  # one word that more than a page of names start with
        ClientFactory(agency=cast.agency_a, first_name=f"Smi{'abcdefghi'[n]}", last_name="Doe")
    typed = ["Jonathan Smithers", "smithers jonathan", "Jonathon Smthers", "jonatan smith", "Jon Sm", "Maria Gutierez"]
    typed += ["smithers", "smi", "jon", "flaca", "gutierrez", "smithrs", "zz"]
    for noise in people["noise"][:8]:
        typed += [f"{noise.first_name} {noise.last_name[:-1]}x", f"{noise.last_name} {noise.first_name[:2]}"]
        typed += [noise.last_name, noise.first_name[:3]]
    for query in typed:
        name, _dob = parse_search_query(query)
        stepwise = stepwise_names(cast.agency_a.pk, name, 8)
        with CaptureQueriesContext(connection) as captured:
            results = search.client_search_for_officer(user=cast.officer_a1, query=query)
        assert len(captured) == 1, query
        assert [c.pk for c in results] == [c.pk for c in stepwise], query
        assert all(c.agency_id == cast.agency_a.pk for c in results)
    assert len(search.client_search_for_officer(user=cast.officer_a1, query="smi")) == 8


@pytest.mark.parametrize("typed", ["Jonathan Smithers", "smithers", "smithers jonathan", "Jonathon Smithers 3/9/1984"])
def test_a_client_whose_identity_was_removed_is_never_offered(cast, people, typed):
    # As if a purge had left the name behind: the search leaves the client out all the same.
    Client.objects.filter(pk=people["john"].pk).update(identity_removed_at=timezone.now())
    assert people["john"] not in search.client_search_for_officer(user=cast.officer_a1, query=typed)


def test_a_search_longer_than_any_name_is_cut_short(cast, people):
    results = search.client_search_for_officer(user=cast.officer_a1, query="Jonathan Smithers " + "x" * 5000)
    assert results and results[0] == people["john"]


def _one_slip_from(typed: date, stored: date) -> bool:
    """The rule in plain words, to check birth_dates_like against: the same date, day and
    month swapped, or exactly one digit different in the written date (YYYY-MM-DD)."""
    a, b = (f"{d.year:04d}{d.month:02d}{d.day:02d}" for d in (typed, stored))
    swapped = (stored.month, stored.day) == (typed.day, typed.month) and stored.year == typed.year
    return a == b or swapped or sum(x != y for x, y in zip(a, b, strict=True)) == 1


@pytest.mark.parametrize("typed", [date(1991, 4, 17), date(1984, 3, 9), date(2000, 12, 31), date(1960, 1, 1)])
def test_the_dates_of_birth_a_typed_date_may_mean_are_its_slips_and_nothing_else(typed):
    every_day = [date(1900, 1, 1) + timedelta(days=n) for n in range((date(2100, 1, 1) - date(1900, 1, 1)).days)]
    meant = search.birth_dates_like(typed)
    assert all(_one_slip_from(typed, d) for d in meant)
    assert {d for d in every_day if _one_slip_from(typed, d)} <= meant


def _portable(cast, query: str) -> list[Client]:
    clients = Client.objects.filter(agency=cast.agency_a, identity_removed_at=None)
    name, dob = parse_search_query(query)
    return [match.client for match in search._search_portable(clients, name, dob, limit=8)]


# The search the officer gets on this database, and the portable one (SQLite's) on any database.
SEARCHES = {"this database": lambda cast, query: search.client_search_for_officer(user=cast.officer_a1, query=query)}
SEARCHES["portable"] = _portable


@pytest.mark.parametrize("search", SEARCHES.values(), ids=SEARCHES.keys())
def test_a_date_of_birth_typed_offers_only_people_born_that_day_or_a_slip_of_it(cast, people, search):
    def delphine(born: date | None) -> Client:
        return ClientFactory(agency=cast.agency_a, first_name="Delphine", last_name="Marchetti", date_of_birth=born)

    born_else = delphine(date(1997, 3, 12))
    exact = delphine(date(1991, 4, 17))
    year_slip = delphine(date(1981, 4, 17))
    day_slip = delphine(date(1991, 4, 18))
    unknown = delphine(None)
    found = search(cast, "Delphine Marchetti 4/17/1991")
    assert exact in found and year_slip in found and day_slip in found
    assert found[0] == exact
    # No date on file: the name alone may be the person; the officer sees "date of birth unknown".
    assert unknown in found
    assert born_else not in found
    assert born_else not in search(cast, "marchetti 1991-04-17")

    swapped = delphine(date(1991, 7, 4))
    two_digits_off = delphine(date(1991, 8, 4))  # swapped, then a slip besides: two changes
    found = search(cast, "Marchetti Delphine 4/7/1991")
    assert swapped in found
    assert two_digits_off not in found
