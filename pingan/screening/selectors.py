"""Reading 排查月报: which towns and villages are due for a month, the state of each, and the reporting
rate (按时报送数 ÷ 应报数) that a scoring scheme may read.

The return for month M is due by the end of day `SCREENING_DAY` (local) of month M+1. Every town and
every village files its own; a town's return covers its whole subtree (its villages' findings too),
a village's its own subtree (grids)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from pingan.accounts import policy
from pingan.accounts.scope import Scope
from pingan.cases.models import Case, Stream
from pingan.core.periods import Period, period_of
from pingan.regions.models import Region, subtree_q

from .models import Return

READERS = ("leader", "supervisor", "dispatcher", "grid_worker")
# Who files: a village's grid workers and the dispatchers above it; a town's dispatchers.
FILERS = {"village": ("grid_worker", "dispatcher"), "town": ("dispatcher",)}
LEVELS = tuple(FILERS)
STATES = {"filed": "已报", "zero": "零报告", "missing": "逾期未报", "pending": "未到期"}


def last_month() -> Period:
    return period_of("month", timezone.localdate().replace(day=1) - timedelta(days=1))


def due_on(period: Period) -> date:
    """The last day to file the return of `period` (a month)."""
    day = min(max(int(settings.SCREENING_DAY), 1), 28)
    return period.end.replace(day=day)


def may_read(scope: Scope, code: str) -> bool:
    return policy.covers(scope, READERS, code)


def may_file(scope: Scope, region: Region) -> bool:
    return policy.covers(scope, FILERS.get(region.level, ()), region.code)


def top_region(scope: Scope) -> str | None:
    codes = scope.regions_for(*READERS)
    return min(codes, key=len) if codes else None


def subjects(code: str) -> QuerySet[Region]:
    """The towns and villages in the subtree of `code` that file returns (the region itself too)."""
    return Region.objects.filter(code__startswith=code, level__in=LEVELS)


def fileable(scope: Scope, code: str) -> list[Region]:
    """The regions under `code` this scope files returns for."""
    return [r for r in subjects(code).order_by("code") if may_file(scope, r)]


def disputes(region: Region, period: Period) -> QuerySet[Case]:
    """The disputes registered in the month with channel `inspection` in the region's subtree. Other
    streams found on inspection (a hazard from a 安全生产 check) are not 矛盾纠纷 and stay out; so do
    tips, whose content is for the few who read them."""
    zone = timezone.get_current_timezone()
    return Case.objects.filter(
        subtree_q("region", region.code),
        channel=Case.Channel.INSPECTION,
        reported_at__gte=datetime.combine(period.start, time.min, tzinfo=zone),
        reported_at__lt=datetime.combine(period.end, time.min, tzinfo=zone),
        stream=Stream.DISPUTE,
    )


@dataclass(frozen=True)
class Row:
    region: Region
    state: str
    filed: Return | None

    @property
    def state_label(self) -> str:
        return STATES[self.state]

    @property
    def late(self) -> bool:
        """Missing after the due day, or filed after it."""
        return self.state == "missing" or (self.filed is not None and not self.filed.on_time)


def rows(code: str, period: Period, today: date | None = None) -> list[Row]:
    today = today or timezone.localdate()
    found = {
        r.region_id: r
        for r in Return.objects.filter(subtree_q("region", code), period=period.key).select_related(
            "filed_by"
        )
    }
    overdue = today > due_on(period)
    out = []
    for region in subjects(code).order_by("code"):
        ret = found.get(region.code)
        if ret is not None:
            state = "zero" if ret.zero_report else "filed"
        else:
            state = "missing" if overdue else "pending"
        out.append(Row(region, state, ret))
    return out


@dataclass(frozen=True)
class Rate:
    due: int  # 应报数: towns and villages whose due day has passed
    on_time: int  # 按时报送数 (a 零报告 counts as filed)

    @property
    def rate(self) -> float | None:
        return round(self.on_time / self.due, 4) if self.due else None


def reporting_rate(code: str, period: Period, today: date | None = None) -> Rate:
    """The reporting rate of the subtree of `code` for a month: what a scoring scheme reads. Before the
    due day nothing is due yet and the rate is None."""
    today = today or timezone.localdate()
    if today <= due_on(period):
        return Rate(0, 0)
    due = subjects(code).count()
    on_time = Return.objects.filter(
        subtree_q("region", code), period=period.key, on_time=True, region__level__in=LEVELS
    ).count()
    return Rate(due, on_time)


def months_in(period: Period) -> list[Period]:
    """The months a period holds whole: itself, a quarter's three, a year's twelve; none in a week."""
    if period.kind == "week":
        return []
    months, day = [], period.start
    while day < period.end:
        month = period_of("month", day)
        months.append(month)
        day = month.end
    return months


def period_reporting_rate(code: str, period: Period, today: date | None = None) -> Rate:
    """The reporting rate over every month of `period` (按时报送数 ÷ 应报数 summed over its months), for
    scoring a month, a quarter or a year; a week holds no monthly return and has no rate."""
    rates = [reporting_rate(code, month, today) for month in months_in(period)]
    return Rate(sum(r.due for r in rates), sum(r.on_time for r in rates))
