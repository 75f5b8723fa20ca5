from django.core.management.base import BaseCommand, CommandError

from pingan.cases.models import Stream
from pingan.cases.retention import purge


class Command(BaseCommand):
    help = (
        "清除超过保存期限的已结束案件中的个人信息和附件，保留案件编号、分类、区划、状态、时间等统计信息；"
        "并清理没有案件引用的遗留附件文件和过期的导出文件。重复运行不会重复清除。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计将清除的案件和文件，不做任何修改")
        parser.add_argument("--batch", type=int, default=500, help="每批读取的案件数（默认 500）")

    def handle(self, *args, **options):
        if options["batch"] < 1:
            raise CommandError("--batch 须为正整数。")
        result = purge(batch=options["batch"], progress=self.stdout.write, dry_run=options["dry_run"])
        for stream in result.unset:
            self.stdout.write(self.style.WARNING(f"{Stream(stream).label} 未设置保存期限，未清除。"))
        by_stream = "、".join(f"{Stream(s).label} {n} 件" for s, n in result.cases.items() if n)
        counts = f"案件 {result.total} 件{f'（{by_stream}）' if by_stream else ''}"
        if result.dry_run:
            self.stdout.write(
                f"试运行，未做修改：将清除{counts}，删除附件文件 {result.files} 个，"
                f"清理遗留文件 {result.orphans} 个，删除过期导出文件 {result.expired} 个。"
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"保存期限清除完成：清除{counts}，删除附件文件 {result.files} 个，"
                    f"清理遗留文件 {result.orphans} 个，删除过期导出文件 {result.expired} 个。"
                )
            )
