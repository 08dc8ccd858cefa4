"""The demo is a region: one program with a police department and a sheriff's office that
refer to the same partners, a regional coordinator who sees both side by side, and each
agency's staff who see only their own."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from django.utils.html import escape

from deflection.models import Agency, Program, User
from partners.models import ServicePartner
from referrals.demo.data import AGENCY_NAME, DEMO_PASSWORD, PROGRAM_NAME, SHERIFF_NAME
from referrals.models import Referral

pytestmark = pytest.mark.django_db


def _signed_in(username: str) -> HttpClient:
    client = HttpClient()
    assert client.login(username=username, password=DEMO_PASSWORD)
    return client


def test_the_demo_program_has_a_police_department_and_a_sheriffs_office_sharing_partners(demo):
    assert PROGRAM_NAME in demo
    program = Program.objects.get(name=PROGRAM_NAME, is_demo=True)
    police, sheriff = Agency.objects.get(name=AGENCY_NAME), Agency.objects.get(name=SHERIFF_NAME)
    assert police.program == sheriff.program == program
    assert (police.kind, sheriff.kind) == (Agency.Kind.POLICE, Agency.Kind.SHERIFF)
    partners = ServicePartner.objects.filter(agencies=police)
    assert partners.exists() and set(partners) == set(ServicePartner.objects.filter(agencies=sheriff))
    # Both agencies' deputies and officers refer to them, and the same case managers work both.
    for agency in (police, sheriff):
        assert Referral.objects.filter(agency=agency).values("partner").distinct().count() >= 3
    mat = ServicePartner.objects.get(name__contains="MAT")
    assert {r.agency_id for r in Referral.objects.filter(partner=mat)} == {police.pk, sheriff.pk}


def test_the_demo_coordinator_sees_both_agencies_beside_the_whole(demo):
    coordinator = User.objects.get(username="coordinator")
    assert coordinator.agency is None and coordinator.program.name == PROGRAM_NAME
    client = _signed_in("coordinator")
    assert client.get("/")["Location"] == "/reports/program/"
    page = client.get("/reports/program/").content.decode()
    assert escape(AGENCY_NAME) in page and escape(SHERIFF_NAME) in page and "Whole program" in page
    # Aggregates only, every count as it is shown outside an agency.
    assert client.get("/reports/dashboard/").status_code == 404


def test_the_demo_deputy_sees_only_the_sheriffs_office(demo):
    deputy = _signed_in("deputy")
    mine = deputy.get("/mine/").content.decode()
    sheriff_referral = Referral.objects.filter(agency__name=SHERIFF_NAME, officer__user__username="deputy").first()
    police_referral = Referral.objects.filter(agency__name=AGENCY_NAME).first()
    assert sheriff_referral is not None and f"/referrals/{sheriff_referral.pk}/" in mine
    assert deputy.get(f"/referrals/{police_referral.pk}/").status_code == 404
    # The police department's command staff never see the sheriff's office.
    command = _signed_in("command")
    dashboard = command.get(f"/reports/dashboard/?agency={sheriff_referral.agency_id}").content.decode()
    assert escape(SHERIFF_NAME) not in dashboard
