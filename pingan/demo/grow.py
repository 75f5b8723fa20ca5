"""`pingan seed --grow K`: a seeded data set made K times as large inside PostgreSQL, for benchmarks.

The demo generator builds each case in Python (about 20,000 a minute on two cores); ten million cases
would take a working day. Growing copies what is there instead, with INSERT … SELECT: every case K − 1
times, in the same county and with the same region, category, stream, dates, status and history, and
every row that belongs to a case with it (`PER_CASE`, found through the models' foreign keys: a new
table that points at a case and is classified neither here nor in `NOT_CLONED` stops the grow).

What a copy gets:
- New ids: copy c of a row has id + c × M, where M is the table's highest id (or its sequence's last
  value) before the grow; foreign keys between copied tables move by the target's offset, so a copy
  points at the copies of its own case, request, work record… Sequences are moved past the last copy.
- A new number in the county-year serial: copy c of serial s gets s + c × L, where L is the county-year
  counter (CaseSerial.last) before the grow, which then becomes K × L; a case registered afterwards gets
  the next number, as always. Event data that names a case number (合并, 关联) or a row id (申请, 回访,
  督办…) names the copy's.
- A new receipt digest and Open311 token (hashes of the original's and the copy's index): nobody holds
  their codes, so the public cannot look copies up.
- No audit entries: a copied event's audit link is empty (as for events older than the link), so the
  chain is the original one and `pingan audit verify` still passes. The grow itself is one entry.
- Attachments point at the original's stored file (metadata only is copied): purging the personal data
  of one copy deletes the file that the others name.
Rows that refer to a case but belong to something else (an inspection's or a campaign's findings,
alerts, accountability entries, notices) are not copied: they keep pointing at the originals.

The rollup counters are sums over cases: copies with the same attributes and the same events multiply
each of them by exactly K, so they are multiplied (n = n × K) rather than rebuilt; tests/test_grow.py
proves the result equal to `pingan rollups rebuild`. The cache (kept sums, cockpit figures) is cleared.

Everything runs in one transaction, with the grown tables locked (reads wait too, once their indexes
are dropped): interrupted, the data set is as it was (run VACUUM to reclaim the space of the rolled-back
rows). The secondary indexes, the trigram (pg_trgm) search indexes among them, are dropped first and
built again at the end over all rows, several times faster than adding every copied row to them; so the
grown set's indexes are freshly built (compact) where a seeded set's grew row by row. PostgreSQL only:
on SQLite, seed with `pingan seed --cases N`.
"""

import re
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.core.cache import cache
from django.db import DatabaseError, connection, models, transaction

from pingan.audit.log import record

# Every table copied with its cases (the cases' own many-to-many tables follow their model).
PER_CASE = (
    "cases.Case",
    "cases.Reporter",
    "cases.Party",
    "cases.Receipt",
    "cases.PublicMessage",
    "cases.Attachment",
    "cases.WorkRecord",
    "cases.Agreement",
    "cases.FollowUp",
    "cases.CaseRequest",
    "cases.CaseEvent",
    "cases.Escalation",
    "cases.TipExclusion",
    "cases.LeaderAssignment",
    "cases.PlanStep",
    "supervision.Supervision",
    "supervision.ProgressReport",
    "analytics.CaseTrack",
    "open311.Open311Token",
)
# Tables that refer to cases but are not copied, and why.
NOT_CLONED = {
    "inspections.Finding": "检查发现的隐患，各对应一件案件：属于检查记录",
    "campaigns.Finding": "专项整治的问题清单：属于整治",
    "surges.SurgeAlert": "研判预警：汇总性质，只指向触发案件",
    "accountability.Entry": "问责记录：指向原案件",
    "screening.Return": "排查月报：指向原案件",
    "notices.Notification": "用户的通知：正文写有原案件编号",
}
# Sums over cases, multiplied by K.
SCALED = ("analytics.DailyCount", "analytics.MonthlyCount", "analytics.StockChange", "analytics.StockNet")
# Unique columns of copied tables that are not keyed by a copied row, and how a copy gets its own.
HASHED = {("cases.Receipt", "digest"), ("open311.Open311Token", "token")}
NUMBERED = {("cases.Case", "number")}
# A copied foreign key to a table that is not copied but holds one row per referrer: left empty.
EMPTIED = {("cases.CaseEvent", "audit")}
# Event data naming a copied row by id, or a case by number.
EVENT_IDS = {
    "request": "cases.CaseRequest",
    "follow_up": "cases.FollowUp",
    "attachment": "cases.Attachment",
    "message": "cases.PublicMessage",
    "assignment": "cases.LeaderAssignment",
    "supervision": "supervision.Supervision",
    "work_record": "cases.WorkRecord",
}
EVENT_NUMBERS = ("into", "case")
# Numbers in event data that are no id of a copied row: positions, levels, intervals, ids of rows that
# are not copied (an inspection, a finding) and the counts of what a purge removed.
EVENT_PLAIN_NUMBERS = {
    *("step", "level", "report_every_days", "inspection", "finding"),
    *("reporter", "parties", "attachments", "receipt", "public_messages", "exclusions"),
    *("work_records", "agreement", "follow_ups", "requests"),
}
NUMBER = r"^PA-[0-9]{6}-[0-9]{4}-[0-9]+$"
CHUNK = 200_000  # ids per statement: bounds the memory of each statement's foreign-key checks


