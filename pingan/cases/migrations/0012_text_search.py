"""Trigram indexes for the ledger's 关键词 (`q`, pingan.cases.search), one kind per database.

PostgreSQL: pg_trgm GIN indexes on the UPPER() of each searched text, the expression Django's
`icontains` compares. pg_trgm is a trusted extension: the database owner may create it. Trigrams of
Chinese text need a database whose LC_CTYPE classifies CJK characters as letters (C.UTF-8, zh_CN.UTF-8);
under plain "C" the indexes hold no Chinese trigrams and searches fall back to scanning.

SQLite: an FTS5 table `case_text` (rowid = case id) with the trigram tokenizer, filled from the
existing rows and kept by triggers. Django rebuilds a SQLite table to alter it (copy, drop, rename),
and dropping a table drops its triggers: a later migration that alters `cases_case` or
`cases_workrecord` must create these triggers again (tests/test_search.py fails otherwise).
"""

from django.db import migrations

PG_INDEXES = {
    "case_number_trgm": ("cases_case", "number"),
    "case_title_trgm": ("cases_case", "title"),
    "case_description_trgm": ("cases_case", "description"),
    "workrecord_content_trgm": ("cases_workrecord", "content"),
}

# The work records of a case, one per line in one column: one row per case keeps the query a plain
# `rowid IN (...)`.
RECORDS = "(SELECT coalesce(group_concat(content, char(10)), '') FROM cases_workrecord WHERE case_id = {})"

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE case_text USING fts5(number, title, description, records, tokenize='trigram')",
    "INSERT INTO case_text (rowid, number, title, description, records) "
    f"SELECT id, number, title, description, {RECORDS.format('cases_case.id')} FROM cases_case",
    "CREATE TRIGGER case_text_case_insert AFTER INSERT ON cases_case BEGIN "
    "INSERT INTO case_text (rowid, number, title, description, records) "
    f"VALUES (new.id, new.number, new.title, new.description, {RECORDS.format('new.id')}); END",
    "CREATE TRIGGER case_text_case_update AFTER UPDATE OF number, title, description ON cases_case BEGIN "
    "UPDATE case_text SET number = new.number, title = new.title, description = new.description "
    "WHERE rowid = new.id; END",
    "CREATE TRIGGER case_text_case_delete AFTER DELETE ON cases_case BEGIN "
    "DELETE FROM case_text WHERE rowid = old.id; END",
    "CREATE TRIGGER case_text_record_insert AFTER INSERT ON cases_workrecord BEGIN "
    f"UPDATE case_text SET records = {RECORDS.format('new.case_id')} WHERE rowid = new.case_id; END",
    "CREATE TRIGGER case_text_record_update AFTER UPDATE OF content, case_id ON cases_workrecord BEGIN "
    f"UPDATE case_text SET records = {RECORDS.format('old.case_id')} WHERE rowid = old.case_id; "
    f"UPDATE case_text SET records = {RECORDS.format('new.case_id')} WHERE rowid = new.case_id; END",
    "CREATE TRIGGER case_text_record_delete AFTER DELETE ON cases_workrecord BEGIN "
    f"UPDATE case_text SET records = {RECORDS.format('old.case_id')} WHERE rowid = old.case_id; END",
]
SQLITE_TRIGGERS = [
    "case_text_case_insert", "case_text_case_update", "case_text_case_delete",
    "case_text_record_insert", "case_text_record_update", "case_text_record_delete",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, (table, column) in PG_INDEXES.items():
            schema_editor.execute(
                f'CREATE INDEX {name} ON {table} USING gin (UPPER("{column}") gin_trgm_ops)'
            )
    elif vendor == "sqlite":
        for sql in SQLITE_CREATE:
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # The extension stays: other objects may use it, and unused it costs nothing.
        for name in PG_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute("DROP TABLE IF EXISTS case_text")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_cockpit_indexes"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
