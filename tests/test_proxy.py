"""The client's address behind trusted proxies, and forwarded headers ignored without them."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from deflection.models import AccessEvent
from deflection.proxy import forwarded_client
from tests.factories.core import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("header", "proxies", "expected"),
    [
        ("203.0.113.9", 1, "203.0.113.9"),
        ("6.6.6.6, 203.0.113.9", 1, "203.0.113.9"),  # the client wrote the first entry itself
        ("6.6.6.6, 203.0.113.9, 10.0.0.2", 2, "203.0.113.9"),
        ("203.0.113.9", 2, None),  # fewer hops than trusted proxies: not trusted
        ("not-an-address", 1, None),
        ("2001:db8::7", 1, "2001:db8::7"),
        ("203.0.113.9", 0, None),
    ],
)
def test_the_client_is_the_entry_the_outermost_trusted_proxy_added(header, proxies, expected):
    assert forwarded_client(header, proxies) == expected


def _search_address(cast, **extra) -> str | None:
    client = HttpClient(**extra)
    assert client.login(username=cast.officer_a1.username, password=PASSWORD)
    client.post("/log/clients/", {"search": "Rosalind Ives"})
    return AccessEvent.objects.order_by("-id").values_list("address", flat=True).first()


@pytest.fixture
def someone(cast):
    from tests.factories.referrals import ClientFactory

    return ClientFactory(agency=cast.agency_a, first_name="Rosalind", last_name="Ives")


def test_without_trusted_proxies_a_forwarded_header_is_ignored(cast, someone, settings):
    settings.PROXY_COUNT = 0
    address = _search_address(cast, REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert address == "198.51.100.4"


def test_behind_a_trusted_proxy_the_access_record_has_the_clients_address(cast, someone, settings):
    settings.PROXY_COUNT = 1
    address = _search_address(cast, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert address == "203.0.113.9"
