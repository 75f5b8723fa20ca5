"""When each report is due (GOVERNANCE §5): the week's 调度表 on Monday from 08:00, the month's 通报 from
the 5th working day of the next month, the quarter's 考评 from the 5th working day after it ends.
`pingan report due` (a systemd timer, or the demo's loop) queues the drafts that are due and missing;
the worker generates them."""

import logging
from datetime import date, datetime, time

from django.utils import timezone
from django_tasks import task

from pingan.cases.clocks import get_calendar
from pingan.core.errors import DomainError
from pingan.core.periods import Period, period_of
from pingan.regions.models import Region

from .models import Report

logger = logging.getLogger(__name__)
FAILED_MESSAGE = "生成报告时出错。请稍后重新生成；如仍失败，请联系系统管理员。"

MONDAY_HOUR = time(8, 0)
WORKING_DAY = 5


def nth_workday(first: date, n: int) -> date:
    calendar, day, seen = get_calendar(), first, 0
    while True:
        if calendar.is_workday(day):
            seen += 1
            if seen == n:
                return day
        day = date.fromordinal(day.toordinal() + 1)


def due_periods(now: datetime) -> list[tuple[str, Period]]:
    """(kind, period) of the latest report of each kind whose time has come."""
    local = timezone.localtime(now)
    today = local.date()
    week = period_of("week", today)
    last_week = (
        week.previous() if local.time() >= MONDAY_HOUR or today > week.start else week.previous().previous()
    )
    due = [("weekly", last_week)]
    month = period_of("month", today)
    due.append(("monthly", month.previous() if today >= nth_workday(month.start, WORKING_DAY) else
                month.previous().previous()))  # fmt: skip
    quarter = period_of("quarter", today)
    due.append(("quarterly", quarter.previous() if today >= nth_workday(quarter.start, WORKING_DAY) else
                quarter.previous().previous()))  # fmt: skip
    return due


def queue_due(
    now: datetime | None = None, kinds=("weekly", "monthly", "quarterly")
) -> list[tuple[str, str, str]]:
    """Queue a draft for each county and each due (kind, period) that has none; returns what it queued."""
    queued = []
    for kind, period in due_periods(now or timezone.now()):
        if kind not in kinds:
            continue
        for county in Region.objects.filter(level=Region.Level.COUNTY):
            if not Report.objects.filter(kind=kind, period=period.key, region=county).exists():
                generate_report.enqueue(kind, period.key, county.code)
                queued.append((kind, period.key, county.code))
    return queued


@task()
def generate_report(kind: str, period: str, region: str) -> None:
    from .actions import generate

    if not Report.objects.filter(kind=kind, period=period, region_id=region).exists():
        generate(kind, period, region, by=None)


@task()
def build_draft(report_id: int) -> None:
    """The draft the pages asked for (`actions.request_generation`), built by whoever asked for it: a
    grant lost meanwhile fails the job. A failure is written on the report, which the page shows."""
    from .actions import generate  # which imports this module

    report = Report.objects.filter(pk=report_id, queued_at__isnull=False).select_related("queued_by").first()
    if report is None:
        return  # built already (by `pingan report`, the API or an earlier run of this job)
    try:
        generate(report.kind, report.period, report.region_id, by=report.queued_by)
    except DomainError as error:
        Report.objects.filter(pk=report_id).update(queued_at=None, error=error.message[:200])
    except Exception:
        logger.exception("report %s failed", report_id)
        Report.objects.filter(pk=report_id).update(queued_at=None, error=FAILED_MESSAGE)
        raise
