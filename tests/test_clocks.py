"""Due times on the business calendar: holidays, make-up working days, pauses."""

from datetime import date, datetime, timedelta

import pytest

from pingan.cases.clocks import LOCAL, WorkCalendar, clear_calendar_cache, get_calendar, missing_holiday_years
from pingan.cases.models import CalendarDay, Case

from .conftest import case_body


def at(*args):
    return datetime(*args, tzinfo=LOCAL)


@pytest.fixture
def cal(db):
    clear_calendar_cache()
    yield get_calendar()
    clear_calendar_cache()


def test_work_days_skip_national_day_2026(cal):
    # Tue 29 Sep 2026; 1–7 Oct are the National Day holiday (with Mid-autumn 25–27 Sep).
    assert cal.add(at(2026, 9, 29, 10), 1, "work_days") == at(2026, 9, 30, 17, 30)
    assert cal.add(at(2026, 9, 29, 10), 2, "work_days") == at(2026, 10, 8, 17, 30)


def test_make_up_working_days_count(cal):
    # Sat 10 Oct 2026 is a make-up working day after National Day; Sat 26 Sep is not (holiday).
    assert cal.is_workday(date(2026, 10, 10))
    assert cal.add(at(2026, 10, 9, 16), 1, "work_days") == at(2026, 10, 10, 17, 30)
    # Sun 20 Sep 2026 is worked for National Day.
    assert cal.add(at(2026, 9, 18, 9), 1, "work_days") == at(2026, 9, 20, 17, 30)


def test_work_days_skip_spring_festival_2026(cal):
    # Spring Festival 15–23 Feb 2026; Sat 14 Feb and Sat 28 Feb are make-up working days.
    assert cal.add(at(2026, 2, 13, 9), 1, "work_days") == at(2026, 2, 14, 17, 30)
    assert cal.add(at(2026, 2, 14, 9), 1, "work_days") == at(2026, 2, 24, 17, 30)
    assert cal.add(at(2026, 2, 27, 9), 1, "work_days") == at(2026, 2, 28, 17, 30)


def test_work_hours_cross_lunch_nights_and_holidays(cal):
    assert cal.add(at(2026, 11, 23, 11), 2, "work_hours") == at(2026, 11, 23, 15)
    # Wednesday 30 Sep 2026 at 16:30: one hour today, the rest after the National Day holiday.
    assert cal.add(at(2026, 9, 30, 16, 30), 4, "work_hours") == at(2026, 10, 8, 11, 30)
    # Before opening hours the clock starts at 08:30.
    assert cal.add(at(2026, 11, 23, 6), 1, "work_hours") == at(2026, 11, 23, 9, 30)


def test_natural_days_ending_on_a_holiday_end_on_the_next_working_day(cal):
    assert cal.add(at(2026, 11, 2, 9), 10, "natural_days") == at(2026, 11, 12, 23, 59, 59)
    # 2026-09-21 + 10 days = 1 Oct, a holiday: the period ends on Thu 8 Oct.
    assert cal.add(at(2026, 9, 21, 9), 10, "natural_days") == at(2026, 10, 8, 23, 59, 59)


def test_a_year_without_holiday_data_falls_back_to_weekdays(cal):
    assert 2027 not in cal.covered_years
    # 1 Jan 2027 is a Friday: with no arrangement entered it counts as a working day.
    assert cal.add(at(2026, 12, 31, 9), 1, "work_days") == at(2027, 1, 1, 17, 30)
    assert cal.add(at(2027, 1, 8, 9), 1, "work_days") == at(2027, 1, 11, 17, 30)
    assert missing_holiday_years(date(2026, 11, 22)) == [2027]


def test_entering_a_holiday_changes_deadlines(cal):
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    clear_calendar_cache()
    assert get_calendar().add(at(2026, 12, 31, 9), 1, "work_days") == at(2027, 1, 4, 17, 30)


def test_pause_gives_back_the_time_left():
    cal = WorkCalendar({}, ((datetime.min.time().replace(hour=9), datetime.min.time().replace(hour=17)),))
    due = at(2026, 11, 25, 17)  # Wednesday
    paused, resumed = at(2026, 11, 24, 9), at(2026, 11, 30, 9)  # Tue → next Mon
    # Two working days were left when paused; they run again from Monday.
    assert cal.shift_for_pause(due, paused, resumed, "work_days") == at(2026, 12, 1, 17)
    assert cal.shift_for_pause(due, paused, resumed, "natural_days") == due + timedelta(days=6)


def test_suspended_case_resolve_clock_does_not_run(county):
    """Actions take `now`: the case lives through November 2026 without touching its due times."""
    from pingan.cases import actions

    d, h, leader = (county.users[u] for u in ("dispatcher", "handler", "leader"))
    t0 = at(2026, 11, 2, 9)
    body = case_body(county, stream="dispute", category="D02", title="邻里纠纷")
    case = actions.create_case(d, body, now=t0)
    case = actions.accept_case(case, by=d, now=t0)
    due = case.resolve_due
    assert due == at(2026, 12, 2, 23, 59, 59)  # 30 natural days
    case = actions.dispatch_case(case, by=d, lead_unit=county.town_unit(county.towns[0], "judicial"), now=t0)
    case = actions.sign_case(case, by=h, now=t0)
    case = actions.request_suspension(case, by=h, reason="当事人住院，暂无法调解", now=t0)
    case = actions.decide_suspension(case, by=leader, approve=True, now=t0 + timedelta(days=1))
    assert case.status == "suspended"
    # While suspended the case is not overdue even when the old due time passes.
    assert Case.objects.filter(number=case.number).overdue(at(2026, 12, 5)).count() == 0
    case = actions.resume_case(case, by=d, now=t0 + timedelta(days=11))
    assert case.status == "in_progress"
    assert Case.objects.get(number=case.number).resolve_due == due + timedelta(days=10)


def test_calendar_is_filled_from_chinese_calendar_by_the_migration(db):
    assert CalendarDay.objects.filter(date=date(2026, 10, 1), is_workday=False).exists()
    assert CalendarDay.objects.filter(date=date(2026, 10, 10), is_workday=True).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()
