"""An officer counts from the day their account is made, not from their first deflection: their
sergeant's roster, the list of officers not yet trained and the count of active officers that
participation divides by include them at once, and follow the account when it moves, stops
serving in the field, is deactivated or is deleted."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from deflection.models import User
from referrals.models import Officer, Referral
from referrals.services import officer_for_user, officer_sync
from reports import metrics
from tests.factories.core import UnitFactory, UserFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"


@pytest.fixture(autouse=True)
def _admin_may_manage_users(cast):
    """What a superuser gives a program admin to manage people."""
    codenames = [f"{action}_user" for action in ("view", "add", "change", "delete")]
    cast.program_admin.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


def _added_by_the_program_admin(cast, **fields) -> User:
    form = {
        "username": "nora.newman",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "usable_password": "true",
        "role": User.Role.OFFICER,
        "agency": cast.agency_a.pk,
        "unit": cast.unit_a.pk,
        "badge_number": "7001",
        "language": "en",
        "_save": "Save",
    } | fields
    response = cast.login("program_admin").post("/admin/deflection/user/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username=form["username"])
    # Django's add page takes the names on the next page, as the program admin would.
    user.first_name, user.last_name = "Nora", "Newman"
    return user


def _changed_by_the_program_admin(cast, user: User, **fields) -> None:
    form = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "role": user.role,
        "agency": user.agency_id or "",
        "unit": user.unit_id or "",
        "badge_number": user.badge_number,
        "language": "en",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "_save": "Save",
    } | fields
    form = {key: value for key, value in form.items() if value is not None}
    response = cast.login("program_admin").post(f"/admin/deflection/user/{user.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()


def _untrained_on_the_supervisors_dashboard(cast) -> str:
    page = cast.login("supervisor_a").get("/reports/dashboard/").content.decode()
    untrained = page[page.index('id="untrained"') :]
    return untrained[: untrained.index("</ul>")]


def _active_officers(cast, unit=None) -> int:
    unit_id = (unit or cast.unit_a).pk
    return metrics.officer_participation(agency_id=cast.agency_a.pk, at=timezone.now(), unit_id=unit_id).active


def test_a_new_officer_is_on_the_sergeants_lists_and_counted_before_any_deflection(cast):
    before = _active_officers(cast)
    user = _added_by_the_program_admin(cast)
    _changed_by_the_program_admin(cast, user)
    assert "Nora Newman" in _untrained_on_the_supervisors_dashboard(cast)
    assert _active_officers(cast) == before + 1
    officer = Officer.objects.get(user=user)
    assert (officer.badge_number, officer.unit_id, officer.is_active) == ("7001", cast.unit_a.pk, True)
    # Their first deflection finds the row there.
    assert officer_for_user(user=user) == officer


def test_a_new_sergeant_counts_too_and_command_staff_do_not(cast):
    before = _active_officers(cast)
    _added_by_the_program_admin(cast, username="sam.sergeant", role=User.Role.SUPERVISOR, badge_number="7002")
    _added_by_the_program_admin(cast, username="carl.command", role=User.Role.COMMAND, badge_number="")
    assert _active_officers(cast) == before + 1
    assert not Officer.objects.filter(user__username="carl.command").exists()


def test_an_officer_moved_to_another_unit_leaves_the_old_sergeants_lists_at_once(cast):
    eastside = UnitFactory(agency=cast.agency_a, name="Eastside Patrol")
    user = _added_by_the_program_admin(cast)
    before = (_active_officers(cast), _active_officers(cast, eastside))
    _changed_by_the_program_admin(cast, user, unit=eastside.pk)
    assert "Nora Newman" not in _untrained_on_the_supervisors_dashboard(cast)
    assert (_active_officers(cast), _active_officers(cast, eastside)) == (before[0] - 1, before[1] + 1)


@pytest.mark.parametrize(
    "change",
    [{"is_active": None}, {"role": User.Role.COMMAND}],
    ids=["deactivated", "no longer in the field"],
)
def test_an_account_that_stops_serving_in_the_field_stops_counting(cast, change):
    user = _added_by_the_program_admin(cast)
    before = _active_officers(cast)
    _changed_by_the_program_admin(cast, user, **change)
    assert _active_officers(cast) == before - 1
    assert "Nora Newman" not in _untrained_on_the_supervisors_dashboard(cast)
    assert Officer.objects.filter(user=user, is_active=False).exists()


def test_a_deleted_account_stops_counting_and_its_badge_given_again_is_a_new_officers(cast):
    """Badges are given again to new hires: the new officer must not take over the deleted
    officer's row, and with it their deflections and their clients' names."""
    user = _added_by_the_program_admin(cast)
    old_row = Officer.objects.get(user=user)
    ReferralFactory(officer=old_row, partner=cast.partner_y)
    before = _active_officers(cast)
    response = cast.login("program_admin").post(f"/admin/deflection/user/{user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert _active_officers(cast) == before - 1
    old_row.refresh_from_db()
    assert (old_row.user, old_row.is_active, old_row.badge_number) == (None, False, f"o{old_row.pk}")
    newcomer = _added_by_the_program_admin(cast, username="nina.newhire")
    assert Officer.objects.get(user=newcomer) != old_row
    assert Officer.objects.get(user=newcomer).badge_number == "7001"
    assert not Referral.objects.filter(officer__user=newcomer).exists()


def test_an_officer_added_by_hand_before_their_account_becomes_that_accounts(cast):
    named = OfficerFactory(user=None, agency=cast.agency_a, unit=None, badge_number="7001", display_name="N. Newman")
    user = _added_by_the_program_admin(cast)
    assert Officer.objects.get(user=user) == named
    assert Officer.objects.filter(agency=cast.agency_a, badge_number="7001").count() == 1


def test_a_row_without_a_sign_in_that_has_deflections_is_not_taken_over(cast):
    """A row left by an account deleted before its badge was given back."""
    gone = UserFactory(agency=cast.agency_a, unit=cast.unit_a)
    orphan = OfficerFactory(user=gone, agency=cast.agency_a, badge_number="7001", display_name="Old Timer")
    ReferralFactory(officer=orphan, partner=cast.partner_y)
    Officer.objects.filter(pk=orphan.pk).update(user=None)  # as Django's delete of the account left it
    user = _added_by_the_program_admin(cast)
    assert Officer.objects.get(user=user) != orphan
    orphan.refresh_from_db()
    assert (orphan.badge_number, orphan.is_active) == (f"o{orphan.pk}", False)


def test_a_very_long_name_is_cut_to_the_officers_name_field(cast):
    user = UserFactory(agency=cast.agency_a, unit=cast.unit_a, first_name="A" * 150, last_name="B" * 150)
    assert officer_sync(user=user).display_name == "A" * 150


def test_a_badge_given_again_leaves_the_former_holders_deflections_under_another_number(cast):
    former = UserFactory(agency=cast.agency_a, unit=cast.unit_a, badge_number="7001", role=User.Role.OFFICER)
    held = officer_sync(user=former)
    former.badge_number = "7999"
    former.is_active = False
    former.save()
    user = _added_by_the_program_admin(cast)
    held.refresh_from_db()
    assert (held.badge_number, held.user, held.is_active) == (f"o{held.pk}", former, True)
    assert Officer.objects.get(user=user).badge_number == "7001"


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_serving_field_account_its_officer_row():
    before = [("referrals", "0012_officer_totals_from_the_index")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    program = old.get_model("deflection", "Program").objects.create(name="Old program", timezone="America/Phoenix")
    agency = old.get_model("deflection", "Agency").objects.create(
        name="Old Town PD", timezone="America/Phoenix", program_id=program.pk
    )
    users = old.get_model("deflection", "User").objects
    never = users.create(username="never", first_name="Nell", last_name="Ever", role="officer", agency_id=agency.pk)
    gone = users.create(username="gone", role="officer", agency_id=agency.pk, badge_number="12", is_active=False)
    users.create(username="cmd", role="command", agency_id=agency.pk)
    Officer_ = old.get_model("referrals", "Officer")
    kept = Officer_.objects.create(user_id=gone.pk, agency_id=agency.pk, badge_number="12", display_name="Gone")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    made = Officer.objects.get(user_id=never.pk)
    assert (made.display_name, made.badge_number, made.is_active) == ("Nell Ever", f"u{never.pk}", True)
    assert not Officer.objects.get(pk=kept.pk).is_active
    assert Officer.objects.filter(agency_id=agency.pk).count() == 2
