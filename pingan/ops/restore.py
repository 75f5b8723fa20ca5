"""`pingan restore`: a backup into an empty database, checked whole before anything is written and
checked again afterwards (row counts, the audit chain, attachment files, the field key)."""

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError
from django.db import connection

from pingan.audit.log import check_chain, current_heads_summary
from pingan.cases.models import Attachment
from pingan.core.crypto import EncryptedTextField

from . import database
from .archive import MEDIA_PREFIX, Archive
from .backup import summary


def refuse_unless_empty() -> None:
    found = database.existing_data()
    if found:
        held = "、".join(f"{label} {n}" for label, n in found.items())
        raise CommandError(
            f"目标数据库中已有平安的数据（{held}），恢复只能在空数据库中进行，未写入任何数据。"
            "请新建一个空数据库（SQLite 可换一个 PINGAN_VAR 目录）后再恢复。"
        )
    root = Path(settings.MEDIA_ROOT)
    if root.exists() and any(p.is_file() for p in root.rglob("*")):
        raise CommandError(f"附件目录 {root} 中已有文件，恢复只能在空目录中进行，未写入任何数据。")


def restore_backup(path: Path, say: Callable[[str], None]) -> tuple[dict[str, Any], list[str]]:
    """Returns the backup's manifest and the checks that failed after restoring (none: all good)."""
    refuse_unless_empty()
    archive = Archive(path)
    try:
        manifest = archive.manifest
        vendor = manifest["database"]["vendor"]
        if vendor != connection.vendor:
            raise CommandError(
                f"备份来自 {vendor} 数据库，当前配置的是 {connection.vendor}，"
                "不能跨数据库恢复，未写入任何数据。"
            )
        size = sum(f["size"] for f in archive.files.values()) / 1024 / 1024
        say(f"正在校验备份（{len(archive.files)} 个文件，{size:.1f} MB）…")

        def verified(done: int, total: int) -> None:
            if done % 1000 == 0:
                say(f"  已校验 {done}/{total} 个文件…")

        archive.verify(verified)
        say("备份完整，正在恢复数据库…")
        _restore_database(archive, vendor)
        media = [name for name in archive.files if name.startswith(MEDIA_PREFIX)]
        say(f"正在恢复附件文件（{len(media)} 个）…")
        _restore_media(archive, media, say)
    finally:
        archive.close()
    say("正在核对恢复结果…")
    problems = _check_counts(manifest["database"]["tables"], say)
    problems += _check_audit(manifest["audit"], say)
    problems += _check_attachments(say)
    problems += _check_field_key(say)
    return manifest, problems


def _restore_database(archive: Archive, vendor: str) -> None:
    name = archive.manifest["database"]["file"]
    beside = database.restore_file_path(vendor)
    if beside is not None:
        try:
            archive.copy_out(name, beside)
            database.load(vendor, beside)
        finally:
            beside.unlink(missing_ok=True)
        return
    staging = Path(tempfile.mkdtemp(prefix="pingan-restore-"))
    try:
        archive.copy_out(name, staging / name)
        database.load(vendor, staging / name)
    finally:
        shutil.rmtree(staging)


def _restore_media(archive: Archive, names: list[str], say: Callable[[str], None]) -> None:
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    for done, name in enumerate(names, 1):
        relative = PurePosixPath(name).relative_to(MEDIA_PREFIX)
        folder = root
        for part in relative.parts[:-1]:
            folder = folder / part
            folder.mkdir(mode=0o700, exist_ok=True)
        archive.copy_out(name, folder / relative.name)
        if done % 1000 == 0:
            say(f"  已恢复 {done}/{len(names)} 个附件文件…")


def _check_counts(expected: dict[str, int], say: Callable[[str], None]) -> list[str]:
    present = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        actual = database.count_rows(cursor, [t for t in expected if t in present])
    wrong = [
        f"表 {table}：备份时 {n} 行，恢复后 {actual.get(table, '（表不存在）')} 行"
        for table, n in expected.items()
        if actual.get(table) != n
    ]
    if wrong:
        return ["行数与备份清单不符：" + "；".join(wrong)]
    say(f"行数与备份清单一致（{len(expected)} 张表）：{summary(actual)}")
    return []


def _check_audit(expected: dict[str, Any], say: Callable[[str], None]) -> list[str]:
    result = check_chain(progress=lambda checked, total: say(f"  已校验审计记录 {checked}/{total} 条…"))
    if not result.intact:
        bad = result.first_bad
        where = f"链 {bad.partition} 在编号 {bad.pk} 的记录处断开" if bad else "末尾的记录缺失"
        return [f"审计链校验未通过：{where}（可运行 pingan audit verify 查看详情）"]
    head = current_heads_summary()[0]
    if expected["head_count"] and head != expected["head_hash"]:
        return [f"审计链头与备份清单不符：备份时 {expected['head_hash']}，恢复后 {head}"]
    say(f"审计链完整：共 {result.checked} 条，链头与备份一致（{expected['head_hash'][:16]}…）")
    return []


def _check_attachments(say: Callable[[str], None]) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    names = Attachment.objects.exclude(file="").values_list("file", flat=True)
    missing = [name for name in names.iterator() if not (root / name).is_file()]
    if missing:
        return [f"{len(missing)} 个附件缺少文件，例如 {missing[0]}"]
    say(f"附件文件齐全：{names.count()} 个附件均有文件")
    return []


def _check_field_key(say: Callable[[str], None]) -> list[str]:
    """Decrypt one stored value: a restore with another PINGAN_FIELD_KEY is found now, not by users."""
    for model in apps.get_models():
        for field in model._meta.fields:
            if not isinstance(field, EncryptedTextField):
                continue
            stored = model._default_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True)
            try:
                if stored.first() is None:
                    continue
            except ImproperlyConfigured as exc:
                return [f"个人信息无法解密：{exc}"]
            say("个人信息加密密钥核对无误：已加密的信息可以解密")
            return []
    return []
