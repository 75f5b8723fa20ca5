from django.apps import apps
from django.core.management.base import BaseCommand

from pingan.cases.clocks import clear_calendar_cache
from pingan.cases.defaults import load_holidays


class Command(BaseCommand):
    help = "从 chinese_calendar 补充法定节假日与调休上班日（已有记录不覆盖）。"

    def handle(self, *args, **options):
        count = load_holidays(apps)
        clear_calendar_cache()
        self.stdout.write(self.style.SUCCESS(f"已核对 {count} 条节假日安排。"))
