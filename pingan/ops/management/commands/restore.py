"""`pingan restore PATH`: a backup into an empty database, verified before and checked after."""

import time
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pingan.ops.archive import BadBackup
from pingan.ops.backup import KEY_REMINDER
from pingan.ops.restore import restore_backup


class Command(BaseCommand):
    help = (
        "把 pingan backup 写出的备份恢复到空数据库：先逐个文件校验备份，再恢复数据库和附件文件，"
        "最后核对行数、审计链和附件。需要与备份时相同的密钥。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, metavar="备份文件", help="pingan backup 写出的 .tar 文件")

    def handle(self, *args, path: Path, **options):
        if not path.is_file():
            raise CommandError(f"找不到备份文件：{path}")
        started = time.monotonic()
        try:
            manifest, problems = restore_backup(path, self.stdout.write)
        except BadBackup as exc:
            raise CommandError(f"{exc}未写入任何数据。") from None
        if problems:
            for problem in problems:
                self.stdout.write(self.style.ERROR(problem))
            raise CommandError("恢复已完成，但核对未通过（见上）。")
        made = datetime.fromisoformat(manifest["created_at"]).strftime("%Y-%m-%d %H:%M")
        seconds = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"恢复完成：{made} 的备份 {path.name}，用时 {seconds:.1f} 秒。"))
        self.stdout.write(KEY_REMINDER)
