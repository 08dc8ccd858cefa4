"""The fixed cast every access test uses.

The first program: agency A has two officers (in the same unit) and a command user; agency
B has one officer. Partner X serves agency A, partner Y serves agencies A and B; each has a
case manager. Two program admins: `admin`, a superuser (who sees every program), and
`program_admin`, staff but no superuser, for whom the role alone must do (their program).
`coordinator` is the first program's regional coordinator (command staff without an agency).

The second program, elsewhere: agency C (with a unit) and partner Z serving it, its own
program administrator `program_admin_2` (staff, no superuser) and regional coordinator
`coordinator_2`. Nothing of one program is the other's.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TypeVar

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client as HttpClient
from django.utils import translation

from buyin.models import OfficerFeedback
from deflection.models import Agency, Program, Unit, User
from partners.models import ServicePartner
from referrals.models import Referral
from reports.models import SuccessStory
from tests.factories.core import PASSWORD, AgencyFactory, ProgramFactory, UnitFactory, UserFactory
from tests.factories.partners import ServicePartnerFactory
from tests.factories.referrals import JusticeAgencyFactory


@pytest.fixture(autouse=True)
def _empty_process_cache():
    """Each test starts with the process's own cache empty (the log form's fields kept drawn,
    the offline strings): what one test drew, perhaps for rows since rolled back, is not what
    the next one reads."""
    caches["default"].clear()


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language. A request by a user who reads Spanish leaves
    Spanish active in the thread after its response (the next request sets its own), so
    without this a test calling code directly would read the language of the test before."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


T = TypeVar("T")
TESTS = Path(__file__).resolve().parent

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_collection_finish(session) -> None:
    """What the imports and the collection made lives until the end of the run: frozen, Python's
    collector stops walking it at every full collection (the suite runs about 15% faster)."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config, items) -> None:
    """The worker tests first. They take the broker's Redis database in turn, so on two
    processes they would wait for each other; first in the order, they fall in the first
    chunk pytest-xdist hands one process, which runs them back to back while the other
    process starts on the browser tests."""
    items.sort(key=lambda item: item.get_closest_marker("integration") is None)
    # `make test` collects the browser and worker tests from their two folders only.
    folders = (TESTS / "browser", TESTS / "integration")
    astray = [
        item.nodeid
        for item in items
        if (item.get_closest_marker("browser") or item.get_closest_marker("integration"))
        and not any(item.path.is_relative_to(folder) for folder in folders)
    ]
    if astray:
        raise pytest.UsageError(f"browser and worker tests belong in tests/browser or tests/integration: {astray}")


