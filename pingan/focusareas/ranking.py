"""The ranking of villages by cases per 1,000 residents (千人发案率, GOVERNANCE §6 重点地区), with the same
days a year earlier and imported 警情 per 1,000 where a figure exists.

How the figures are read:
- **Cases** are the `reported` counters of the rollups (DESIGN §9) for the village's subtree, every
  stream except `rectification` (整改事项 are created by supervisors, often because of a listing: counting
  them would hold a listed village down). Tips count as counts, never content (GOVERNANCE §1).
- **Population** (常住人口): the imported statistic `population` (GOVERNANCE §8) entered for the village
  itself for the year in which the window ends, else for the year before; else the village's own
  `Region.population`. Each window uses its own year's figure, so the rate a year earlier divides by
  that year's population.
- **警情**: the imported statistic `police_incidents`, summed over the figures of the village that lie
  inside the window (statistics.selectors.values_by_subject); absent when none was entered.
- The default window is the last twelve full months; a period key (2026, 2026-Q3, 2026-10) may be
  asked for instead, and a period still running is counted to today, against the same days a year
  earlier. Villages without a population are listed after the ranked ones, not ranked.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from pingan.analytics.selectors import by_village
from pingan.cases.models import Stream
from pingan.core.errors import DomainError
from pingan.core.periods import parse_period
from pingan.regions.models import Region
from pingan.statistics.models import Indicator, StatisticValue
from pingan.statistics.selectors import values_by_subject

from .models import FocusArea

POPULATION = "population"  # indicator code of 常住人口
INCIDENTS = "police_incidents"  # indicator code of 警情数 (公安机关接报警情)
NOT_COUNTED = (Stream.RECTIFICATION,)
ROLLING = "12m"
NO_POPULATION = "未录入常住人口，不参与排名"


@dataclass(frozen=True)
class Window:
    """Local days [start, end)."""

    key: str
    label: str
    start: date
    end: date

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    def year_ago(self) -> "Window":
        return Window(self.key, "上年同期", _year_back(self.start), _year_back(self.end))

    def out(self) -> dict:
        return {"key": self.key, "label": self.label, "start": self.start, "end": self.end}


def _year_back(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def window_for(text: str = "", today: date | None = None) -> Window:
    today = today or timezone.localdate()
    if text in ("", ROLLING):
        end = today.replace(day=1)
        start = end.replace(year=end.year - 1)
        last = end - timedelta(days=1)
        label = f"近12个月（{start.year}年{start.month}月至{last.year}年{last.month}月）"
        return Window(ROLLING, label, start, end)
    period = parse_period(text)
    if period.start > today:
        raise DomainError(
            "invalid_period", f"{period.label}尚未开始。", fields={"period": "请选择已经开始的期间"}
        )
    if period.end > today + timedelta(days=1):
        return Window(period.key, f"{period.label}（截至今日）", period.start, today + timedelta(days=1))
    return Window(period.key, period.label, period.start, period.end)


@dataclass
class Row:
    region: Region
    population: int | None = None
    population_source: str = ""  # "statistic" or "region"; "" without a population
    population_year_ago: int | None = None
    cases: int = 0
    cases_year_ago: int = 0
    incidents: Decimal | None = None
    incidents_year_ago: Decimal | None = None
    rank: int | None = None
    listed: FocusArea | None = None

    @property
    def rate(self) -> float | None:
        return per_thousand(self.cases, self.population)

    @property
    def rate_year_ago(self) -> float | None:
        return per_thousand(self.cases_year_ago, self.population_year_ago)

    @property
    def yoy(self) -> float | None:
        """Change of the rate against the same days a year earlier, as a fraction; None without a base."""
        if self.rate is None or not self.rate_year_ago:
            return None
        return round((self.rate - self.rate_year_ago) / self.rate_year_ago, 4)

    @property
    def incidents_rate(self) -> float | None:
        return per_thousand(self.incidents, self.population)

    @property
    def incidents_rate_year_ago(self) -> float | None:
        return per_thousand(self.incidents_year_ago, self.population_year_ago)

    @property
    def note(self) -> str:
        return "" if self.population else NO_POPULATION


@dataclass
class Ranking:
    scope: Region
    window: Window
    year_ago: Window
    rows: list[Row] = field(default_factory=list)

    @property
    def unranked(self) -> int:
        return sum(1 for r in self.rows if r.rank is None)


def per_thousand(count, population: int | None) -> float | None:
    if count is None or not population:
        return None
    return round(float(count) * 1000 / population, 2)


def _populations(villages: list[Region], years: set[int]) -> dict[tuple[str, int], int]:
    """The imported 常住人口 of each village (its own figure, not its grids') for each year."""
    rows = StatisticValue.objects.filter(
        indicator__code=POPULATION,
        region_id__in=[v.code for v in villages],
        period__in=[str(y) for y in years],
    ).values_list("region_id", "period", "value")
    return {(code, int(period)): int(value) for code, period, value in rows if value > 0}


def _population(village: Region, year: int, figures: dict) -> tuple[int | None, str]:
    for y in (year, year - 1):
        if (village.code, y) in figures:
            return figures[(village.code, y)], "statistic"
    return (village.population, "region") if village.population else (None, "")


def rank_villages(scope: Region, window: Window) -> Ranking:
    """Every village in the subtree of `scope`, ranked; no reader's check here (see selectors)."""
    villages = list(
        Region.objects.filter(code__startswith=scope.code, level=Region.Level.VILLAGE)
        .select_related("parent")
        .order_by("code")
    )
    ago = window.year_ago()
    result = Ranking(scope, window, ago, [Row(v) for v in villages])
    if not villages:
        return result
    now = by_village(scope.code, "reported", window.start, window.last, streams_excluded=NOT_COUNTED)
    then = by_village(scope.code, "reported", ago.start, ago.last, streams_excluded=NOT_COUNTED)
    years = {window.last.year, window.last.year - 1, ago.last.year, ago.last.year - 1}
    figures = _populations(villages, years)
    codes = [v.code for v in villages]
    indicator = Indicator.objects.filter(code=INCIDENTS).first()
    incidents = values_by_subject(indicator, window, "village", codes) if indicator else {}
    incidents_ago = values_by_subject(indicator, ago, "village", codes) if indicator else {}
    in_force = FocusArea.objects.filter(region_id__in=codes, status=FocusArea.Status.LISTED)
    listed = {a.region_id: a for a in in_force}
    for row in result.rows:
        code = row.region.code
        row.population, row.population_source = _population(row.region, window.last.year, figures)
        row.population_year_ago = _population(row.region, ago.last.year, figures)[0]
        row.cases, row.cases_year_ago = now.get(code, 0), then.get(code, 0)
        row.incidents, row.incidents_year_ago = incidents.get(code), incidents_ago.get(code)
        row.listed = listed.get(code)
    ranked = sorted(
        (r for r in result.rows if r.rate is not None), key=lambda r: (-(r.rate or 0), r.region.code)
    )
    for position, row in enumerate(ranked):
        same = position and ranked[position - 1].rate == row.rate  # ties share a rank: 1, 1, 3
        row.rank = ranked[position - 1].rank if same else position + 1
    result.rows = ranked + [r for r in result.rows if r.rate is None]
    return result
