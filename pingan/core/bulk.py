"""A lean multi-row INSERT … RETURNING id for the few append-only tables written in bulk (case events
and their audit entries, by the sweep, back-fills and the demo).

`bulk_create` prepares every value through the field machinery; for 16,000 rows of eight columns that
was 3.5 s against 1.3 s here on our two-core box, and the demo writes about 160,000 such rows. Values
are adapted as the fields would (date-times, JSON); other columns must be plain values already.
Portable: SQLite (3.35+) and PostgreSQL both return the ids of a multi-row insert in order.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models, transaction

ROWS_PER_STATEMENT = 500
# insert_rows or copy_rows: (model, columns, rows) -> the new ids in order.
Insert = Callable[[type[models.Model], Sequence[str], Sequence[Sequence[Any]]], list[int]]


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """Insert `rows` (values in the order of `columns`, which are attribute names such as `case_id`) and
    return their new ids in order."""
    qn = connection.ops.quote_name
    fields = [_concrete(model, c) for c in columns]
    names = ", ".join(qn(str(f.column)) for f in fields)
    adapt = [_adapter(f) for f in fields]
    limit = connection.features.max_query_params
    per = min(ROWS_PER_STATEMENT, limit // len(columns)) if limit else ROWS_PER_STATEMENT
    # Identifiers come from the model and are quoted; every value is a parameter.
    head = f"INSERT INTO {qn(model._meta.db_table)} ({names}) VALUES "  # noqa: S608
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    ids: list[int] = []
    with connection.cursor() as cur:
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            params = [a(v) if a else v for row in chunk for a, v in zip(adapt, row, strict=True)]
            cur.execute(head + ", ".join([row_sql] * len(chunk)) + f" RETURNING {qn('id')}", params)
            ids += [r[0] for r in cur.fetchall()]
    return ids


def _concrete(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field


def _adapter(field: models.Field):
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return lambda v: None if v is None else ops.adapt_datetimefield_value(v)
    if isinstance(field, models.JSONField):
        return lambda v: ops.adapt_json_value(v, field.encoder)
    return None


# ---------------------------------------------------------------- PostgreSQL: COPY … FROM STDIN
# For writers of hundreds of thousands of rows (the demo's generator at benchmark sizes): COPY takes
# rows several times faster than a multi-row INSERT. It returns no ids, so they are taken from the
# table's sequence first, which also lets rows that point at each other be written in any order.


def reserve_ids(model: type[models.Model], n: int) -> list[int]:
    """n fresh ids from the sequence of `model`'s id column, in increasing order (PostgreSQL)."""
    if not n:
        return []
    with connection.cursor() as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, n],
        )
        return [r[0] for r in cur.fetchall()]


def copy_values(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY `rows` (values in the order of `columns`, attribute names) into `model`'s table."""
    qn = connection.ops.quote_name
    fields = [_concrete(model, c) for c in columns]
    adapt = [_adapter(f) for f in fields]
    names = ", ".join(qn(str(f.column)) for f in fields)
    sql = f"COPY {qn(model._meta.db_table)} ({names}) FROM STDIN"
    with connection.cursor() as cur, cur.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([a(v) if a else v for a, v in zip(adapt, row, strict=True)])


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """`insert_rows` through COPY (PostgreSQL): the same arguments and answer."""
    ids = reserve_ids(model, len(rows))
    copy_values(model, ("id", *columns), ((pk, *row) for pk, row in zip(ids, rows, strict=True)))
    return ids


# Fields whose attribute value psycopg takes as it is (JSON as copy_values adapts it); any other goes
# through get_db_prep_save.
PLAIN = (
    models.JSONField,
    models.CharField,
    models.IntegerField,
    models.BooleanField,
    models.DateTimeField,
    models.DateField,
    models.ForeignKey,
    models.AutoField,
    models.BigAutoField,
)


def give_ids(objs: Sequence[models.Model]) -> None:
    """Ids from the sequence for unsaved objects of one model, before they are written (PostgreSQL)."""
    new = [obj for obj in objs if obj.pk is None]
    if new:
        for obj, pk in zip(new, reserve_ids(type(new[0]), len(new)), strict=True):
            obj.pk = pk


def copy_objects(objs: Sequence[models.Model]) -> None:
    """`bulk_create` through COPY (PostgreSQL), for unsaved objects of one model with an `id` sequence.
    Objects related to others when those had no id yet are written with the ids they have now, as
    bulk_create does. Defaults are as the objects hold them; auto_now fields are not stamped."""
    if not objs:
        return
    give_ids(objs)
    model = type(objs[0])
    fields = list(model._meta.concrete_fields)
    prep = [None if isinstance(f, PLAIN) else f for f in fields]

    def row(obj: models.Model) -> list:
        values = []
        for f, p in zip(fields, prep, strict=True):
            if isinstance(f, models.ForeignKey) and f.is_cached(obj):
                # Related when the other had no id yet: written with the id it has now, as bulk_create does.
                value = getattr(f.get_cached_value(obj), "pk", None)
            else:
                value = getattr(obj, f.attname)
            values.append(value if p is None else p.get_db_prep_save(value, connection))
        return values

    copy_values(model, [f.attname for f in fields], (row(obj) for obj in objs))
    for obj in objs:
        obj._state.adding = False


def copy_merge(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]], tail: str
) -> list:
    """INSERT INTO `model`'s table (`columns`: column names) the rows, COPYed into a temporary table first
    (PostgreSQL): an upsert of thousands of rows without a statement thousands of parameters long, which
    psycopg takes seconds to parse. `tail` is the statement's ON CONFLICT … RETURNING …; what it returns
    is returned."""
    qn = connection.ops.quote_name
    table, temp = qn(model._meta.db_table), qn(f"copy_{model._meta.db_table}")
    names = ", ".join(qn(c) for c in columns)
    # Identifiers come from the model and are quoted; the values go through COPY.
    with transaction.atomic(savepoint=False), connection.cursor() as cur:
        cur.execute(f"CREATE TEMPORARY TABLE {temp} AS SELECT {names} FROM {table} WITH NO DATA")  # noqa: S608
        with cur.cursor.copy(f"COPY {temp} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {temp} {tail}")  # noqa: S608
        found = cur.fetchall() if cur.description else []
        cur.execute(f"DROP TABLE {temp}")
    return found
