"""The titles' one- and two-character pieces, indexed, for a 关键词 of one or two characters
(pingan.cases.search): trigrams cannot serve it, and scanning every title cost 100–200 ms at 1M cases
whether the word was common or not there at all.

PostgreSQL only: `pingan_short_grams(text)` gives the distinct characters and pairs of characters of a
text; a GIN index holds them for UPPER(title), and `grams @> ARRAY[UPPER(q)]` finds the titles that
contain `q` exactly (no recheck of the text needed). ANALYZE keeps the most common pieces, so the
planner knows a common word (walk the newest cases) from a rare one (read the index). SQLite keeps
scanning titles.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION pingan_short_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(t, i, n)), '{}')
  FROM generate_series(1, char_length(t)) AS i, (VALUES (1), (2)) AS g(n)
  WHERE i + n - 1 <= char_length(t)
$$
"""
INDEX = "CREATE INDEX case_title_grams ON cases_case USING gin (pingan_short_grams(UPPER(title)))"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)
        schema_editor.execute(INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS case_title_grams")
        schema_editor.execute("DROP FUNCTION IF EXISTS pingan_short_grams(text)")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_sqlite_status_region"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
