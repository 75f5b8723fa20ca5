"""`pingan report KIND --period P [--region CODE] [--out DIR]` generates (or regenerates) a draft and can
copy its files out; `pingan report due` queues the drafts whose time has come for the worker."""

import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pingan.core.errors import DomainError
from pingan.regions.models import Region
from pingan.reports.actions import generate
from pingan.reports.schedule import queue_due

KINDS = ("weekly", "monthly", "quarterly")


class Command(BaseCommand):
    help = (
        "生成调度通报：weekly 周调度表、monthly 月通报、quarterly 季考评；due 把到期未生成的报告交给后台任务"
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=(*KINDS, "due"), help="报告类型，或 due")
        parser.add_argument("--period", help="期间：周 2026-W45、月 2026-10、季度 2026-Q3")
        parser.add_argument("--region", help="区划代码（默认：县）")
        parser.add_argument("--out", help="把 Word 和 Excel 文件复制到该目录")

    def handle(self, *args, kind, period, region, out, **options):
        if kind == "due":
            queued = queue_due()
            for k, p, r in queued:
                self.stdout.write(f"已排队：{k} {p} {r}")
            self.stdout.write(f"共排队 {len(queued)} 份报告，由 pingan worker 生成。")
            return
        if not period:
            raise CommandError("请用 --period 指定期间，如 --period 2026-10")
        county = Region.objects.filter(level=Region.Level.COUNTY).order_by("code").first()
        code = region or (county.code if county else "")
        self.stdout.write(f"正在生成 {kind} {period} {code}…")
        try:
            report = generate(kind, period, code, by=None)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"已生成：{report}（{report.get_status_display()}）")
        if out:
            target = Path(out)
            target.mkdir(parents=True, exist_ok=True)
            for field, ext in ((report.docx, "docx"), (report.xlsx, "xlsx")):
                dest = target / f"{report.kind}-{report.period}-{report.region_id}.{ext}"
                with field.open("rb") as src, dest.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
                self.stdout.write(f"  {dest}")
