"""Who may call which API endpoint: the integration clients of every kind, a revoked and an
expired one, no token, and every user's session (refused: sessions do not open the API).

Every URL under /api/ is in API_EXPECTED: an endpoint added without deciding who may call it
fails test_every_api_url_is_in_the_api_access_table. Allowed writes say what they change
(API_CHANGES); refused ones change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.conftest import MEMBERS
from tests.factories.api import api_client, integration_client
from tests.test_access import API_NAMESPACE, url_names

pytestmark = pytest.mark.django_db

# The callers: integration clients by what they act for, and the refused ones.
AGENCY, PARTNER = "agency_a_client", "partner_y_client"
OTHER_AGENCY, OTHER_PARTNER = "agency_b_client", "partner_x_client"
REVOKED, EXPIRED, NO_TOKEN = "revoked_client", "expired_client", "no_token"
CLIENTS = [AGENCY, PARTNER, OTHER_AGENCY, OTHER_PARTNER, REVOKED, EXPIRED, NO_TOKEN]
CALLERS = [*CLIENTS, *(f"session:{m}" for m in MEMBERS)]
OK, CREATED, NOT_FOUND, UNAUTHORIZED = 200, 201, 404, 401
ANY_CLIENT = {AGENCY, PARTNER, OTHER_AGENCY, OTHER_PARTNER}


def _expect(allowed: dict[str, int] | set[str], code: int = OK) -> dict[str, int]:
    """Each caller's answer: the allowed clients' own, 404 for other valid clients (never
    403), 401 for everyone without a valid token (users' sessions included)."""
    if isinstance(allowed, set):
        allowed = dict.fromkeys(allowed, code)
    return {who: allowed.get(who, NOT_FOUND if who in ANY_CLIENT else UNAUTHORIZED) for who in CALLERS}


PUBLIC = dict.fromkeys(CALLERS, OK)
# name: (method, body, expected answer for each caller). The referral under test was logged in
# agency A by officer_a1 and routed to partner Y (accepted, so that every move has one to make).
API_EXPECTED: dict[str, tuple[str, dict | None, dict[str, int]]] = {
    "api:schema": ("get", None, PUBLIC),
    "api:docs": ("get", None, PUBLIC),
    "api:v1:me": ("get", None, _expect(ANY_CLIENT)),
}
# What each allowed write changes (a referral_state key, or "status").
API_CHANGES: dict[str, str] = {}


@dataclass
class World:
    tokens: dict[str, str]


@pytest.fixture
def world(cast) -> World:
    tokens = {
        AGENCY: integration_client(cast, agency=cast.agency_a)[1],
        PARTNER: integration_client(cast, partner=cast.partner_y)[1],
        OTHER_AGENCY: integration_client(cast, agency=cast.agency_b)[1],
        OTHER_PARTNER: integration_client(cast, partner=cast.partner_x)[1],
        EXPIRED: integration_client(cast, partner=cast.partner_y, days=1)[1],
    }
    revoked, tokens[REVOKED] = integration_client(cast, partner=cast.partner_y)
    from api.services import integration_client_revoke

    integration_client_revoke(actor=cast.program_admin, client_id=revoked.pk)
    return World(tokens=tokens)


def _http(cast, world: World, who: str):
    if who.startswith("session:"):
        return cast.login(who.split(":", 1)[1])
    return api_client(world.tokens.get(who))


def _url(name: str, world: World) -> str:
    return reverse(name, kwargs={}.get(name, {}))


@pytest.mark.parametrize("name", sorted(API_EXPECTED))
@pytest.mark.parametrize("who", CALLERS)
def test_each_endpoint_answers_each_caller_as_decided(cast, world, name, who):
    method, body, expected = API_EXPECTED[name]
    http = _http(cast, world, who)
    # Two days on: the expired client's token (one day) has run out.
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        if method == "get":
            response = http.get(_url(name, world))
        else:
            response = getattr(http, method)(_url(name, world), body, content_type="application/json")
    assert response.status_code == expected[who], (who, name, response.content[:300])


def test_every_api_url_is_in_the_api_access_table():
    names = {name for name in url_names() if name.startswith(API_NAMESPACE)}
    assert names == set(API_EXPECTED)


def test_every_write_in_the_table_says_what_it_changes():
    writes = {name for name, (method, _body, _expected) in API_EXPECTED.items() if method != "get"}
    assert writes == set(API_CHANGES)