class GrowError(Exception):
    """Why the data set cannot be grown; the message is for the operator."""


@dataclass
class Table:
    model: type[models.Model]
    key: str  # the column whose range splits the copy into statements
    columns: list[str]
    values: list[Callable[[int], str]]  # per column: the SQL of the copy's value, given the copy index

    @property
    def name(self) -> str:
        return self.model._meta.db_table


def copied_models() -> list[type[models.Model]]:
    """The copied models, parents before children, with the automatic many-to-many tables of each.
    Raises GrowError naming any model that refers to a copied one and is classified nowhere."""
    family = [apps.get_model(label) for label in PER_CASE]
    known = set(family)
    unclassified = set()
    for model in apps.get_models():
        if model in known or model._meta.label in NOT_CLONED:
            continue
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model in known:
                unclassified.add(f"{model._meta.label}.{field.name}")
    if unclassified:
        raise GrowError(
            "以下数据表引用了案件相关的表，但扩增工具未归类（复制或不复制）："
            + "、".join(sorted(unclassified))
            + "。请在 pingan/demo/grow.py 的 PER_CASE 或 NOT_CLONED 中说明。"
        )
    ordered = []
    for model in family:
        ordered.append(model)
        ordered += [f.remote_field.through for f in model._meta.local_many_to_many]
    return ordered


def plan(serials: dict[str, int], tops: dict[type[models.Model], int]) -> list[Table]:
    """How each copied table is copied: a SQL expression per column."""
    qn = connection.ops.quote_name
    tables = []
    for model in copied_models():
        label = model._meta.label
        columns, values = [], []
        for field in model._meta.concrete_fields:
            column = qn(str(field.column))
            columns.append(column)
            values.append(_value(model, field, column, serials, tops))
        uniques = [getattr(c, "fields", ()) for c in model._meta.constraints]
        for fields in [*uniques, *model._meta.unique_together]:
            if fields and not any(_is_copied_key(model._meta.get_field(f), tops) for f in fields):
                raise GrowError(f"{label} 的唯一约束 {fields} 不含案件相关的键，扩增工具不知如何复制。")
        tables.append(Table(model, qn(str(model._meta.pk.column)), columns, values))
    return tables


def _is_copied_key(field, tops) -> bool:
    return field.primary_key or (field.is_relation and field.related_model in tops)


def _value(model, field, column: str, serials: dict[str, int], tops) -> Callable[[int], str]:
    label = model._meta.label
    if field.primary_key and not field.is_relation:
        return _shifted(column, model, tops)
    if field.is_relation and field.related_model in tops:
        return _shifted(column, field.related_model, tops)
    if (label, field.name) in EMPTIED:
        return lambda copy: "NULL"
    if (label, field.name) in NUMBERED:
        return lambda copy: _number(column, copy, serials)
    if (label, field.name) in HASHED:
        return lambda copy: f"encode(sha256(convert_to({column} || ':grow:{copy}', 'UTF8')), 'hex')"
    if field.unique:
        raise GrowError(f"{label}.{field.name} 须唯一，扩增工具不知如何为复制件取值。")
    if label == "cases.CaseEvent" and field.name == "data":
        return lambda copy: _event_data(column, copy, serials, tops)
    return lambda copy: column


def _shifted(column: str, model, tops) -> Callable[[int], str]:
    top = tops[model]
    return lambda copy: f"{column} + {copy * top}"


def _number(expr: str, copy: int, serials: dict[str, int]) -> str:
    """The copy's number of the case number `expr` ("PA-county-year-serial"): its serial plus copy × the
    county-year's last serial before the grow, at least six digits as the case builder writes it."""
    lasts = " ".join(f"WHEN '{prefix}' THEN {last}" for prefix, last in serials.items())
    serial = f"(substr({expr}, 16)::bigint + {copy} * (CASE left({expr}, 15) {lasts} END))"
    padded = f"CASE WHEN {serial} < 1000000 THEN lpad({serial}::text, 6, '0') ELSE {serial}::text END"
    return f"left({expr}, 15) || {padded}"


