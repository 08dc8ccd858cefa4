"""The upgrade to counted figures: months the program published before their count day are
published again, as counted (what the agency's own pages now show of them); those published
after it keep what they were published with; the rollups are counted again."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("reports", "0011_recount_partner_cancellings")]


@pytest.mark.django_db(transaction=True)
def test_months_published_before_their_count_day_are_published_again_as_counted():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    program = old.get_model("deflection", "Program").objects.create(name="Old County", timezone="America/Phoenix")
    agency = old.get_model("deflection", "Agency").objects.create(
        name="Old Town PD", timezone="America/Phoenix", program_id=program.pk
    )
    published = old.get_model("reports", "PublishedMonth").objects
    counts = {"deflections": 14, "naloxone": 1, "charged": 2, "accepted": 12, "intake": 5, "reengagements": 0}
    # October's published on November 2, before its count day (December 1); August's on
    # December 7, after its count day (October 1).
    early = published.create(
        agency_id=agency.pk,
        month=date(2026, 10, 1),
        counts=dict(counts),
        officers=[1],
        treatment_shown=True,
        published_at=datetime(2026, 11, 2, 14, tzinfo=UTC),
    )
    late = published.create(
        agency_id=agency.pk,
        month=date(2026, 8, 1),
        counts=dict(counts),
        officers=[1],
        treatment_shown=True,
        published_at=datetime(2026, 12, 7, 14, tzinfo=UTC),
    )
    old.get_model("reports", "RollupState").objects.create(
        agency_id=agency.pk, refreshed_until=datetime(2026, 12, 7, tzinfo=UTC)
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from reports.models import PublishedMonth
    from reports.rollup_models import RollupState

    early, late = PublishedMonth.objects.get(pk=early.pk), PublishedMonth.objects.get(pk=late.pk)
    assert early.counts == late.counts == {"deflections": 14, "naloxone": 1, "charged": 2}
    assert (early.treatment_counts, early.treatment_published_at) == (None, None)
    assert late.treatment_counts == {"accepted": 12, "intake": 5, "reengagements": 0} and late.treatment_shown
    assert late.treatment_published_at == late.published_at
    assert not RollupState.objects.exists()
