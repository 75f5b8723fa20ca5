"""KPI figures and rankings (GOVERNANCE §2–§3): thin over pingan.assessment.selectors."""

from ninja import Router

from pingan.assessment import selectors
from pingan.core.replica import reading_from_replica

from .schemas import SIGNED_IN, KpiBreakdown, KpiOut, KpiRanking, answers

router = Router(tags=["考核指标"])

PERIOD = "统计周期：2025-03（月）、2025-W09（ISO 周）、2025-Q1（季度）或 2025（年）"


@router.get(
    "/kpis",
    response=answers({200: KpiOut}, *SIGNED_IN, 404),
    exclude_unset=True,
    summary="考核指标",
    description="区划（含下级）或单位在一个周期内的全部指标，按周期末的状态计算；分母为 0 的比率为 null。"
    "不给 region 和 unit 时为本人权限内最高一级区划。" + PERIOD + "。",
)
@reading_from_replica()
def kpis(request, period: str, region: str | None = None, unit: str | None = None, stream: str | None = None):
    return selectors.kpis(request.user, period=period, region=region, unit=unit, stream=stream)


@router.get(
    "/kpis/breakdown",
    response=answers({200: KpiBreakdown}, *SIGNED_IN, 404),
    exclude_unset=True,
    summary="考核指标分组",
    description="by=town：区划内每个乡镇（街道）一行；by=unit：驻地在区划内的每个单位一行（本单位牵头的案件）。",
)
@reading_from_replica()
def breakdown(request, period: str, by: str = "town", region: str | None = None, stream: str | None = None):
    return selectors.breakdown(request.user, period=period, by=by, region=region, stream=stream)


@router.get(
    "/kpis/ranking",
    response=answers({200: KpiRanking}, *SIGNED_IN, 404),
    summary="考核排名",
    description="按考核方案给全县乡镇（level=town）或县直部门（level=unit）打分、评定等次并排名："
    "同分并列，触发否决项的等次为 E 并排在其余之后，rank_change 为较上一同类周期的名次变化。"
    "不给 scheme 时用该周期最后一天在用的方案。只返回本人有权查看的行，名次按全县计。" + PERIOD + "。",
)
@reading_from_replica()
def ranking(request, level: str, period: str, scheme: str | None = None):
    return selectors.ranking(request.user, level=level, period=period, scheme=scheme)
