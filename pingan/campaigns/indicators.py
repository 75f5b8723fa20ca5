"""Where an indicator's current value comes from, and that value computed live (GOVERNANCE §6):

- a KPI key of pingan.assessment (`closed_rate`): the figure of the scope regions from the campaign's
  first day to today, read from the rollups like every KPI;
- `statistic:<code>`: an imported statistic (pingan.statistics) of the scope regions for the months the
  campaign has run;
- `cases:<query string>`: a saved case filter, in the ledger's own words (`stream=hazard&overdue=true`),
  counted over the cases of the scope regions that the reader may see.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.http import QueryDict

from pingan.analytics import selectors as rollups
from pingan.assessment.kpis import KEYS, LABELS, is_rate, values
from pingan.cases.models import Case
from pingan.cases.selectors import filter_cases
from pingan.cases.views.params import FILTER_FIELDS, ledger_filter
from pingan.core.errors import DomainError, invalid
from pingan.core.periods import Period
from pingan.regions.models import subtree_q
from pingan.statistics import selectors as statistics
from pingan.statistics.models import Indicator as Statistic

STATISTIC, CASES = "statistic:", "cases:"
CASES_HINT = "案件筛选条件应为台账的筛选参数，如 cases:stream=hazard&status=closed。"
SOURCE_HINT = "数据来源应为考核指标代码（如 closed_rate）、statistic:统计指标代码或 cases:台账筛选条件。"


@dataclass(frozen=True)
class Source:
    kind: str  # "kpi", "statistic", "cases" or "" (no live value)
    key: str  # the KPI key, the statistic's code or the query string
    label: str

    @property
    def stored(self) -> str:
        """How the indicator keeps it: the KPI key bare, the others with their prefix."""
        return self.key if self.kind in ("", "kpi") else f"{self.kind}:{self.key}"

    @property
    def is_rate(self) -> bool:
        return self.kind == "kpi" and is_rate(self.key)


def parse(text: str | None) -> Source:
    """The source an indicator names; a 400 on `indicators.source` when it names none."""
    text = (text or "").strip()
    if not text:
        return Source("", "", "手工填报")
    if text in KEYS:
        return Source("kpi", text, f"考核指标：{LABELS[text]}")
    if text.startswith(STATISTIC):
        code = text[len(STATISTIC) :].strip()
        found = Statistic.objects.filter(code=code).values_list("name", flat=True).first()
        if found is None:
            raise invalid({"indicators.source": f"统计指标“{code[:32]}”不存在。"})
        return Source("statistic", code, f"统计数据：{found}")
    if text.startswith(CASES):
        query = text[len(CASES) :].strip().lstrip("?")
        q = QueryDict(query)
        unknown = [name for name in q if name not in FILTER_FIELDS]
        if not query or unknown:
            raise invalid({"indicators.source": CASES_HINT})
        try:
            ledger_filter(q)
        except DomainError as error:
            raise invalid(
                {"indicators.source": f"案件筛选条件有误：{error.fields or error.message}"}
            ) from None
        return Source("cases", q.urlencode(), "案件台账筛选")
    raise invalid({"indicators.source": SOURCE_HINT})


def parse_stored(text: str) -> Source:
    """A stored source, read again: one that no longer parses (a statistic removed since) has no value."""
    try:
        return parse(text)
    except DomainError:
        return Source("", "", "数据来源已失效")


class Kpis:
    """KPI figures of regions over days, read from the rollups once per (regions, days)."""

    def __init__(self) -> None:
        self.found: dict[tuple, dict] = {}

    def value(self, key: str, regions: list[str], first: date, last: date) -> float | int | None:
        wanted = (tuple(regions), first, last)
        if wanted not in self.found:
            merged = rollups.Sums()
            for code in regions:
                for found in rollups.sums(rollups.Where(region=code[:12]), first, last).values():
                    merged.flows.update(found.flows)  # the rollups stop at villages
                    merged.stocks.update(found.stocks)
                    merged.local_disputes_closed += found.local_disputes_closed
            self.found[wanted] = values(merged)
        return self.found[wanted][key]


def statistic_value(code: str, regions, first: date, today: date) -> Decimal | None:
    statistic = Statistic.objects.filter(code=code).first()
    if statistic is None:
        return None
    start = first.replace(day=1)
    end = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    # The months the campaign has run: a span, not a calendar period (value_for reads start and end).
    span = Period("month", start.year, start.month, start, end)
    found: list[tuple[Decimal, int | None]] = [
        (v, None)
        for region in regions
        if (v := statistics.value_for(statistic, span, region=region)) is not None
    ]
    return statistics.combine(statistic, found) if found else None


def cases_value(user, query: str, regions: list[str]) -> int:
    f = ledger_filter(QueryDict(query))
    where = subtree_q("region", regions[0])
    for code in regions[1:]:
        where |= subtree_q("region", code)
    return filter_cases(Case.objects.visible_to(user), f).filter(where).count()


def current(user, source: Source, regions, first: date, today: date, kpis: Kpis | None = None):
    """The live value of a source for the campaign's regions (Region rows) from `first` to today."""
    if source.kind == "kpi":
        return (kpis or Kpis()).value(source.key, [r.code for r in regions], first, max(first, today))
    if source.kind == "statistic":
        return statistic_value(source.key, regions, first, today)
    if source.kind == "cases":
        return cases_value(user, source.key, [r.code for r in regions])
    return None
