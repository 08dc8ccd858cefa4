"""The admin site, for a program administrator given model permissions like any staff: their
program's rows only, in every list, page, choice and filter; another program's row answers
404; nobody is made a superuser here but by a superuser."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from deflection import audit
from deflection.models import AccessEvent, User
from tests.factories.core import UserFactory
from tests.factories.referrals import ClientFactory, OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db

MODELS = ["referral", "client", "agency", "user", "servicepartner", "unit"]


def _grant(user: User) -> None:
    """View, add and change on the program's main models: what a superuser gives a program admin."""
    codenames = [f"{action}_{model}" for model in MODELS for action in ("view", "add", "change")]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


@pytest.fixture
def rows(cast):
    _grant(cast.program_admin)
    _grant(cast.program_admin_2)
    officer_c = UserFactory(username="officer_c", agency=cast.agency_c)
    return {
        "mine": ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y),
        "theirs": ReferralFactory(officer=OfficerFactory(user=officer_c), partner=cast.partner_z),
    }


def test_the_lists_show_only_the_programs_rows(cast, rows):
    client = cast.login("program_admin")
    referrals = client.get("/admin/referrals/referral/").content.decode()
    assert f"/admin/referrals/referral/{rows['mine'].pk}/change/" in referrals
    assert f"/admin/referrals/referral/{rows['theirs'].pk}/change/" not in referrals
    # The list's filters offer the program's agencies and partners only.
    assert "Agency A Police" in referrals and "Agency C" not in referrals and "Z Crisis" not in referrals
    agencies = client.get("/admin/deflection/agency/").content.decode()
    assert "Agency A Police" in agencies and "Agency C" not in agencies
    users = client.get("/admin/deflection/user/").content.decode()
    assert "officer_a1" in users and "officer_c" not in users and "program_admin_2" not in users
    # Not a superuser's account either: it could be signed in as.
    assert ">admin<" not in users


@pytest.mark.parametrize(
    "path",
    [
        "/admin/referrals/referral/{theirs}/change/",
        "/admin/referrals/client/{client}/change/",
        "/admin/deflection/agency/{agency_c}/change/",
        "/admin/deflection/user/{program_admin_2}/change/",
        "/admin/deflection/user/{program_admin_2}/password/",
        "/admin/partners/servicepartner/{partner_z}/change/",
        "/admin/deflection/user/{admin}/change/",
    ],
)
def test_another_programs_row_answers_404(cast, rows, path):
    url = path.format(
        theirs=rows["theirs"].pk,
        client=rows["theirs"].client_id,
        agency_c=cast.agency_c.pk,
        program_admin_2=cast.program_admin_2.pk,
        partner_z=cast.partner_z.pk,
        admin=cast.admin.pk,
    )
    assert cast.login("program_admin").get(url).status_code == 404
    assert cast.login("admin").get(url).status_code == 200


def test_the_forms_offer_only_the_programs_agencies_partners_and_program(cast, rows):
    page = cast.login("program_admin").get("/admin/deflection/user/add/").content.decode()
    assert "Agency A Police" in page and "Agency B Sheriff" in page
    assert "Agency C" not in page and "Z Crisis" not in page and "Second Valley" not in page
    # Posted anyway, another program's agency is refused and nobody is added.
    response = cast.login("program_admin").post(
        "/admin/deflection/user/add/",
        {
            "username": "newcomer",
            "password1": "a-long-enough-pass-9",
            "password2": "a-long-enough-pass-9",
            "role": "officer",
            "agency": cast.agency_c.pk,
            "_save": "Save",
        },
    )
    assert response.status_code == 200 and "agency" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="newcomer").exists()


def test_a_program_admin_cannot_make_anyone_a_superuser(cast, rows):
    client = cast.login("program_admin")
    page = client.get(f"/admin/deflection/user/{cast.officer_a1.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    officer = cast.officer_a1
    client.post(
        f"/admin/deflection/user/{officer.pk}/change/",
        {
            "username": officer.username,
            "first_name": officer.first_name,
            "last_name": officer.last_name,
            "email": officer.email,
            "is_active": "on",
            "is_superuser": "on",
            "role": officer.role,
            "agency": cast.agency_a.pk,
            "unit": cast.unit_a.pk,
            "badge_number": officer.badge_number,
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "_save": "Save",
        },
    )
    officer.refresh_from_db()
    assert not officer.is_superuser


def test_editing_a_partner_serving_two_programs_keeps_the_other_programs_agencies(cast, rows):
    partner = cast.partner_y
    partner.agencies.add(cast.agency_c)
    response = cast.login("program_admin").post(
        f"/admin/partners/servicepartner/{partner.pk}/change/",
        {
            "name": partner.name,
            "kind": partner.kind,
            "is_24_7": "on",
            "capacity_status": partner.capacity_status,
            "is_active": "on",
            "agencies": [cast.agency_a.pk],  # agency B taken off; agency C was never offered
            "tier_changes-TOTAL_FORMS": "0",
            "tier_changes-INITIAL_FORMS": "0",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(partner.agencies.all()) == {cast.agency_a, cast.agency_c}


def test_the_access_record_shows_a_program_administrator_their_programs_clients_only(cast, rows):
    mine, theirs = rows["mine"], rows["theirs"]
    other_client = ClientFactory(agency=cast.agency_c)
    for client_id in (mine.client_id, theirs.client_id, other_client.pk):
        AccessEvent.objects.create(
            user=cast.case_manager_y, role="case_manager", action=audit.Action.VIEWED, what="x", client_id=client_id
        )
    page_1 = cast.login("program_admin").get("/admin/deflection/accessevent/").content.decode()
    page_2 = cast.login("program_admin_2").get("/admin/deflection/accessevent/").content.decode()

    def shown(page: str, client_id: int) -> bool:
        return f'<td class="field-client_id">{client_id}</td>' in page

    assert shown(page_1, mine.client_id) and not shown(page_1, theirs.client_id)
    assert shown(page_2, theirs.client_id) and shown(page_2, other_client.pk) and not shown(page_2, mine.client_id)