@pytest.fixture(scope="session", autouse=True)
def _transactional_tests_empty_tables_by_delete() -> Iterator[None]:
    """After each transactional test (the browser and worker tests, and a few others) Django
    empties every table. On PostgreSQL it does that with one TRUNCATE of them all, which makes
    every table anew; deleting the few rows a test leaves is far cheaper and leaves the same
    empty tables. The foreign keys (all deferrable) are checked at commit, once all is gone.
    A table whose trigger refuses DELETE (the access record, append-only) is truncated."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    operations = type(connection.ops)
    truncate_all = operations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade or not tables:
            return truncate_all(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal"
            )
            guarded = {name for (name,) in cursor.fetchall()}
        return [
            "SET CONSTRAINTS ALL DEFERRED;",
            *(f"{'TRUNCATE' if table in guarded else 'DELETE FROM'} {self.quote_name(table)};" for table in tables),
        ]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(operations, "sql_flush", sql_flush)
        yield


@dataclass
class Cast:
    program_1: Program
    program_2: Program
    agency_a: Agency
    agency_b: Agency
    agency_c: Agency
    unit_a: Unit
    unit_c: Unit
    partner_x: ServicePartner
    partner_y: ServicePartner
    partner_z: ServicePartner
    officer_a1: User
    officer_a2: User
    officer_b: User
    supervisor_a: User
    case_manager_x: User
    case_manager_y: User
    command_a: User
    admin: User
    program_admin: User
    coordinator: User
    program_admin_2: User
    coordinator_2: User

    def login(self, who: str | None) -> HttpClient:
        """A test client signed in as a member of the cast (None: anonymous)."""
        client = HttpClient()
        if who is not None:
            assert client.login(username=getattr(self, who).username, password=PASSWORD)
        return client


# The cast's members by attribute name, in Cast's order: the roles every access test goes through.
MEMBERS = [field.name for field in fields(Cast) if field.type == "User"]


def _member(username: str, name: str, **fields) -> User:
    """A member of the cast without a badge (badges are the police's) and, unless given, an agency."""
    first_name, last_name = name.split()
    fields = {"agency": None, "badge_number": "", **fields}
    return UserFactory(username=username, first_name=first_name, last_name=last_name, **fields)


@pytest.fixture
def cast(db) -> Cast:
    return make_cast()


@contextlib.contextmanager
def kept_for_the_module(django_db_blocker, build: Callable[[], T]) -> Iterator[T]:
    """What `build` makes, committed once for a module whose many tests only read it or
    change it inside their own rollback: the access tables, a page for each member of the
    cast, where making the cast and its rows for every test took most of the suite's time.
    Every table is emptied after the module, as after a transactional test."""
    with django_db_blocker.unblock():
        made = build()
    try:
        yield made
    finally:
        with django_db_blocker.unblock():
            call_command("flush", verbosity=0, interactive=False)


def make_cast() -> Cast:
    program_1 = ProgramFactory()  # the default program, which factories put agencies in
    program_2 = ProgramFactory(name="Second Valley Deflection Program", timezone="America/Chicago")
    agency_a = AgencyFactory(name="Agency A Police Department", default_deflection_minutes=25)
    agency_b = AgencyFactory(name="Agency B Sheriff's Office", kind=Agency.Kind.SHERIFF)
    agency_c = AgencyFactory(name="Agency C Police Department", program=program_2, timezone="America/Chicago")
    unit_a = UnitFactory(agency=agency_a, name="MHST")
    partner_x = ServicePartnerFactory(name="X Recovery Clinic", is_24_7=False, agencies=[agency_a])
    partner_y = ServicePartnerFactory(name="Y 24/7 MAT Clinic", is_24_7=True, agencies=[agency_a, agency_b])
    return Cast(
        program_1=program_1,
        program_2=program_2,
        agency_a=agency_a,
        agency_b=agency_b,
        agency_c=agency_c,
        unit_a=unit_a,
        unit_c=UnitFactory(agency=agency_c, name="Patrol C"),
        partner_x=partner_x,
        partner_y=partner_y,
        partner_z=ServicePartnerFactory(name="Z Crisis Center", is_24_7=True, agencies=[agency_c]),
        officer_a1=UserFactory(
            username="officer_a1", first_name="Avery", last_name="Oakhurst", agency=agency_a, unit=unit_a
        ),
        officer_a2=UserFactory(
            username="officer_a2", first_name="Blake", last_name="Pinecrest", agency=agency_a, unit=unit_a
        ),
        officer_b=UserFactory(username="officer_b", first_name="Casey", last_name="Rivermoor", agency=agency_b),
        supervisor_a=UserFactory(
            username="supervisor_a",
            first_name="Dana",
            last_name="Stonebridge",
            role=User.Role.SUPERVISOR,
            agency=agency_a,
            unit=unit_a,
        ),
        case_manager_x=_member("cm_x", "Emery Thornfield", role=User.Role.CASE_MANAGER, partner=partner_x),
        case_manager_y=_member("cm_y", "Finley Umberwood", role=User.Role.CASE_MANAGER, partner=partner_y),
        command_a=_member("command_a", "Gale Vinewick", role=User.Role.COMMAND, agency=agency_a),
        admin=_member("admin", "Harper Westmarch", role=User.Role.PROGRAM_ADMIN, is_staff=True, is_superuser=True),
        program_admin=_member("program_admin", "Indigo Yarrowby", role=User.Role.PROGRAM_ADMIN, is_staff=True),
        coordinator=_member("coordinator", "Jules Ashcombe", role=User.Role.COMMAND, program=program_1),
        program_admin_2=_member(
            "program_admin_2", "Kit Larkspur", role=User.Role.PROGRAM_ADMIN, is_staff=True, program=program_2
        ),
        coordinator_2=_member("coordinator_2", "Lane Mossgrove", role=User.Role.COMMAND, program=program_2),
    )


def referral_state(referral: Referral) -> dict:
    """What the casework forms change on a referral, counted: compare two to see what changed."""
    referral.refresh_from_db()
    return {
        "status": referral.status,
        "consents": referral.consents.count(),
        "revoked": referral.consents.filter(revoked_at__isnull=False).count(),
        "events": referral.events.count(),
        "follow_ups": referral.follow_ups.count(),
        "follow_ups_done": referral.follow_ups.filter(completed_at__isnull=False).count(),
        "stories": SuccessStory.objects.filter(referral=referral).count(),
        "feedback": OfficerFeedback.objects.filter(referral=referral).count(),
        "check_ins": referral.check_ins.count(),
    }


# What each casework form changes: "act:<action>" changes the status; the others add one.
FORM_CHANGES = {
    "consent_new": "consents",
    "follow_up_add": "follow_ups",
    "follow_up_done": "follow_ups_done",
    "consent_revoke": "revoked",
    "story_new": "stories",
    "feedback": "feedback",
    "check_in": "check_ins",
}


def changed_as_meant(form: str, before: dict, after: dict) -> bool:
    """Whether posting `form` made its change (two referral_state snapshots, before and after)."""
    if form.startswith("act:"):
        return after["status"] != before["status"]
    key = FORM_CHANGES[form]
    return after[key] == before[key] + 1


def has_word(text: str, word: str) -> bool:
    """Whether `word` stands in `text` as a whole word (a client called West is not in
    "Westside"): for tests that check a page or message names no client."""
    import re

    return re.search(rf"\b{re.escape(word)}\b", text) is not None


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """`manage.py seed_demo`, once for the module (a few seconds); each test still runs in its
    own rollback. Yields what the command printed."""
    import io

    from django.core.management import call_command

    from referrals.demo.builder import delete_demo_data

    with django_db_blocker.unblock():
        # --if-empty on the empty test database: what `make run` does on its first start.
        out = io.StringIO()
        call_command("seed_demo", if_empty=True, stdout=out)
        yield out.getvalue()
        # Committed outside the tests' transactions: leave the database as other modules expect.
        delete_demo_data()


class _CacheDown:
    """A shared cache whose server is gone (closing it at the end of a request is harmless)."""

    def close(self) -> None:
        pass

    def __getattr__(self, name):
        def refused(*args, **kwargs):
            raise ConnectionError("Connection refused")

        return refused


@pytest.fixture
def shared_cache_down(monkeypatch) -> None:
    """The "shared" cache (Redis) unreachable, for this test's thread."""
    monkeypatch.setattr(caches._connections, "shared", _CacheDown(), raising=False)


@pytest.fixture
def attorney(cast):
    """The county attorney's office deciding agency A's held charges."""
    return JusticeAgencyFactory(name="Pima Valley County Attorney", agencies=[cast.agency_a])


@pytest.fixture
def command_b(cast) -> HttpClient:
    """Command staff of agency B, signed in: the other agency's leadership."""
    UserFactory(username="command_b", role=User.Role.COMMAND, agency=cast.agency_b, badge_number="")
    client = HttpClient()
    assert client.login(username="command_b", password=PASSWORD)
    return client
