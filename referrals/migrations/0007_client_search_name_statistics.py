"""Client search on PostgreSQL: planning a trigram query in 0.1 ms instead of 0.7 to 1 ms.

To estimate how many names a `%` or `%>` condition matches, pg_trgm's estimator runs the
similarity against each entry of the column's histogram when it has at least 100 (the
default statistics target gives 101): about 0.8 ms of planning for every search query,
two per search of a full name, more than running some of them. The estimate does not
change the plan: only the (agency, search_name) trigram index of 0006 serves the search's
conditions. A histogram of 10 is below pg_trgm's threshold, and keeps the column's other
statistics. Persisted in the schema (pg_dump keeps it), unlike a changed function cost.

Other databases skip this.
"""

from __future__ import annotations

from django.db import migrations


def lower_statistics(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE referrals_client ALTER COLUMN search_name SET STATISTICS 10")
        schema_editor.execute("ANALYZE referrals_client")


def default_statistics(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE referrals_client ALTER COLUMN search_name SET STATISTICS -1")
        schema_editor.execute("ANALYZE referrals_client")


class Migration(migrations.Migration):
    dependencies = [("referrals", "0006_client_search_by_agency")]

    operations = [migrations.RunPython(lower_statistics, default_statistics, elidable=False)]
