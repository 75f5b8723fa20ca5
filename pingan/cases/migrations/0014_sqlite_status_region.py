"""On SQLite only: an index on (status, region) for the ledger of a town ("in progress or dispatched, in
this town, newest first").

`subtree_q` writes a town as a prefix match on purpose: PostgreSQL walks the newest rows in primary-key
order and stops at the page's 50. SQLite joined the region table first and, at 1M cases, read all of the
town's ~83,000 cases through the region index and sorted them (p95 790 ms). With this index the same
plan reads, for each region of the county, only its cases in the asked statuses, and sorts those few
thousand. A town's own dispatcher (no status asked) still walks the newest rows: writing towns as a range
instead sent that ledger through the region index too (0.5 ms → 1.5 s at 1M), so the query is unchanged.
PostgreSQL keeps its plan and gets no index it would maintain on every write
(benchmarks/RESULTS.md, "SQLite, 1,000,000 cases").

The index is not in `Case.Meta.indexes`, which holds one set for both databases. Django rebuilds a
SQLite table to alter it (copy, drop, rename) and creates again only the indexes it knows: a later
migration that alters `cases_case` must create this one again (tests/test_ledger_plan.py fails
otherwise), as it must the search triggers of 0012.
"""

from django.db import migrations

CREATE = 'CREATE INDEX IF NOT EXISTS case_status_region ON cases_case ("status", "region_id")'
DROP = "DROP INDEX IF EXISTS case_status_region"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_clock_indexes_cover"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
