"""Client search on PostgreSQL: one trigram index per agency's names, kept current on insert.

The GIN index of 0002 covered search_name alone. This one leads with the agency
(`agency_id::integer`, through btree_gin), so that a search reads only the officer's own
agency's entries, and only this index can serve the condition the search writes (see
referrals.selectors._by_name_scope): with a plain `agency_id = X`, PostgreSQL took a
smaller agency's btree index and ran the trigram functions on each of its clients
(20 to 30 ms for 5,000 clients; 1 to 2 ms through this index).

fastupdate is off: with it on, new entries wait in a pending list that every search reads
from end to end until vacuum merges it (2,000 entries after seeding took a two-word search
from about 1 ms to about 5 ms). Clients are added a few times a shift; they are searched at every
pause in typing.

Built CONCURRENTLY (so not in a transaction): creating clients is not blocked meanwhile.
Other databases skip this, as they skip 0002.
"""

from __future__ import annotations

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations

INDEX = "referrals_client_agency_search_trgm"
OLD_INDEX = "referrals_client_search_trgm"


def create_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON referrals_client "
            "USING gin ((agency_id::integer), search_name gin_trgm_ops) WITH (fastupdate = off)"
        )
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {OLD_INDEX}")


def drop_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {OLD_INDEX} ON referrals_client "
            "USING gin (search_name gin_trgm_ops)"
        )
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("referrals", "0005_history_timestamps")]

    operations = [
        BtreeGinExtension(),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
