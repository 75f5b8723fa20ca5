"""`pingan backup [--to DIR]`: one tar with the database, the attachment files and a manifest."""

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from pingan.ops.backup import KEY_REMINDER, make_backup, summary


class Command(BaseCommand):
    help = "备份数据库和附件文件到一个 .tar 文件（含清单与校验值，不含密钥）。服务运行时也可备份。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--to",
            type=Path,
            default=None,
            metavar="目录",
            help="备份文件写到哪个目录（默认 PINGAN_VAR 下的 backups/）",
        )

    def handle(self, *args, to: Path | None, **options):
        started = time.monotonic()
        path, manifest = make_backup((to or settings.VAR_DIR / "backups").resolve(), self.stdout.write)
        size = path.stat().st_size / 1024 / 1024
        seconds = time.monotonic() - started
        audit, db = manifest["audit"], manifest["database"]
        self.stdout.write(self.style.SUCCESS(f"备份已写入：{path}（{size:.1f} MB，用时 {seconds:.1f} 秒）"))
        self.stdout.write(f"  数据库（{db['vendor']}）：{summary(db['tables'])}")
        self.stdout.write(f"  附件文件：{manifest['attachments']['files']} 个")
        self.stdout.write(f"  审计链头：第 {audit['head_count']} 条，{audit['head_hash']}")
        self.stdout.write("  清单 manifest.json 记有每个文件的 sha256 校验值。")
        self.stdout.write(self.style.WARNING(KEY_REMINDER))
        for key in manifest["keys_not_included"]:
            self.stdout.write(f"  {key['name']}（{key['purpose']}）：{key['kept_in']}")
