"""`pingan surges detect [--date YYYY-MM-DD]`: the day's 研判预警 by hand (the sweep runs it daily)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from pingan.surges.actions import run_detection


class Command(BaseCommand):
    help = (
        "研判预警：detect 按村（社区）× 分类比较近 7 日与前 8 周，找出同一地点集中报告和较大群体性事项；"
        "重复运行不会重复预警"
    )

    def add_arguments(self, parser):
        parser.add_argument("task", choices=("detect",), help="detect：运行一天的研判")
        parser.add_argument("--date", help="研判日期（YYYY-MM-DD，统计其前 7 日），默认今天")

    def handle(self, *args, task, date: str | None = None, **options):
        day = None
        if date:
            try:
                day = _parse(date)
            except ValueError:
                raise CommandError("--date 应为日期，如 2026-12-01") from None
        counts = run_detection(day, progress=self.stdout.write)
        new = counts["rise"] + counts["cluster"] + counts["group"]
        self.stdout.write(self.style.SUCCESS(f"研判完成：新增预警 {new} 条，通知 {counts['notices']} 人次。"))


def _parse(text: str) -> date:
    return date.fromisoformat(text.strip())