def _event_data(column: str, copy: int, serials: dict[str, int], tops) -> str:
    """Event data with the ids and case numbers it names moved to the copy's."""
    pairs = []
    for key, label in EVENT_IDS.items():
        offset = copy * tops[apps.get_model(label)]
        pairs.append(
            f"'{key}', CASE WHEN jsonb_typeof({column}->'{key}') = 'number'"
            f" THEN to_jsonb(({column}->>'{key}')::bigint + {offset}) END"
        )
    for key in EVENT_NUMBERS:
        value = f"({column}->>'{key}')"
        pairs.append(
            f"'{key}', CASE WHEN jsonb_typeof({column}->'{key}') = 'string' AND {value} ~ '{NUMBER}'"
            f" THEN to_jsonb({_number(value, copy, serials)}) END"
        )
    keys = ", ".join(f"'{k}'" for k in (*EVENT_IDS, *EVENT_NUMBERS))
    moved = f"{column} || jsonb_strip_nulls(jsonb_build_object({', '.join(pairs)}))"
    return f"CASE WHEN {column} ?| array[{keys}] THEN {moved} ELSE {column} END"


# ---------------------------------------------------------------- checks before writing


def _scalar(sql: str, params: Iterable = ()):
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        row = cur.fetchone()
    return row[0] if row else None


def read_serials() -> dict[str, int]:
    """The last serial of each county and year, by number prefix ("PA-990122-2026-"); every case number
    must have the form the case builder gives and a serial within its counter."""
    from pingan.cases.models import CaseSerial

    serials = {}
    for county, year, last in CaseSerial.objects.values_list("county", "year", "last"):
        if not re.fullmatch(r"[0-9]{6}", county):
            raise GrowError(f"编号计数中有无法识别的县代码 {county!r}。")
        serials[f"PA-{county}-{year:04d}-"] = last
    odd = _scalar("SELECT number FROM cases_case WHERE number !~ %s LIMIT 1", [NUMBER])
    if odd:
        raise GrowError(f"案件编号 {odd} 不是 PA-县代码-年份-序号 的形式，无法为复制件编号。")
    beyond = _scalar(
        "SELECT number FROM cases_case c WHERE NOT EXISTS (SELECT 1 FROM cases_caseserial s"
        " WHERE 'PA-' || s.county || '-' || lpad(s.year::text, 4, '0') || '-' = left(c.number, 15)"
        " AND s.last >= substr(c.number, 16)::bigint) LIMIT 1"
    )
    if beyond:
        raise GrowError(f"案件编号 {beyond} 超出了编号计数（cases_caseserial），复制件的编号会重复。")
    return serials


