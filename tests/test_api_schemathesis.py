"""The API against its own OpenAPI description, with generated requests (schemathesis), as an
agency's and as a partner's system: never a server error, every answer as described, and
another agency's or partner's ids never answered with 200."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from referrals import services
from referrals.models import FollowUp, Referral
from tests.factories.api import integration_client
from tests.factories.referrals import ClientFactory, OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db

_django = WSGIHandler()


def app(environ, start_response):
    """Django's WSGI handler inside the test's transaction, as Django's test client runs it:
    without the signals that would close the test's database connection between requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = _django(environ, start_response)
        body = list(response)
        response.close()
        return body
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Read at import, from the app itself (the description needs no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)


@pytest.fixture
def world(cast):
    """Referrals of both agencies and partners in every state an id may land on, and the
    integration clients of agency A and partner Y."""
    officer_a, officer_b = OfficerFactory(user=cast.officer_a1), OfficerFactory(user=cast.officer_b)
    referrals = []
    for officer, partner in [(officer_a, cast.partner_y), (officer_a, cast.partner_x), (officer_b, cast.partner_y)]:
        for _ in range(2):
            referrals.append(ReferralFactory(officer=officer, partner=partner, incident_number="24-1"))
        accepted = ReferralFactory(officer=officer, partner=partner)
        manager = cast.case_manager_y if partner == cast.partner_y else cast.case_manager_x
        services.referral_accept(referral_id=accepted.pk, actor=manager)
        referrals.append(accepted)
    ClientFactory(agency=cast.agency_a, first_name="Known", last_name="Person")
    return {
        "agency": integration_client(cast, agency=cast.agency_a),
        "partner": integration_client(cast, partner=cast.partner_y),
        "referral_ids": [r.pk for r in referrals],
        "follow_up_ids": list(FollowUp.objects.values_list("pk", flat=True)),
    }


def _theirs(kind: str, client, case) -> str | None:
    """Why an id in the path is not this client's to see, or None."""
    referral_id = case.path_parameters.get("referral_id")
    follow_up_id = case.path_parameters.get("follow_up_id")
    scope = {"agency_id": client.agency_id} if kind == "agency" else {"partner_id": client.partner_id}
    if referral_id is not None and not Referral.objects.filter(pk=referral_id, **scope).exists():
        return f"referral {referral_id}"
    if follow_up_id is not None:
        follow_scope = {f"referral__{key}": value for key, value in scope.items()}
        if not FollowUp.objects.filter(pk=follow_up_id, **follow_scope).exists():
            return f"follow-up {follow_up_id}"
    return None


def _aim(case, world) -> None:
    """Point generated ids at rows that exist, theirs and others' alike (random integers
    would nearly always miss), so that "never 200 for another's id" is really tried."""
    for name, pool in (("referral_id", world["referral_ids"]), ("follow_up_id", world["follow_up_ids"])):
        value = case.path_parameters.get(name)
        if isinstance(value, int) and pool:
            case.path_parameters[name] = pool[value % len(pool)]


@pytest.fixture(autouse=True)
def _no_rate_limit(settings) -> None:
    settings.API_RATES = {"burst": "100000/minute", "sustained": "1000000/day"}


_FUZZ = hypothesis_settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _call_and_check(case, kind: str, world) -> None:
    client, token = world[kind]
    _aim(case, world)
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
    if response.status_code == 200:
        theirs = _theirs(kind, client, case)
        assert theirs is None, f"the {kind}'s system was shown {theirs}"


@schema.parametrize()
@_FUZZ
def test_the_api_answers_an_agencys_system_as_described(case, world):
    _call_and_check(case, "agency", world)


@schema.parametrize()
@_FUZZ
def test_the_api_answers_a_partners_system_as_described(case, world):
    _call_and_check(case, "partner", world)
