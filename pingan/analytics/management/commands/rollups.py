"""`pingan rollups rebuild`: recompute every rollup counter from the case events."""

import time

from django.core.management.base import BaseCommand

from pingan.analytics.rollups import rebuild


class Command(BaseCommand):
    help = "统计汇总工具。rebuild：清空汇总计数，按案件事件逐件重算（与写入时累计的结果相同）。"

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="子命令")
        commands.add_parser("rebuild", help="从案件事件重算全部汇总计数")

    def handle(self, *args, subcommand: str, **options):
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"已重算 {done}/{total} 件（{time.perf_counter() - started:.1f} 秒）")

        done = rebuild(progress=progress)
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"汇总重算完成：{done} 件案件，用时 {elapsed:.1f} 秒"))