def check_event_data() -> None:
    """Every number in event data is an id this grow moves or one known to be no id of a copied row:
    a new kind of event that names, say, an agreement by id would otherwise point the copy's event at
    the original's agreement."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT key FROM cases_caseevent, jsonb_each(data) WHERE jsonb_typeof(value) = 'number'"
        )
        found = {key for (key,) in cur.fetchall()}
    unknown = found - set(EVENT_IDS) - EVENT_PLAIN_NUMBERS
    if unknown:
        raise GrowError(
            "案件事件数据中有未归类的数字字段："
            + "、".join(sorted(unknown))
            + "。若是某表的 id，请加入 pingan/demo/grow.py 的 EVENT_IDS，否则加入 EVENT_PLAIN_NUMBERS。"
        )


def tops_of(models_: Iterable[type[models.Model]]) -> dict[type[models.Model], int]:
    """Per table, the highest id in use or handed out by its sequence: copies start above it."""
    tops = {}
    for model in models_:
        table, pk = model._meta.db_table, model._meta.pk.column
        top = _scalar(f'SELECT max("{pk}") FROM "{table}"') or 0  # noqa: S608 (names from the models)
        if not model._meta.pk.is_relation:
            sequence = _scalar("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
            if sequence:
                last = _scalar(
                    "SELECT last_value FROM pg_sequences WHERE format('%%I.%%I', schemaname, "
                    "sequencename)::regclass = %s::regclass",
                    [sequence],
                )
                top = max(top, last or 0)
        tops[model] = top
    return tops


def needed_bytes(factor: int) -> int:
    """Disk space the grow holds at its peak, just before it commits (an upper bound: 100k cases ×3
    needed 1.8 GB where this says 2.4). Until then nothing it replaces is freed: the copied tables hold
    K − 1 more copies of their rows, and both their old indexes and the new ones, built over K times the
    rows (no larger per row than the old); the counters are held three times (old, the temporary copy,
    new)."""
    copied = [m._meta.db_table for m in copied_models()]
    scaled = grown_tables()[len(copied) :]
    sizes = (
        "SELECT coalesce(sum(pg_table_size(t::regclass)), 0), coalesce(sum(pg_indexes_size(t::regclass)), 0)"
        " FROM unnest(%s::text[]) t"
    )
    with connection.cursor() as cur:
        cur.execute(sizes, [copied])
        heap, indexes = cur.fetchone()
        cur.execute(sizes, [scaled])
        counters = sum(cur.fetchone())
    return int((factor - 1) * heap + factor * indexes + 2 * counters)


def _size(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def free_bytes() -> int | None:
    """Free space where the database keeps its files, when this process can see them."""
    try:
        directory = _scalar("SHOW data_directory")
        return shutil.disk_usage(directory).free
    except (DatabaseError, OSError):  # not a superuser, or the server on another machine
        return None


# ---------------------------------------------------------------- the grow


@dataclass
class Grown:
    cases_before: int
    cases_after: int
    rows_copied: int
    seconds: float


# Room left beside the estimate: WAL (max_wal_size is 1 GB by default), index builds' sort files.
SPACE_MARGIN = 3 * 10**9


def grow(factor: int, progress: Callable[[str], None] = print, check_space: bool = True) -> Grown:
    """Make the data set `factor` times as large (see the module's docstring). Raises GrowError, also
    when the estimated peak would not fit on the disk (unless `check_space` is false: the estimate is an
    upper bound, about a third above what a seeded set's grow used)."""
    if connection.vendor != "postgresql":
        raise GrowError(
            "数据扩增只支持 PostgreSQL（在数据库内用 INSERT … SELECT 复制）；"
            "SQLite 请用 pingan seed --cases N 生成。"
        )
    if factor < 2:
        raise GrowError("扩增倍数应不小于 2。")
    started = time.perf_counter()
    models_ = copied_models()
    need, free = needed_bytes(factor), free_bytes()
    if check_space and free is not None and need + SPACE_MARGIN > free:
        raise GrowError(
            f"磁盘空间不足：扩增 {factor} 倍最多约需 {_size(need)}（另留 {_size(SPACE_MARGIN)} 余量），"
            f"数据库所在磁盘只剩 {_size(free)}。此估计是上限；确有把握时可加 --no-space-check。"
        )
    progress(f"预计最多占用 {_size(need)}" + (f"，磁盘可用 {_size(free)}。" if free else "。"))
    with transaction.atomic():
        _lock()
        serials = read_serials()
        check_event_data()
        tops = tops_of(models_)
        tables = plan(serials, tops)
        cases_before = _scalar("SELECT count(*) FROM cases_case")
        _defer_self_references(models_)
        indexes = _set_aside_indexes()
        copied = 0
        for copy in range(1, factor):
            began = time.perf_counter()
            for table in tables:
                copied += _copy(table, copy, tops[table.model])
            progress(
                f"已复制第 {copy}/{factor - 1} 份：{cases_before} 件案件及其事件和记录"
                f"（用时 {time.perf_counter() - began:.1f} 秒）"
            )
        began = time.perf_counter()
        _scale_counters(factor)
        _move_counters(models_, serials, tops, factor)
        progress(
            f"汇总计数已乘以 {factor}，编号计数和序列已调整（用时 {time.perf_counter() - began:.1f} 秒）"
        )
        began = time.perf_counter()
        _rebuild_indexes(indexes)
        progress(f"已重建 {len(indexes)} 个索引（用时 {time.perf_counter() - began:.1f} 秒）")
        record("system", "demo.grow", object_type="case", data={"factor": factor, "cases": cases_before})
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys are initially deferred
    cache.clear()  # kept sums and cockpit figures were counted on the smaller data set
    return Grown(cases_before, cases_before * factor, copied, time.perf_counter() - started)


def grown_tables() -> list[str]:
    """The tables a grow writes: the copied ones and the multiplied counters."""
    copied = [m._meta.db_table for m in copied_models()]
    return copied + [apps.get_model(label)._meta.db_table for label in SCALED]


def _lock() -> None:
    """Writes wait until the grow commits; reads go on."""
    names = ", ".join(f'"{t}"' for t in [*grown_tables(), "cases_caseserial"])
    with connection.cursor() as cur:
        cur.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")


def _defer_self_references(models_: list[type[models.Model]]) -> None:
    """Foreign-key checks run after each statement (queued to commit, tens of millions of them would
    fill memory), except a table's references to itself (a merged case's target may come in a later
    statement of the same copy), checked at commit."""
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        tables = [m._meta.db_table for m in models_]
        cur.execute(
            "SELECT quote_ident(conname) FROM pg_constraint WHERE contype = 'f' AND conrelid = confrelid"
            " AND conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        for (name,) in cur.fetchall():
            cur.execute(f"SET CONSTRAINTS {name} DEFERRED")


# Memory for each index build: sorting in memory, and GIN (the trigram indexes) building in fewer passes.
INDEX_BUILD_MEMORY = "1GB"


def _set_aside_indexes() -> list[str]:
    """Drop the grown tables' indexes but their primary keys (which the foreign-key checks read) and any
    that a foreign key relies on; returns the statements that build them again. Building an index once
    over all rows is several times faster than adding every row to it: the trigram (GIN) indexes on the
    cases' texts and the counters' covering indexes above all. Unique ones come back as they were, so a
    duplicate would still stop the grow (at the end, rolling it all back)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, c.conname,"
            " pg_get_indexdef(i.indexrelid), pg_get_constraintdef(c.oid)"
            " FROM pg_index i LEFT JOIN pg_constraint c"
            " ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('u', 'x')"
            " WHERE NOT i.indisprimary AND i.indrelid::regclass::text = ANY(%s)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint f"
            " WHERE f.contype = 'f' AND f.conindid = i.indexrelid)",
            [grown_tables()],
        )
        found = cur.fetchall()
        rebuild = []
        for index, table, constraint, index_sql, constraint_sql in found:
            if constraint:
                name = connection.ops.quote_name(constraint)
                cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
                rebuild.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {constraint_sql}")
            else:
                cur.execute(f"DROP INDEX {index}")
                rebuild.append(index_sql)
    return rebuild


def _rebuild_indexes(statements: list[str]) -> None:
    with connection.cursor() as cur:
        # A table with foreign-key checks still queued cannot be altered: run the deferred ones now.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        for sql in statements:
            cur.execute(sql)


def _copy(table: Table, copy: int, top: int) -> int:
    columns = ", ".join(table.columns)
    values = ", ".join(v(copy) for v in table.values)
    done = 0
    with connection.cursor() as cur:
        for low in range(0, top, CHUNK):
            # Names and numbers come from the models and the database, never from input.
            cur.execute(
                f"INSERT INTO {table.name} ({columns}) SELECT {values} FROM {table.name}"  # noqa: S608
                f" WHERE {table.key} > {low} AND {table.key} <= {min(low + CHUNK, top)}"
            )
            done += cur.rowcount
    return done


def _scale_counters(factor: int) -> None:
    """n = n × K, written as a fresh table: an UPDATE would leave a dead version of every row behind,
    doubling the counters' files (1M cases: about 1.5 GB) until a VACUUM FULL."""
    with connection.cursor() as cur:
        for label in SCALED:
            model = apps.get_model(label)
            table = model._meta.db_table
            columns = [f'"{f.column}"' for f in model._meta.concrete_fields]
            values = [f"{c} * {factor}" if c == '"n"' else c for c in columns]
            cur.execute(f'CREATE TEMPORARY TABLE grow_counts AS SELECT * FROM "{table}"')  # noqa: S608
            cur.execute(f'TRUNCATE "{table}"')
            cur.execute(
                f'INSERT INTO "{table}" ({", ".join(columns)})'  # noqa: S608
                f" SELECT {', '.join(values)} FROM grow_counts ORDER BY id"
            )
            cur.execute("DROP TABLE grow_counts")


def _move_counters(models_, serials: dict[str, int], tops, factor: int) -> None:
    """Sequences past the last copy; each county-year's serial past its copies' numbers."""
    with connection.cursor() as cur:
        for model in models_:
            top = tops[model]
            if top and not model._meta.pk.is_relation:
                cur.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), %s)",
                    [model._meta.db_table, model._meta.pk.column, top * factor],
                )
        cur.execute("UPDATE cases_caseserial SET last = last * %s", [factor])


def vacuum(progress: Callable[[str], None] = print) -> float:
    """VACUUM ANALYZE the grown tables (outside any transaction): statistics for the planner, and the
    visibility map for index-only scans."""
    started = time.perf_counter()
    with connection.cursor() as cur:
        for table in grown_tables():
            cur.execute(f'VACUUM ANALYZE "{table}"')
    elapsed = time.perf_counter() - started
    progress(f"已整理（VACUUM ANALYZE）扩增的数据表，用时 {elapsed:.1f} 秒。")
    return elapsed
