"""`pingan accountability propose`: run the rules that propose accountability entries (daily)."""

from django.core.management.base import BaseCommand

from pingan.accountability.rules import ranking_provider, run_rules


class Command(BaseCommand):
    help = "问责台账：propose 运行问责规则，提出问责建议（待督导人员确认）；重复运行不会重复提出"

    def add_arguments(self, parser):
        parser.add_argument("task", choices=("propose",), help="propose：运行问责规则")

    def handle(self, *args, task, **options):
        self.stdout.write("正在运行问责规则…")
        total = run_rules(ranking_provider(), progress=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(f"问责规则运行完成：共新提出 {total} 条问责建议，待督导人员确认。")
        )
