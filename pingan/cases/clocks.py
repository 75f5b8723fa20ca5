"""Due times on a business calendar (DESIGN §4).

Holidays and make-up working days live in the CalendarDay table (filled from chinese_calendar, editable
in the admin); a year with no entries falls back to Monday–Friday, so a computation never fails.
"""

import time as _time
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from .models import CalendarDay, TimeUnit

LOCAL = ZoneInfo("Asia/Shanghai")
_CACHE_SECONDS = 300


def parse_work_hours(spec: str) -> tuple[tuple[time, time], ...]:
    periods = []
    for part in spec.split(","):
        start, end = part.strip().split("-")
        periods.append((time.fromisoformat(start), time.fromisoformat(end)))
    return tuple(sorted(periods))


@dataclass(frozen=True)
class WorkCalendar:
    exceptions: dict[date, bool]
    periods: tuple[tuple[time, time], ...]

    @property
    def covered_years(self) -> frozenset[int]:
        return frozenset(d.year for d in self.exceptions)

    def is_workday(self, day: date) -> bool:
        return self.exceptions.get(day, day.weekday() < 5)

    def _day_end(self, day: date) -> datetime:
        return datetime.combine(day, self.periods[-1][1], LOCAL)

    def _next_workday(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def add(self, start: datetime, amount: int, unit: str) -> datetime:
        start = start.astimezone(LOCAL)
        if unit == TimeUnit.NATURAL_DAYS:
            last = start.date() + timedelta(days=amount)
            # A period whose last day is a rest day ends on the next working day (民法典 §203).
            if not self.is_workday(last):
                last = self._next_workday(last)
            return datetime.combine(last, time(23, 59, 59), LOCAL)
        if unit == TimeUnit.WORK_DAYS:
            day = start.date()
            for _ in range(amount):
                day = self._next_workday(day)
            return self._day_end(day)
        if unit == TimeUnit.WORK_HOURS:
            return self.add_work_seconds(start, amount * 3600)
        raise ValueError(f"unknown time unit {unit!r}")

    def _periods_from(self, moment: datetime):
        """Working periods (start, end) from `moment` on, clipped to begin no earlier than it."""
        day = moment.date()
        while True:
            if self.is_workday(day):
                for p_start, p_end in self.periods:
                    s = datetime.combine(day, p_start, LOCAL)
                    e = datetime.combine(day, p_end, LOCAL)
                    if e > moment:
                        yield max(s, moment), e
            day += timedelta(days=1)

    def add_work_seconds(self, start: datetime, seconds: float) -> datetime:
        start = start.astimezone(LOCAL)
        remaining = seconds
        for s, e in self._periods_from(start):
            span = (e - s).total_seconds()
            if remaining <= span:
                return s + timedelta(seconds=remaining)
            remaining -= span
        raise AssertionError("unreachable")

    def work_seconds_between(self, a: datetime, b: datetime) -> float:
        if b <= a:
            return 0.0
        total = 0.0
        for s, e in self._periods_from(a.astimezone(LOCAL)):
            if s >= b:
                break
            total += (min(e, b) - s).total_seconds()
        return total

    def shift_for_pause(
        self, due: datetime, paused_at: datetime, resumed_at: datetime, unit: str
    ) -> datetime:
        """The due time after a pause: the time left when paused is granted again from resumption."""
        if unit == TimeUnit.NATURAL_DAYS:
            return due + (resumed_at - paused_at)
        remaining = self.work_seconds_between(paused_at, due)
        return self.add_work_seconds(resumed_at, remaining)


_cached: tuple[float, WorkCalendar] | None = None


def get_calendar() -> WorkCalendar:
    global _cached
    if _cached is None or _time.monotonic() - _cached[0] > _CACHE_SECONDS:
        exceptions = dict(CalendarDay.objects.values_list("date", "is_workday"))
        _cached = (_time.monotonic(), WorkCalendar(exceptions, parse_work_hours(settings.PINGAN_WORK_HOURS)))
    return _cached[1]


def clear_calendar_cache(**_kwargs) -> None:
    global _cached
    _cached = None


def missing_holiday_years(today: date | None = None) -> list[int]:
    """This year and next, where the holiday arrangement has not been entered yet."""
    today = today or datetime.now(LOCAL).date()
    covered = get_calendar().covered_years
    return [
        y for y in (today.year, today.year + 1) if y not in covered and (y == today.year or today.month >= 11)
    ]
