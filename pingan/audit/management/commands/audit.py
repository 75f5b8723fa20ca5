"""`pingan audit verify`: check every hash chain of the audit log from its first entry to its head,
naming each chain that breaks.

The result is also stored for the 审计日志 page (pingan.audit.verification): run it from cron, and
auditors see when the chain was last checked and what was found.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pingan.audit.changes import SYSTEM_ACTOR
from pingan.audit.models import ChainVerification
from pingan.audit.verification import perform


class Command(BaseCommand):
    help = "审计日志工具。verify：从第一条记录起逐条校验哈希链，报告第一条被改动的记录。"

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="子命令")
        verify = commands.add_parser("verify", help="校验整条审计链")
        verify.add_argument(
            "--every", type=int, default=100_000, help="每校验多少条报告一次进度（默认 100000）"
        )

    def handle(self, *args, subcommand: str, every: int, **options):
        if every < 1:
            raise CommandError("--every 须为正整数。")
        run = ChainVerification.objects.create(requested_by=SYSTEM_ACTOR)
        result = perform(run, progress=self._progress, every=every)
        if result.intact:
            self.stdout.write(self.style.SUCCESS(f"审计链完整：共 {result.checked} 条"))
            return
        for chain, bad in sorted(result.breaks.items()):
            at = timezone.localtime(bad.at).strftime("%Y-%m-%d %H:%M:%S")
            self.stdout.write(
                self.style.ERROR(
                    f"审计链 {chain} 断开：id={bad.pk}，时间 {at}，操作人 {bad.actor}，操作 {bad.action}。"
                    "这条记录在写入后被改动，或它前面的记录被删除。"
                )
            )
        for chain in result.short:
            self.stdout.write(
                self.style.ERROR(f"审计链 {chain} 不完整：比链头记的条数少，末尾的记录可能已被删除。")
            )
        raise CommandError(f"审计链校验未通过（链头共记 {result.total} 条，校验通过 {result.checked} 条）。")

    def _progress(self, checked: int, total: int) -> None:
        self.stdout.write(f"已校验 {checked}/{total} 条…")
