import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections
from django.utils import timezone

from pingan.cases.sweep import sweep
from pingan.cases.workflow import EVENT_LABELS

# What other apps' checks report besides events: the 包案 weekly digest (pingan.notices.digest), the
# day's 研判预警 (pingan.surges).
LABELS = {**EVENT_LABELS, "leader_digest": "包案周报", "surge_alerts": "研判预警"}


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "标记超期环节并逐级升级提醒（承办人 → 单位负责人 → 受理分派员 → 领导），"
        "标记督办案件逾期未报的进展报告；重复运行不会重复升级或重复标记。"
        "--every N 每 N 分钟运行一次，直到按 Ctrl+C 或收到 SIGTERM。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=float, metavar="MINUTES", help="每隔多少分钟运行一次（不给则只运行一次）"
        )

    def handle(self, *args, every: float | None, **options):
        if every is None:
            self.sweep_once()
            return
        if every <= 0:
            raise CommandError("--every 应大于 0（单位：分钟）")
        # SIGTERM (how `pingan demo` stops it) ends the loop as Ctrl+C does. A sweep cut short loses
        # nothing: each chunk commits whole, and the next run carries on where it stopped.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            while True:
                self.sweep_once(stamp=True)
                time.sleep(every * 60)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)

    def sweep_once(self, stamp: bool = False) -> None:
        prefix = f"{timezone.localtime():%H:%M} " if stamp else ""
        try:
            totals = sweep(progress=None if stamp else lambda msg: self.stdout.write(msg))
        except DatabaseError as exc:
            if not stamp:
                raise
            # On a schedule one failed run (a database busy for too long) must not end the schedule.
            self.stderr.write(f"{prefix}超期巡检未能完成，下次按时重试：{exc}")
            return
        finally:
            if stamp:
                connections.close_all()  # not held open through the wait
        marked, escalations = totals.pop("marked"), totals.pop("escalations")
        # What other apps' checks found (督办进展逾期未报…), named by their event's label.
        more = "".join(f"，{LABELS.get(name, name)} {n} 件次" for name, n in totals.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}超期巡检完成：新标记超期 {marked} 件，新增升级 {escalations} 件次{more}。"
            )
        )
