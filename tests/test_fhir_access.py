"""Who may call which FHIR endpoint: the API's access table (tests/test_api_access.py: its
callers, tokens and expectations) extended to /fhir/. A partner's system reads and changes
its own partner's referrals; another partner's system gets 404 for them, an agency's system
404 for everything, revoked and expired tokens and users' sessions 401; the
CapabilityStatement is public. Every URL under /fhir/ is in the table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from api.fhir import resources, selectors
from tests.conftest import kept_for_the_module, make_cast, referral_state
from tests.factories.referrals import accepted_referral, consent_given
from tests.test_access import FHIR_NAMESPACE, url_names
from tests.test_api_access import (
    CALLERS,
    NOT_FOUND,
    OK,
    OTHER_PARTNER,
    PARTNER,
    PUBLIC,
    World,
    answers,
    api_caller,
    api_world,
)

pytestmark = pytest.mark.django_db

PARTNERS = {PARTNER, OTHER_PARTNER}
# (name, method): expected answer for each caller. The referral under test was logged in
# agency A by officer_a1, routed to partner Y and accepted, with a consent on file.
FHIR_EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("fhir:metadata", "get"): PUBLIC,
    # A search answers each partner's system with its own Tasks (none of partner Y's for X's).
    ("fhir:task_search", "get"): answers(PARTNERS),
    ("fhir:task", "get"): answers({PARTNER}),
    ("fhir:task", "put"): answers({PARTNER}),
    ("fhir:task", "patch"): answers({PARTNER}),
    ("fhir:service_request", "get"): answers({PARTNER}),
    ("fhir:patient", "get"): answers({PARTNER}),
    ("fhir:consent", "get"): answers({PARTNER}),
    ("fhir:organization", "get"): answers({PARTNER}),
    # Any other path: not a resource this server has, whoever asks.
    ("fhir:unsupported", "get"): dict.fromkeys(CALLERS, NOT_FOUND),
}
# What an allowed write changes: the referral's status (accepted, put on hold).
FHIR_CHANGES = {("fhir:task", "put"): "status", ("fhir:task", "patch"): "status"}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """The API table's callers and their tokens, and a referral under test with a consent on
    file, made once for the table's tests: each test's request, and what it changes, is
    rolled back."""

    def build() -> World:
        world = api_world(make_cast())
        referral = accepted_referral(world.cast)
        consent_given(referral, world.cast.case_manager_y)
        return replace(world, referral=referral)

    with kept_for_the_module(django_db_blocker, build) as made:
        yield made


def _url(name: str, referral, cast) -> str:
    kwargs = {
        "fhir:task": {"referral_id": referral.pk},
        "fhir:service_request": {"referral_id": referral.pk},
        "fhir:patient": {"client_id": referral.client_id},
        "fhir:consent": {"consent_id": referral.consents.get().pk},
        "fhir:organization": {"organization_id": f"partner-{cast.partner_y.pk}"},
    }.get(name, {})
    if name == "fhir:unsupported":
        return "/fhir/Observation"
    return reverse(name, kwargs=kwargs)


def _body(method: str, referral) -> tuple[str, str]:
    if method == "patch":
        return json.dumps([{"op": "replace", "path": "/status", "value": "on-hold"}]), "application/json-patch+json"
    task = resources.task(referral, selectors.task_facts([referral])[referral.pk])
    return json.dumps({**task, "status": "on-hold"}), "application/fhir+json"


@pytest.mark.parametrize(("name", "method"), sorted(FHIR_EXPECTED))
@pytest.mark.parametrize("who", CALLERS)
def test_each_fhir_endpoint_answers_each_caller_as_decided(world, name, method, who):
    cast, referral = world.cast, world.referral
    http = api_caller(cast, world, who)
    url = _url(name, referral, cast)
    before = referral_state(referral)
    # Two days on: the expired client's token (one day) has run out.
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        if method == "get":
            response = http.get(url)
        else:
            body, content_type = _body(method, referral)
            response = getattr(http, method)(url, body, content_type=content_type)
    expected = FHIR_EXPECTED[(name, method)][who]
    assert response.status_code == expected, (who, name, method, response.content[:300])
    assert response["Content-Type"].startswith("application/fhir+json")
    if response.status_code != OK:
        assert response.json()["resourceType"] == "OperationOutcome"
    after = referral_state(referral)
    if method != "get" and response.status_code == OK:
        assert after[FHIR_CHANGES[(name, method)]] != before[FHIR_CHANGES[(name, method)]]
    else:
        assert after == before, f"{who} got {response.status_code} from {method} {name}, yet something changed"


def test_every_fhir_url_is_in_the_fhir_access_table():
    names = {name for name in url_names() if name.startswith(FHIR_NAMESPACE)}
    assert names == {name for name, _method in FHIR_EXPECTED}


def test_every_write_in_the_fhir_table_says_what_it_changes():
    assert {key for key in FHIR_EXPECTED if key[1] != "get"} == set(FHIR_CHANGES)


def test_a_search_for_another_partners_tasks_shows_none(world):
    cast = world.cast
    bundle = api_caller(cast, world, OTHER_PARTNER).get(
        "/fhir/Task", {"owner": f"Organization/partner-{cast.partner_y.pk}"}
    )
    assert bundle.status_code == OK and bundle.json().get("entry", []) == []
