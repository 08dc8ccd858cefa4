"""What each one sees on the pages they may use: each role's home, the admin, lists and
searches that show only their own, counts without client identities, a menu of pages they
may open. Who may open which page is the access table's (test_access.py)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from referrals.models import Referral
from tests.conftest import has_word
from tests.factories.referrals import (
    ClientFactory,
    OfficerFactory,
    ReferralFactory,
    accepted_referral,
    consent_given,
)
from tests.test_access import ADMINS_ANY, CAST, EVERYONE

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(cast) -> Referral:
    """Officer A1's deflection to partner Y, accepted by its case manager, with a consent on file."""
    referral = accepted_referral(cast)
    consent_given(referral, cast.case_manager_y, purpose="Outcome to the officer", signature_name="Client Signature")
    return referral


@pytest.mark.parametrize(
    ("who", "lands_on"),
    [
        ("officer_a1", "/log/"),
        ("supervisor_a", "/log/"),
        ("case_manager_x", "/queue/"),
        ("command_a", "/reports/command/"),
        ("admin", "/admin/"),
        ("program_admin", "/admin/"),
        ("program_admin_2", "/admin/"),
        ("coordinator", "/reports/program/"),
    ],
)
def test_each_role_lands_on_its_own_home(cast, who, lands_on):
    response = cast.login(who).get("/")
    assert response.status_code == 302 and response["Location"] == lands_on


def test_anonymous_visitors_are_sent_to_sign_in(cast):
    response = cast.login(None).get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_only_the_admin_reaches_the_admin(cast):
    for who in CAST:
        response = cast.login(who).get("/admin/")
        if who in ADMINS_ANY:
            assert response.status_code == 200
        else:
            assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    ("path", "superuser", "program_admin"),
    [
        ("/admin/deflection/accessevent/", 200, 200),
        ("/admin/deflection/user/", 200, 403),
        ("/admin/deflection/agency/", 200, 403),
        ("/admin/partners/servicepartner/", 200, 403),
        ("/admin/referrals/referral/", 200, 403),
        ("/admin/referrals/client/", 200, 403),
        ("/admin/referrals/justiceagency/", 200, 403),
        ("/admin/referrals/heldcharge/", 200, 403),
        ("/admin/referrals/chargenotice/", 200, 403),
        ("/admin/reports/successstory/", 200, 403),
        ("/admin/buyin/officerfeedback/", 200, 403),
    ],
)
def test_a_program_admin_who_is_not_a_superuser_reviews_the_access_record_and_nothing_else_in_the_admin(
    cast, path, superuser, program_admin
):
    """The role opens the access record (deflection.permissions.may_review_access); the
    admin's other pages need model permissions, which nothing grants the role by itself:
    a program admin without the superuser flag is given them in the admin, like any staff."""
    assert cast.login("admin").get(path).status_code == superuser
    assert cast.login("program_admin").get(path).status_code == program_admin


def test_my_deflections_lists_only_the_officers_own(cast, referral):
    # A name of its own: two generated last names can be the same.
    other = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a2), partner=cast.partner_y, client__last_name="Quillfeather"
    )
    page = cast.login("officer_a1").get("/mine/").content.decode()
    assert referral.client.last_name in page
    assert not has_word(page, other.client.last_name)


def test_the_partner_queue_shows_only_referrals_routed_to_that_partner(cast, referral):
    to_x = ReferralFactory(officer=OfficerFactory(user=cast.officer_a2), partner=cast.partner_x)
    queue_y = cast.login("case_manager_y").get("/queue/").content.decode()
    queue_x = cast.login("case_manager_x").get("/queue/").content.decode()
    assert has_word(queue_y, referral.client.last_name) and not has_word(queue_y, to_x.client.last_name)
    assert has_word(queue_x, to_x.client.last_name) and not has_word(queue_x, referral.client.last_name)


