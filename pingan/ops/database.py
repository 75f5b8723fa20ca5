"""The database half of a backup: a consistent copy with the row counts and audit head of that very
copy, and its restore into an empty database.

SQLite is copied with the online backup API and counted in the copy. PostgreSQL is dumped by
`pg_dump -Fc` inside a snapshot that this connection exports and counts in, so the manifest and the
dump agree even while the server keeps writing.
"""

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.base import CommandError
from django.db import OperationalError, connection, transaction

from pingan.accounts.models import User
from pingan.audit.log import heads_summary
from pingan.audit.models import AuditEntry, AuditHead
from pingan.cases.models import Case
from pingan.regions.models import Region

from .archive import DATABASE_FILES, private_file


def pingan_tables() -> list[str]:
    """Every table of a Pingan app, many-to-many tables included."""
    tables = set()
    for config in apps.get_app_configs():
        if config.name.startswith("pingan."):
            for model in config.get_models(include_auto_created=True):
                if model._meta.managed and not model._meta.proxy:
                    tables.add(model._meta.db_table)
    return sorted(tables)


def count_rows(cursor: Any, tables: list[str]) -> dict[str, int]:
    """Row counts through any DB-API cursor (a Django one, or sqlite3's on a copy)."""
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (our own table names)
        counts[table] = cursor.fetchone()[0]
    return counts


def _facts(cursor: Any) -> dict[str, Any]:
    tables = pingan_tables()
    qn = connection.ops.quote_name
    cursor.execute(f"SELECT {qn('partition')}, last_hash, count FROM {qn(AuditHead._meta.db_table)}")  # noqa: S608
    head_hash, head_count = heads_summary(cursor.fetchall())
    return {"tables": count_rows(cursor, tables), "audit_head": {"hash": head_hash, "count": head_count}}


def dump(staging: Path) -> tuple[Path, dict[str, Any]]:
    """Copy the configured database into `staging`; returns the file and what the copy holds."""
    if connection.vendor == "sqlite":
        return _dump_sqlite(staging / DATABASE_FILES["sqlite"])
    if connection.vendor == "postgresql":
        return _dump_postgresql(staging / DATABASE_FILES["postgresql"])
    raise CommandError(f"不支持备份 {connection.vendor} 数据库，只支持 SQLite 和 PostgreSQL。")


def _dump_sqlite(dest: Path) -> tuple[Path, dict[str, Any]]:
    private_file(dest).close()
    connection.ensure_connection()
    copy = sqlite3.connect(dest)
    try:
        # One consistent snapshot, also while the server writes (WAL readers do not block writers).
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        facts = _facts(copy.cursor())
    finally:
        copy.close()
    return dest, facts


def _dump_postgresql(dest: Path) -> tuple[Path, dict[str, Any]]:
    _check_client("pg_dump")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        facts = _facts(cursor)
        with private_file(dest) as out:
            # The snapshot lives as long as this transaction: pg_dump sees what we just counted.
            _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", *_connection_args()], stdout=out)
    return dest, facts


def _connection_args(name: str | None = None) -> list[str]:
    settings_dict = connection.settings_dict
    args = []
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args.append(f"{option}={settings_dict[key]}")
    return [*args, f"--dbname={name or settings_dict['NAME']}"]


def _run(args: list[str], stdout: Any = None) -> None:
    # Password, SSL and service settings as Django's own `dbshell` passes them to psql.
    _, env = connection.client.settings_to_cmd_args_env(connection.settings_dict, [])
    result = subprocess.run(  # noqa: S603 (fixed programs, our own arguments)
        args, stdout=stdout, stderr=subprocess.PIPE, env={**os.environ, **(env or {})}, check=False
    )
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise CommandError(f"{args[0]} 执行失败（退出码 {result.returncode}）：{message}")


def _check_client(program: str) -> None:
    """pg_dump and pg_restore must be at least as new as the server."""
    if shutil.which(program) is None:
        raise CommandError(f"找不到 {program}：请安装与数据库服务器版本相同的 PostgreSQL 客户端。")
    out = subprocess.run([program, "--version"], capture_output=True, text=True, check=False).stdout  # noqa: S603
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    client = int(found.group(1)) if found else 0
    connection.ensure_connection()
    server = connection.pg_version // 10000  # type: ignore[attr-defined]
    if client < server:
        raise CommandError(
            f"{program} 的版本（{client}）低于数据库服务器（{server}），"
            f"请安装 PostgreSQL {server} 或更新版本的客户端。"
        )


def existing_data() -> dict[str, int]:
    """What the configured database already holds of Pingan's own records, by table; tables that
    `migrate` created but nobody filled do not count, nor does the reference data migrations load."""
    try:
        present = set(connection.introspection.table_names())
    except OperationalError as exc:
        raise CommandError(
            f"无法连接数据库：{exc}。PostgreSQL 请先用 createdb 建好空数据库；SQLite 请检查文件所在目录。"
        ) from None
    found = {}
    for model in (Case, AuditEntry, User, Region):
        if model._meta.db_table in present and (n := model._default_manager.count()):
            found[str(model._meta.verbose_name_plural)] = n
    return found


def restore_file_path(vendor: str) -> Path | None:
    """Where to unpack the database file: beside the SQLite file it replaces (the same file system,
    so the last step is a rename), or None for a temporary directory."""
    if vendor != "sqlite":
        return None
    if connection.is_in_memory_db():  # type: ignore[attr-defined]
        raise CommandError("当前配置的是内存中的 SQLite 数据库，无法恢复到其中。")
    target = Path(connection.settings_dict["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.with_name(f".{target.name}.restoring-{os.getpid()}")


def load(vendor: str, source: Path) -> None:
    """Put the unpacked database in place of the configured, empty one."""
    if vendor == "sqlite":
        target = Path(connection.settings_dict["NAME"])
        connection.close()
        # A -wal left beside the empty database would be replayed onto the restored file.
        for suffix in ("-wal", "-shm", "-journal"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        os.replace(source, target)
        return
    _check_client("pg_restore")
    connection.close()
    # --clean --if-exists drops the empty tables a `migrate` may have made; one transaction, so a
    # failure leaves the database as it was.
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            *_connection_args(),
            str(source),
        ]
    )
    connection.close()
