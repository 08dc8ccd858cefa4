"""Before programs, one installation was one program: the migration puts every existing
agency, and every program administrator, into one default program (and "You said, we did"
into its publisher's), after which an agency's program is required."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("deflection", "0004_access_list_recent"), ("buyin", "0001_initial")]


@pytest.mark.django_db(transaction=True)
def test_existing_agencies_admins_and_changes_go_into_one_default_program():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    agency = old.get_model("deflection", "Agency").objects.create(name="Old Town PD", timezone="America/Denver")
    users = old.get_model("deflection", "User").objects
    admin = users.create(username="old_admin", role="program_admin")
    officer = users.create(username="old_officer", role="officer", agency_id=agency.pk)
    old.get_model("buyin", "ChangeMade").objects.create(
        topic="form", what="Fewer taps.", changed_on="2026-01-05", published_by_id=admin.pk
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from buyin.models import ChangeMade
    from deflection.models import Agency, Program, User

    program = Program.objects.get()
    assert (program.name, program.timezone) == ("Deflection program", "America/Denver")
    assert Agency.objects.get(pk=agency.pk).program == program
    assert User.objects.get(pk=admin.pk).program == program
    assert User.objects.get(pk=officer.pk).program is None  # in it through their agency
    assert ChangeMade.objects.get().program == program
    with pytest.raises(IntegrityError), transaction.atomic():
        Agency.objects.create(name="No Program PD")