def test_the_client_search_never_returns_another_agencys_clients(cast):
    ClientFactory(agency=cast.agency_b, first_name="Rosalind", last_name="Quackenbush")
    ClientFactory(agency=cast.agency_a, first_name="Rosalind", last_name="Quackenbosh")
    page = cast.login("officer_a1").post("/log/clients/", {"search": "Rosalind Quackenbush"}).content.decode()
    assert "Quackenbosh" in page and "Quackenbush" not in page
    page_b = cast.login("officer_b").post("/log/clients/", {"search": "Rosalind Quackenbush"}).content.decode()
    assert "Quackenbush" in page_b and "Quackenbosh" not in page_b


def test_command_staff_see_counts_and_no_client_identities(cast):
    referrals = [
        ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y) for _ in range(12)
    ]
    page = cast.login("command_a").get("/reports/command/").content.decode()
    assert 'id="count-deflections">12<' in page
    assert "Deflections by pathway</caption>" in page and '<th scope="col">Pathway</th>' in page
    for r in referrals:
        assert not has_word(page, r.client.last_name)
        assert not has_word(page, r.client.first_name)


def test_command_staff_see_their_agencys_small_counts_exactly_but_not_the_partners(cast, referral):
    # November's (where the referrals stand covers months counted: November from January 1), and
    # within the last 90 days.
    phoenix = ZoneInfo("America/Phoenix")
    Referral.objects.filter(pk=referral.pk).update(occurred_at=datetime(2026, 11, 29, 9, 0, tzinfo=phoenix))
    with time_machine.travel(datetime(2027, 1, 5, 10, 0, tzinfo=phoenix), tick=False):
        page = cast.login("command_a").get("/reports/command/", {"days": "90"}).content.decode()
    # One deflection: the agency's own police work, exact for its command staff.
    assert 'id="count-deflections">1<' in page
    # Where that one referral stands is the partner's record: with the total shown as 1,
    # any status shown (even as <11 beside zeros) would tell it, so every status is withheld.
    status = page[page.index("Where the referrals stand") : page.index("From the partners' treatment records")]
    assert ">1<" not in status and ">0<" not in status and "—" in status


def test_the_client_search_is_a_post_so_names_stay_out_of_urls(cast):
    response = cast.login("officer_a1").get("/log/clients/", {"search": "Smith"})
    assert response.status_code == 405


def test_a_program_admin_who_is_not_a_superuser_opens_a_clients_accounting_of_disclosures(cast, referral):
    """The accounting of disclosures is the access record of one client: the same rule opens it."""
    path = f"/admin/referrals/client/{referral.client_id}/disclosures/"
    assert cast.login("program_admin").get(path).status_code == 200
    assert cast.login("command_a").get(path).status_code == 302  # not staff: to the admin's sign-in


@pytest.mark.parametrize("who", sorted(EVERYONE))
def test_the_menu_links_only_to_pages_the_user_may_open(cast, who):
    client = cast.login(who)
    page = client.get(reverse("two_factor")).content.decode()
    menu = page[page.index("<nav") : page.index("</nav>")]
    links = {href for href in re.findall(r'href="(/[^"]*)"', menu) if href != reverse("logout")}
    assert reverse("password_change") in links  # the menu was read
    for href in links:
        # Followed: the brand's link is the home page, which sends each role to its own.
        response = client.get(href, follow=True)
        assert response.status_code == 200 and "/login/" not in response.request["PATH_INFO"], (who, href)


@pytest.mark.parametrize("who", ["officer_a1", "command_a", "case_manager_x"])
def test_the_menu_marks_the_page_the_user_is_on_and_no_other(cast, who):
    client = cast.login(who)
    for name in ("language", "password_change"):
        page = client.get(reverse(name)).content.decode()
        menu = page[page.index("<nav") : page.index("</nav>")]
        current = re.findall(r'<a class="nav-link active" href="([^"]*)" aria-current="page">', menu)
        assert current == [reverse(name)], (who, name)
        assert menu.count("aria-current") == 1 and menu.count(" active") == 1
