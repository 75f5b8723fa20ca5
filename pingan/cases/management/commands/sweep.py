from django.core.management.base import BaseCommand

from pingan.cases.sweep import sweep


class Command(BaseCommand):
    help = "标记超期环节并逐级升级提醒（承办人 → 单位负责人 → 受理分派员 → 领导）；重复运行不会重复升级。"

    def handle(self, *args, **options):
        totals = sweep(progress=lambda msg: self.stdout.write(msg))
        self.stdout.write(
            self.style.SUCCESS(
                f"超期巡检完成：新标记超期 {totals['marked']} 件，新增升级 {totals['escalations']} 件次。"
            )
        )
