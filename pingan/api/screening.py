"""矛盾纠纷排查 returns (GOVERNANCE §9): each town's and village's state for a month, the reporting
rate, and filing a return (the month's `inspection` cases, or a 零报告)."""

from datetime import date, datetime

from ninja import Query, Router, Schema, Status
from pydantic import Field

from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, not_found
from pingan.core.periods import parse_period
from pingan.regions.models import Region
from pingan.screening import actions, selectors
from pingan.screening.models import Return

from .schemas import SIGNED_IN, Out, Ref, answers

router = Router(tags=["排查月报"])


class ReturnOut(Out):
    id: int
    region: Ref
    period: str
    zero_report: bool
    disputes: int = Field(description="该月本区划登记的“排查发现”纠纷数")
    cases: list[str] = Field(description="这些纠纷的案件编号")
    note: str
    filed_by_name: str
    filed_at: datetime
    on_time: bool


class RowOut(Out):
    region: Ref
    level: str
    state: str = Field(description="filed 已报、zero 零报告、missing 逾期未报、pending 未到期")
    state_label: str
    late: bool = Field(description="逾期未报或逾期补报")
    filed: ReturnOut | None


class ScreeningOut(Out):
    region: Ref
    period: str
    due_on: date
    due: int = Field(description="应报数（截止日已过的乡镇和村）")
    on_time: int = Field(description="按时报送数（零报告计为已报）")
    rate: float | None = Field(description="报送率 = 按时报送数 ÷ 应报数；未到截止日为 null")
    items: list[RowOut]


class ScreeningQuery(Schema):
    period: str = Field("", description="月份，如 2026-10；默认上月")
    region: str = Field("", description="区划代码：该区划及其下级；默认本人范围")


class ReturnIn(Schema):
    region: str = Field(description="乡镇或村的区划代码")
    period: str = Field(description="月份，如 2026-10")
    zero_report: bool = Field(False, description="零报告：该月未发现矛盾纠纷")
    note: str = Field("", description="说明，不超过 500 字")


def return_out(ret: Return) -> dict:
    return {
        "id": ret.pk,
        "region": {"code": ret.region.code, "name": ret.region.name},
        "period": ret.period,
        "zero_report": ret.zero_report,
        "disputes": ret.disputes,
        "cases": sorted(ret.cases.values_list("number", flat=True)),
        "note": ret.note,
        "filed_by_name": str(ret.filed_by),
        "filed_at": ret.filed_at,
        "on_time": ret.on_time,
    }


@router.get(
    "/screening",
    response=answers({200: ScreeningOut}, *SIGNED_IN, 404),
    summary="排查月报报送情况",
    description="该区划下每个乡镇、村的报送状态与报送率。某月月报应在次月 PINGAN_SCREENING_DAY 日前报送。",
)
def list_returns(request, q: Query[ScreeningQuery]):
    scope = scope_of(request.user)
    code = q.region or selectors.top_region(scope)
    if not code or not selectors.may_read(scope, code):
        raise not_found()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise not_found()
    period = parse_period(q.period) if q.period else selectors.last_month()
    if period.kind != "month":
        raise DomainError("invalid_period", "排查月报按月查询，月份请写成 2026-10 这样的格式。")
    rows = selectors.rows(code, period)
    rate = selectors.reporting_rate(code, period)
    return {
        "region": {"code": region.code, "name": region.name},
        "period": period.key,
        "due_on": selectors.due_on(period),
        "due": rate.due,
        "on_time": rate.on_time,
        "rate": rate.rate,
        "items": [
            {
                "region": {"code": r.region.code, "name": r.region.name},
                "level": r.region.level,
                "state": r.state,
                "state_label": r.state_label,
                "late": r.late,
                "filed": return_out(r.filed) if r.filed else None,
            }
            for r in rows
        ],
    }


@router.post(
    "/screening",
    response=answers({201: ReturnOut}, *SIGNED_IN, 409),
    summary="报送排查月报",
    description=(
        "纠纷数取该月本区划（含下级）登记的“排查发现”案件；没有则应报零报告。"
        "同一区划同一月份只能报送一次（409 already_filed）。"
    ),
)
def post_return(request, payload: ReturnIn):
    ret = actions.file_return(
        by=request.user,
        region_code=payload.region,
        period_key=payload.period,
        zero_report=payload.zero_report,
        note=payload.note,
    )
    return Status(201, return_out(ret))
