"""Who may call which API endpoint: the integration clients of every kind, a revoked and an
expired one, no token, and every user's session (refused: sessions do not open the API).

Every URL under /api/ is in API_EXPECTED: an endpoint added without deciding who may call it
fails test_every_api_url_is_in_the_api_access_table. Allowed writes say what they change
(API_CHANGES); refused ones change nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from api.services import integration_client_revoke
from referrals.models import Referral
from tests.conftest import MEMBERS, Cast, kept_for_the_module, make_cast, referral_state
from tests.factories.api import api_client, integration_client
from tests.factories.referrals import accepted_referral
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


def answers(allowed: dict[str, int] | set[str], code: int = OK) -> dict[str, int]:
    """Each caller's answer: the allowed clients' own, 404 for other valid clients (never
    403), 401 for everyone without a valid token (users' sessions included)."""
    if isinstance(allowed, set):
        allowed = dict.fromkeys(allowed, code)
    return {who: allowed.get(who, NOT_FOUND if who in ANY_CLIENT else UNAUTHORIZED) for who in CALLERS}


PUBLIC = dict.fromkeys(CALLERS, OK)
AGENCIES, PARTNERS = {AGENCY, OTHER_AGENCY}, {PARTNER, OTHER_PARTNER}
CONFLICT, INVALID = 409, 422
# "name" (a GET) or "name POST": (body, expected answer for each caller). The referral under
# test was logged in agency A by officer_a1 and routed to partner Y, which accepted it (its
# 72-hour check open): some steps are its next ones (200), others are not (409, no change).
API_EXPECTED: dict[str, tuple[dict | None, dict[str, int]]] = {
    "api:schema": (None, PUBLIC),
    "api:docs": (None, PUBLIC),
    "api:v1:me": (None, answers(ANY_CLIENT)),
    # The agency side: each agency's own list; agency A's referral, to agency A only. Agency
    # B's system cannot name agency A's officer (422, nothing saved).
    "api:v1:deflections": (None, answers(AGENCIES)),
    "api:v1:deflections POST": ("deflection", answers({AGENCY: CREATED, OTHER_AGENCY: INVALID})),
    "api:v1:deflection": (None, answers({AGENCY})),
    # The partner side: each partner's own list; partner Y's referral, to partner Y only.
    "api:v1:referrals": (None, answers(PARTNERS)),
    "api:v1:referral": (None, answers({PARTNER})),
    "api:v1:referral_accept POST": ({}, answers({PARTNER: CONFLICT})),
    "api:v1:referral_decline POST": ({"reason": "no_capacity"}, answers({PARTNER: CONFLICT})),
    "api:v1:referral_intake POST": ({"note": "Came in"}, answers({PARTNER})),
    "api:v1:referral_hold POST": ({"note": "Waiting"}, answers({PARTNER})),
    "api:v1:referral_resume POST": ({}, answers({PARTNER: CONFLICT})),
    "api:v1:referral_complete POST": ({}, answers({PARTNER: CONFLICT})),
    "api:v1:referral_fail POST": ({"reason": "moved"}, answers({PARTNER})),
    "api:v1:follow_up_complete POST": ({"outcome": "engaged"}, answers({PARTNER})),
}
# What each write changes when it is allowed (a 200 or 201): a key of _state.
API_CHANGES: dict[str, str] = {
    "api:v1:deflections POST": "referrals",
    "api:v1:referral_accept POST": "status",
    "api:v1:referral_decline POST": "status",
    "api:v1:referral_intake POST": "status",
    "api:v1:referral_hold POST": "status",
    "api:v1:referral_resume POST": "status",
    "api:v1:referral_complete POST": "status",
    "api:v1:referral_fail POST": "status",
    "api:v1:follow_up_complete POST": "follow_ups_done",
}


@dataclass
class World:
    cast: Cast
    tokens: dict[str, str]
    referral: Referral


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """The cast, the integration clients and the referral under test, made once for the
    table's tests: each test's request, and what it changes, is rolled back."""
    with kept_for_the_module(django_db_blocker, lambda: api_world(make_cast())) as made:
        yield made


def api_world(cast: Cast) -> World:
    tokens = {
        AGENCY: integration_client(cast, agency=cast.agency_a)[1],
        PARTNER: integration_client(cast, partner=cast.partner_y)[1],
        OTHER_AGENCY: integration_client(cast, agency=cast.agency_b)[1],
        OTHER_PARTNER: integration_client(cast, partner=cast.partner_x)[1],
        EXPIRED: integration_client(cast, partner=cast.partner_y, days=1)[1],
    }
    revoked, tokens[REVOKED] = integration_client(cast, partner=cast.partner_y)
    integration_client_revoke(actor=cast.program_admin, client_id=revoked.pk)
    return World(cast=cast, tokens=tokens, referral=accepted_referral(cast))


def api_caller(cast, world: World, who: str):
    if who.startswith("session:"):
        return cast.login(who.split(":", 1)[1])
    return api_client(world.tokens.get(who))


def _url(name: str, world: World) -> str:
    referral = world.referral
    kwargs = {"referral_id": referral.pk} if name in ("api:v1:deflection", "api:v1:referral") else {}
    if name.startswith("api:v1:referral_"):
        kwargs = {"referral_id": referral.pk}
    if name == "api:v1:follow_up_complete":
        kwargs = {"follow_up_id": referral.follow_ups.get().pk}
    return reverse(name, kwargs=kwargs)


def _body(body, cast) -> dict | None:
    if body == "deflection":
        return {
            "submission_key": str(uuid.uuid4()),
            "officer_badge": cast.officer_a1.badge_number,
            "partner_id": cast.partner_y.pk,
            "pathway": "self_referral",
            "new_client": {"first_name": "Tobias", "last_name": "Fairweather"},
        }
    return body


def _state(referral: Referral) -> dict:
    return {**referral_state(referral), "referrals": Referral.objects.count()}


@pytest.mark.parametrize("key", sorted(API_EXPECTED))
@pytest.mark.parametrize("who", CALLERS)
def test_each_endpoint_answers_each_caller_as_decided(world, key, who):
    cast = world.cast
    name, _space, method = key.partition(" ")
    body, expected = API_EXPECTED[key]
    http = api_caller(cast, world, who)
    before = _state(world.referral)
    # Two days on: the expired client's token (one day) has run out.
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        if method == "POST":
            response = http.post(_url(name, world), _body(body, cast), content_type="application/json")
        else:
            response = http.get(_url(name, world))
    after = _state(world.referral)
    assert response.status_code == expected[who], (who, key, response.content[:300])
    if method == "POST" and response.status_code in (OK, CREATED):
        change = API_CHANGES[key]
        assert after[change] != before[change], f"{who} was allowed {key}, yet nothing changed"
    else:
        assert after == before, f"{who} got {response.status_code} from {key}, yet something changed"


def test_every_api_url_is_in_the_api_access_table():
    names = {name for name in url_names() if name.startswith(API_NAMESPACE)}
    assert names == {key.partition(" ")[0] for key in API_EXPECTED}


def test_every_write_in_the_table_says_what_it_changes():
    writes = {key for key in API_EXPECTED if key.endswith(" POST")}
    assert writes == set(API_CHANGES)
