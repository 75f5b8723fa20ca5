from chinese_calendar import constants
from django.core.management.base import BaseCommand

from pingan.cases.clocks import clear_calendar_cache
from pingan.cases.models import CalendarDay


class Command(BaseCommand):
    help = "从 chinese_calendar 补充法定节假日与调休上班日（已有记录不覆盖）。"

    def handle(self, *args, **options):
        rows = [
            CalendarDay(date=d, is_workday=False, note=str(name)) for d, name in constants.holidays.items()
        ]
        rows += [
            CalendarDay(date=d, is_workday=True, note=f"{name}调休") for d, name in constants.workdays.items()
        ]
        CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)
        clear_calendar_cache()
        self.stdout.write(self.style.SUCCESS(f"已核对 {len(rows)} 条节假日安排。"))
