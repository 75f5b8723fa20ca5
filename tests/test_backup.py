"""`pingan backup` and `pingan restore`: a round trip into an empty database through the real console
command, and a damaged backup or a database already in use refused before anything is written.

Backups are read by other processes, so these tests commit (transactional tests, which put the
migrations' reference data back afterwards)."""

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection

from pingan.audit.models import AuditEntry
from pingan.cases import actions
from pingan.cases.models import Attachment, Case, CaseEvent
from pingan.demo.county import build_county, create_role_users

from .conftest import JPEG, PASSWORD, case_body

REPO = Path(__file__).resolve().parents[1]
committed = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _pingan(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own console command)
        [sys.executable, "-m", "pingan", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _environment(media: Path, sqlite_file: Path | None = None, database: str | None = None) -> dict[str, str]:
    """The suite's keys, with the real settings pointed at one database and one attachment folder."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["DJANGO_SETTINGS_MODULE"] = "pingan.settings"
    env["PINGAN_RECEIPT_KEY"] = django_settings.RECEIPT_KEY
    env["PINGAN_MEDIA"] = str(media)
    env.pop("PINGAN_TEST_DB_NAME", None)
    if database is not None:
        url = urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = url._replace(path="/" + database).geturl()
    else:
        env.pop("DATABASE_URL", None)
        env["PINGAN_SQLITE"] = str(sqlite_file)
    return env


def _copy_test_database(dest: Path) -> None:
    """SQLite only: the suite's in-memory database, as a file another process can open."""
    connection.ensure_connection()
    target = sqlite3.connect(dest)
    connection.connection.backup(target)
    target.close()


@contextmanager
def _empty_database(tmp_path: Path, media: Path) -> Iterator[dict[str, str]]:
    """A second database with the tables `migrate` makes and no Pingan data: this test database
    before the test writes anything, copied; on PostgreSQL a throwaway database, dropped afterwards."""
    if connection.vendor == "sqlite":
        _copy_test_database(tmp_path / "restored.sqlite3")
        yield _environment(media, sqlite_file=tmp_path / "restored.sqlite3")
        return
    name = f"test_pingan_restore_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        env = _environment(media, database=name)
        source = _environment(media, database=connection.settings_dict["NAME"])["DATABASE_URL"]
        dump = subprocess.run(  # noqa: S603
            ["pg_dump", "--no-owner", "--no-privileges", source],  # noqa: S607 (as pingan backup runs it)
            capture_output=True,
            check=True,
        )
        subprocess.run(  # noqa: S603
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", env["DATABASE_URL"]],  # noqa: S607
            input=dump.stdout,
            capture_output=True,
            check=True,
        )
        yield env
    finally:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _restored_counts(env: dict[str, str]) -> tuple[int, int]:
    """(cases, audit entries) as the restored database holds them, read without Django."""
    query = "SELECT (SELECT COUNT(*) FROM cases_case), (SELECT COUNT(*) FROM audit_auditentry)"
    if "DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            return conn.execute(query).fetchone()
    with sqlite3.connect(env["PINGAN_SQLITE"]) as conn:
        return conn.execute(query).fetchone()


def _small_county_with_an_attachment() -> tuple[list[str], Attachment]:
    county = create_role_users(build_county(towns=1, villages_per_town=1, grids_per_village=1), PASSWORD)
    dispatcher = county.users["dispatcher"]
    numbers = [
        actions.create_case(dispatcher, case_body(county, title=f"路灯损坏 {i}")).number for i in range(3)
    ]
    actions.perform(dispatcher, numbers[0], "accept", {})
    att = actions.add_attachment(
        dispatcher, numbers[0], kind="photo", name="现场.jpg", content=JPEG, content_type="image/jpeg"
    )
    return numbers, att


@committed
def test_a_backup_restores_into_an_empty_database_whole(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    restored_media = tmp_path / "restored-media"
    with _empty_database(tmp_path, restored_media) as target:
        _, att = _small_county_with_an_attachment()
        if connection.vendor == "sqlite":
            _copy_test_database(tmp_path / "source.sqlite3")
            source = _environment(settings.MEDIA_ROOT, sqlite_file=tmp_path / "source.sqlite3")
        else:
            source = _environment(settings.MEDIA_ROOT, database=connection.settings_dict["NAME"])
        backup = _pingan(source, "backup", "--to", str(tmp_path / "backups"))
        assert backup.returncode == 0, backup.stderr
        assert "备份不含密钥 PINGAN_FIELD_KEY" in backup.stdout and "恢复时需要相同的密钥" in backup.stdout
        [archive] = (tmp_path / "backups").iterdir()
        assert archive.stat().st_mode & 0o777 == 0o600
        assert (tmp_path / "backups").stat().st_mode & 0o777 == 0o700

        restore = _pingan(target, "restore", str(archive))
        assert restore.returncode == 0, restore.stdout + restore.stderr
        assert "行数与备份清单一致" in restore.stdout and "审计链完整" in restore.stdout
        assert "个人信息加密密钥核对无误" in restore.stdout
        assert _restored_counts(target) == (Case.objects.count(), AuditEntry.objects.count())
        copy = restored_media / att.file.name
        assert copy.read_bytes() == (settings.MEDIA_ROOT / att.file.name).read_bytes()
        assert copy.stat().st_mode & 0o777 == 0o600

    # The manifest names the keys and counts the tables; no key's value is anywhere in the backup.
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["database"]["tables"]["cases_caseevent"] == CaseEvent.objects.count()
    assert "media/" + att.file.name in manifest["files"]
    assert {k["name"] for k in manifest["keys_not_included"]} == {
        "PINGAN_FIELD_KEY",
        "PINGAN_RECEIPT_KEY",
        "PINGAN_SECRET_KEY",
    }
    content = archive.read_bytes()
    for key in (django_settings.FIELD_KEY, django_settings.RECEIPT_KEY, django_settings.SECRET_KEY):
        assert key and key.encode() not in content


@committed
def test_a_restore_with_another_field_key_says_the_data_cannot_be_read(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    with _empty_database(tmp_path, tmp_path / "restored-media") as target:
        _small_county_with_an_attachment()
        archive = _backup_in_process(tmp_path)
        target["PINGAN_FIELD_KEY"] = "7IbMhzCfInS2m1K9tAC5JdfE11lj-oeUy4eriIXL3xQ="
        restore = _pingan(target, "restore", str(archive))
    assert restore.returncode == 1
    assert "个人信息无法解密" in restore.stdout and "恢复已完成，但核对未通过" in restore.stderr


def _backup_in_process(tmp_path: Path) -> Path:
    call_command("backup", "--to", str(tmp_path / "backups"), stdout=io.StringIO())
    [archive] = (tmp_path / "backups").iterdir()
    return archive


@pytest.fixture
def small_backup(tmp_path, settings) -> Path:
    """A real backup of this (empty) test database and one attachment file; restores then go to
    this same database and an empty attachment folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "attachments").mkdir(parents=True)
    (settings.MEDIA_ROOT / "attachments" / "photo").write_bytes(JPEG)
    archive = _backup_in_process(tmp_path)
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    return archive


def _refused(archive: Path) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(archive), stdout=io.StringIO())
    assert not Path(django_settings.MEDIA_ROOT).exists()
    assert not Case.objects.exists() and not AuditEntry.objects.exists()
    return str(refused.value)


@committed
def test_a_truncated_backup_is_refused_before_anything_is_written(small_backup, tmp_path):
    content = small_backup.read_bytes()
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(content[: len(content) // 2])
    message = _refused(truncated)
    assert "备份文件被截断" in message and "database." in message and "未写入任何数据" in message
    # Cut exactly where the manifest starts: every file is whole, the manifest is missing.
    with tarfile.open(small_backup) as tar:
        start = tar.getmember("manifest.json").offset
    truncated.write_bytes(content[:start])
    assert "缺少 manifest.json" in _refused(truncated)


@committed
def test_a_backup_with_one_altered_byte_is_refused_naming_the_file(small_backup):
    with tarfile.open(small_backup) as tar:
        member = tar.getmember("media/attachments/photo")
    content = bytearray(small_backup.read_bytes())
    content[member.offset_data + 100] ^= 0x01
    small_backup.write_bytes(content)
    message = _refused(small_backup)
    assert "文件校验失败：media/attachments/photo" in message and "未写入任何数据" in message


@committed
def test_a_restore_into_a_database_with_pingan_data_is_refused(small_backup):
    build_county(towns=1, villages_per_town=1, grids_per_village=1)
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(small_backup), stdout=io.StringIO())
    assert "目标数据库中已有平安的数据" in str(refused.value) and "行政区划" in str(refused.value)
    assert not Path(django_settings.MEDIA_ROOT).exists()


def test_a_restore_into_a_database_that_cannot_be_reached_says_so(tmp_path):
    (tmp_path / "backup.tar").write_bytes(b"not read: the database is checked first")
    if connection.vendor == "sqlite":
        env = _environment(tmp_path / "media", sqlite_file=tmp_path / "no-such-folder" / "pingan.sqlite3")
    else:
        env = _environment(tmp_path / "media", database=f"test_pingan_missing_{os.getpid()}")
    restore = _pingan(env, "restore", str(tmp_path / "backup.tar"))
    assert restore.returncode == 1
    assert "无法连接数据库" in restore.stderr and "Traceback" not in restore.stderr
