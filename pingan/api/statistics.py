"""Imported statistics (GOVERNANCE §8): indicator definitions, stored figures, one figure for a region
or unit and period with its year-on-year change and gap to target, and reporting a figure."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Query, Router, Schema, Status
from pydantic import Field

from pingan.accounts.scope import scope_of
from pingan.core.errors import not_found
from pingan.core.periods import parse_period
from pingan.regions.subjects import region_or_unit
from pingan.statistics import actions, selectors
from pingan.statistics.access import may_read, subject_region
from pingan.statistics.models import Indicator, StatisticValue

from .schemas import SIGNED_IN, answers

router = Router(tags=["统计数据"])


class IndicatorOut(Schema):
    code: str
    name: str
    unit: str
    source: str
    direction: str
    aggregation: str
    survey: bool
    target: Decimal | None


class IndicatorList(Schema):
    items: list[IndicatorOut]


class ValueOut(Schema):
    id: int
    indicator: str
    indicator_name: str
    region: str | None
    unit: str | None
    subject_name: str
    period: str
    value: Decimal
    sample_size: int | None
    via: str
    entered_by_name: str
    entered_at: datetime


class ValueList(Schema):
    items: list[ValueOut]
    total: int


class ValueIn(Schema):
    indicator: str = Field(description="指标代码")
    region: str | None = Field(None, description="区划代码（与 unit 二选一）")
    unit: str | None = Field(None, description="单位代码（与 region 二选一）")
    period: str = Field(description="期间：2026-10、2026-Q3、2026-W45 或 2026")
    value: Decimal | float | int | str = Field(description="数值，不小于 0")
    sample_size: int | None = Field(None, description="样本量（调查类指标必填）")


class ValueQuery(Schema):
    indicator: str = ""
    period: str = Field("", description="只列出落在该期间内的数值")
    region: str = Field("", description="区划代码：该区划及其下级")
    unit: str = ""
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class FigureQuery(Schema):
    indicator: str
    period: str
    region: str = ""
    unit: str = ""


class PeriodOut(Schema):
    key: str
    start: date
    end: date


class FigureOut(Schema):
    indicator: str
    name: str
    region: str | None
    unit: str | None
    period: PeriodOut
    value: Decimal | None
    year_ago: Decimal | None
    yoy: float | None
    target: Decimal | None
    gap: Decimal | None
    met: bool | None


def value_out(v: StatisticValue) -> dict:
    return {
        "id": v.pk,
        "indicator": v.indicator.code,
        "indicator_name": v.indicator.name,
        "region": v.region_id,
        "unit": v.unit.code if v.unit else None,
        "subject_name": v.region.name if v.region else (v.unit.name if v.unit else ""),
        "period": v.period,
        "value": v.value,
        "sample_size": v.sample_size,
        "via": v.via,
        "entered_by_name": str(v.entered_by) if v.entered_by else "",
        "entered_at": v.entered_at,
    }


@router.get(
    "/statistics/indicators", response=answers({200: IndicatorList}, *SIGNED_IN), summary="统计指标定义"
)
def list_indicators(request):
    rows = Indicator.objects.filter(active=True)
    return {"items": list(rows)}


@router.get("/statistics", response=answers({200: ValueList}, *SIGNED_IN), summary="已报送的统计数值")
def list_values(request, q: Query[ValueQuery]):
    rows = selectors.readable_values(
        scope_of(request.user), indicator=q.indicator, period=q.period, region=q.region, unit=q.unit
    )
    return {"items": [value_out(v) for v in rows[q.offset : q.offset + q.limit]], "total": rows.count()}


@router.get(
    "/statistics/figure",
    response=answers({200: FigureOut}, *SIGNED_IN, 404),
    summary="某区划或单位某期间的统计数值",
    description="区划取其下级汇总（见说明）；附去年同期、同比、目标值与差距（正数为好于目标）。",
)
def get_figure(request, q: Query[FigureQuery]):
    indicator = actions.indicator_of(q.indicator)
    period = parse_period(q.period)
    region, unit = region_or_unit(q.region, q.unit)
    if not may_read(scope_of(request.user), subject_region(region, unit)):
        raise not_found()
    f = selectors.figure(indicator, period, region=region, unit=unit)
    return {
        "indicator": indicator.code,
        "name": indicator.name,
        "region": region.code if region else None,
        "unit": unit.code if unit else None,
        "period": {"key": period.key, "start": period.start, "end": period.end},
        "value": f.value,
        "year_ago": f.year_ago,
        "yoy": f.yoy,
        "target": f.target,
        "gap": f.gap,
        "met": f.met(indicator),
    }


@router.post(
    "/statistics", response=answers({200: ValueOut, 201: ValueOut}, *SIGNED_IN), summary="报送统计数值"
)
def post_value(request, payload: ValueIn):
    indicator = actions.indicator_of(payload.indicator)
    period = parse_period(payload.period)
    region, unit = region_or_unit(payload.region, payload.unit)
    figure = actions.figure_from(indicator, period, region, unit, payload.value, payload.sample_size)
    existed = StatisticValue.objects.filter(
        indicator=indicator, region=region, unit=unit, period=period.key
    ).exists()
    [saved] = actions.set_values([figure], by=request.user, via=StatisticValue.Via.API)
    return Status(200 if existed else 201, value_out(saved))
