"""The app's database role can run the app but cannot empty, change or unprotect the access record.

A temporary login role is created in the test database, given the app's privileges as
`migrate` gives them, and used from a connection of its own (committed data: these tests
run outside the test transaction). On SQLite there are no roles: skipped, except under CI,
which runs on PostgreSQL (tests/test_ci_services.py).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone

from deflection.database_roles import UnsafeAppRole, app_role_grant
from deflection.models import AccessEvent
from referrals import services
from referrals.models import Referral
from tests.factories.core import PASSWORD
from tests.factories.referrals import accepted_referral

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles are PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]


def _execute(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def app_role():
    """A login role that owns nothing, dropped with whatever was granted to it afterwards."""
    role = f"deflection_test_app_{uuid.uuid4().hex[:8]}"
    _execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        yield role
    finally:
        connection.close()  # a test may have left it connected as the role
        _execute(f'DROP OWNED BY "{role}"')  # its privileges and default privileges here
        _execute(f'DROP ROLE "{role}"')


def _connect_as(role: str):
    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=settings["NAME"], user=role, host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432
    )


@pytest.fixture
def referral(cast) -> Referral:
    return accepted_referral(cast, occurred_at=timezone.now() - timedelta(hours=3))


REFUSED = {
    "TRUNCATE": "TRUNCATE deflection_accessevent",
    "DELETE": "DELETE FROM deflection_accessevent",
    "UPDATE": "UPDATE deflection_accessevent SET what = 'nothing'",
    "ALTER TABLE": "ALTER TABLE deflection_accessevent ADD COLUMN note text",
    "DISABLE TRIGGER": "ALTER TABLE deflection_accessevent DISABLE TRIGGER deflection_accessevent_final",
    "DROP TRIGGER": "DROP TRIGGER deflection_accessevent_final ON deflection_accessevent",
    "DROP TABLE": "DROP TABLE deflection_accessevent",
    "CREATE TABLE": "CREATE TABLE deflection_elsewhere (id int)",
}


def test_the_app_role_may_add_to_and_read_the_access_record_and_nothing_more(app_role, cast, referral):
    cast.login("officer_a1").get(f"/referrals/{referral.pk}/")
    app_role_grant(role=app_role)

    as_app = _connect_as(app_role)
    as_app.autocommit = True
    try:
        with as_app.cursor() as cursor:
            cursor.execute(
                "INSERT INTO deflection_accessevent (at, user_id, role, action, what, client_id, list_digest)"
                " VALUES (now(), %s, 'officer', 'viewed', 'by the app role', %s, '')",
                [cast.officer_a1.pk, referral.client_id],
            )
            cursor.execute("SELECT what FROM deflection_accessevent ORDER BY id")
            assert [what for (what,) in cursor.fetchall()] == ["referral page", "by the app role"]

            refusals = {}
            for name, sql in REFUSED.items():
                with pytest.raises(psycopg2.errors.InsufficientPrivilege) as refused:
                    cursor.execute(sql)
                refusals[name] = str(refused.value).splitlines()[0]
            for name, message in refusals.items():
                print(f"{name:16} refused: {message}")

            cursor.execute("SELECT count(*) FROM deflection_accessevent")
            assert cursor.fetchone() == (2,)
    finally:
        as_app.close()
    assert AccessEvent.objects.filter(what="referral page").count() == 1


def test_the_app_role_runs_the_app_sign_in_pages_casework_and_the_access_record(app_role, cast, referral):
    app_role_grant(role=app_role)
    owner = connection.settings_dict["USER"]
    # Django's own connection as the app role: sign-in (session, lockout log), a client's
    # page (an access event), a case manager's step on the referral (referral and history).
    connection.close()
    connection.settings_dict["USER"] = app_role
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (app_role,)
        HttpClient().post("/accounts/login/", {"username": "officer_a1", "password": "wrong password"})
        officer = HttpClient()
        assert officer.post("/accounts/login/", {"username": "officer_a1", "password": PASSWORD}).status_code == 302
        assert officer.get(f"/referrals/{referral.pk}/").status_code == 200
        assert AccessEvent.objects.filter(what="referral page", user=cast.officer_a1).exists()
        services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y)
        assert Referral.objects.get(pk=referral.pk).status == Referral.Status.IN_PROGRESS
        officer.post("/accounts/logout/")
    finally:
        connection.close()
        connection.settings_dict["USER"] = owner


def test_a_role_that_owns_tables_or_is_a_superuser_is_refused(app_role):
    _execute(f'CREATE TABLE deflection_test_owned (id int); ALTER TABLE deflection_test_owned OWNER TO "{app_role}"')
    with pytest.raises(UnsafeAppRole, match="owns tables"):
        app_role_grant(role=app_role)
    with pytest.raises(CommandError, match="owns tables"):
        call_command("db_grant_app_role", app_role)
    _execute("DROP TABLE deflection_test_owned")
    _execute(f'ALTER ROLE "{app_role}" SUPERUSER')
    with pytest.raises(UnsafeAppRole, match="superuser"):
        app_role_grant(role=app_role)
