"""`pingan backup`: the database, the attachment files and a manifest in one owner-only tar."""

import os
import tempfile
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from pingan.accounts.models import User
from pingan.audit.models import AuditEntry
from pingan.cases.models import Attachment, Case, CaseEvent
from pingan.notices.models import Notification

from . import database
from .archive import FORMAT, FORMAT_VERSION, MEDIA_PREFIX, ArchiveWriter

# The keys a restore needs and a backup never holds: (variable, what losing it costs, file under var/).
KEYS = (
    ("PINGAN_FIELD_KEY", "个人信息加密密钥：没有它，反映人和当事人的信息无法解密", "field.key"),
    ("PINGAN_RECEIPT_KEY", "查询码密钥：没有它，群众手中的查询码全部失效", "receipt.key"),
    ("PINGAN_SECRET_KEY", "Django 密钥：换了它，所有登录会话失效", "secret.key"),
)
KEY_REMINDER = (
    f"备份不含密钥 {'、'.join(name for name, _, _ in KEYS)}，请另行妥善保管，恢复时需要相同的密钥。"
)
# The tables a person reads the summary for; the manifest counts every Pingan table.
SUMMARY = (Case, CaseEvent, AuditEntry, Attachment, User, Notification)


def pingan_version() -> str:
    try:
        return version("pingan")
    except PackageNotFoundError:
        return "unknown"


def summary(tables: dict[str, int]) -> str:
    return "，".join(
        f"{model._meta.verbose_name_plural} {tables.get(model._meta.db_table, 0)}" for model in SUMMARY
    )


def key_sources() -> list[dict[str, str]]:
    """Where each key is read from: its name and place, never its value."""
    return [
        {
            "name": name,
            "purpose": purpose,
            "kept_in": f"环境变量 {name}" if os.environ.get(name) else str(settings.VAR_DIR / file),
        }
        for name, purpose, file in KEYS
    ]


def media_files() -> Iterator[tuple[str, Path]]:
    root = Path(settings.MEDIA_ROOT)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def make_backup(to_dir: Path, say: Callable[[str], None]) -> tuple[Path, dict[str, Any]]:
    to_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    created = timezone.localtime()
    path = to_dir / f"pingan-backup-{created:%Y%m%d-%H%M%S}.tar"
    if path.exists():
        raise CommandError(f"备份文件 {path} 已存在，请稍后再试。")
    # mkdtemp makes the staging directory 0700; it sits beside the backup, on the same disk.
    with tempfile.TemporaryDirectory(dir=to_dir, prefix=".pingan-backup-") as staging:
        say(f"正在导出数据库（{connection.vendor}）…")
        db_file, facts = database.dump(Path(staging))
        with ArchiveWriter(path) as archive:
            archive.add(db_file.name, db_file)
            media = list(media_files())
            say(f"正在打包附件文件（{len(media)} 个）…")
            size = 0
            for done, (name, file) in enumerate(media, 1):
                try:
                    archive.add(MEDIA_PREFIX + name, file)
                except FileNotFoundError:
                    continue  # deleted by a purge since the listing: its row is gone from the copy too
                size += archive.files[MEDIA_PREFIX + name]["size"]
                if done % 1000 == 0:
                    say(f"  已打包 {done}/{len(media)} 个附件文件…")
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "pingan_version": pingan_version(),
                "created_at": created.isoformat(),
                "database": {"vendor": connection.vendor, "file": db_file.name, "tables": facts["tables"]},
                "audit": {
                    "entries": facts["tables"][AuditEntry._meta.db_table],
                    "head_hash": facts["audit_head"]["hash"],
                    "head_count": facts["audit_head"]["count"],
                },
                "attachments": {"files": len(archive.files) - 1, "bytes": size},
                "keys_not_included": key_sources(),
            }
            archive.finish(manifest)
    return path, manifest
