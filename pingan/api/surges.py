"""研判预警: aggregate alerts (place, category, counts) in the caller's scope, and the dispatcher's
two decisions on one (dismiss with a reason; open a rectification case). Thin: parse, call, serialise."""

from datetime import date, datetime

from ninja import Query, Router, Schema, Status
from pydantic import Field

from pingan.accounts.names import display_name
from pingan.core.validation import RecordId
from pingan.surges import actions, selectors
from pingan.surges.models import SurgeAlert

from .schemas import SIGNED_IN, Out, Ref, answers

router = Router(tags=["研判预警"])


class SurgeCategory(Out):
    code: str
    name: str


class SurgeOut(Out):
    id: int
    kind: str = Field(description="rise 数量异常上升 / cluster 同一地点集中报告 / group 较大群体性事项")
    kind_label: str
    region: Ref
    place_name: str = Field(description="乡镇、村（社区）、网格名称连写")
    category: SurgeCategory | None = Field(description="分类；同一地点集中报告涉及多类时为 null")
    place: str = Field(description="集中报告的地点（案件登记的地址）；其他类型为空")
    window_start: date
    window_end: date = Field(description="统计截止日（含）")
    count: int = Field(description="件数；group 为涉及人数")
    baseline: float | None = Field(description="rise：前 8 周周均件数")
    p_value: float | None = Field(description="rise：泊松上尾概率 P(X ≥ 件数)")
    text: str = Field(description="预警内容（一句话）")
    run_day: date = Field(description="研判日期（统计其前 7 日）")
    status: str = Field(description="open 待研判 / dismissed 已排除 / case_opened 已转整改")
    status_label: str
    reason: str = Field(description="排除理由")
    case: str | None = Field(description="转成的整改案件编号")
    acted_by_name: str
    acted_at: datetime | None


class SurgeList(Out):
    items: list[SurgeOut]
    total: int


class SurgeQuery(Schema):
    kind: str = Field("", description="rise、cluster 或 group；默认全部")
    status: str = Field("", description="open、dismissed 或 case_opened；默认全部")
    region: str = Field("", max_length=15, description="区划代码：该区划及其下级")
    since: date | None = Field(None, description="研判日期不早于此日")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class SurgeDismissIn(Schema):
    reason: str = Field(description="排除理由", max_length=2000)


class SurgeCaseIn(Schema):
    title: str = Field("", description="整改案件标题；不填按预警生成", max_length=200)
    description: str = Field("", description="整改要求，接在预警内容之后", max_length=2000)


def surge_out(a: SurgeAlert) -> dict:
    return {
        "id": a.pk, "kind": a.kind, "kind_label": a.get_kind_display(),
        "region": {"code": a.region.code, "name": a.region.name},
        "place_name": selectors.place_name(a.region),
        "category": {"code": a.category.code, "name": a.category.name} if a.category else None,
        "place": a.place, "window_start": a.window_start, "window_end": a.window_end, "count": a.count,
        "baseline": a.baseline, "p_value": a.p_value, "text": selectors.describe(a), "run_day": a.run_day,
        "status": a.status, "status_label": a.get_status_display(), "reason": a.reason,
        "case": a.case.number if a.case else None,
        "acted_by_name": display_name(a.acted_by) if a.acted_by else "", "acted_at": a.acted_at,
    }  # fmt: skip


@router.get(
    "/surges",
    response=answers({200: SurgeList}, *SIGNED_IN),
    summary="研判预警（本人范围）",
    description="按村（社区）× 分类的近 7 日登记量异常上升、同一地点 72 小时内集中报告和较大群体性事项；"
    "只有区划、分类和件数，不含任何个人信息。受理分派员、督导人员和领导可查看，新的在前。",
)
def list_surges(request, q: Query[SurgeQuery]):
    selectors.check_reader(request.user)
    rows = selectors.visible_alerts(
        request.user, kind=q.kind, status=q.status, region=q.region, since=q.since
    )
    return {"items": [surge_out(a) for a in rows[q.offset : q.offset + q.limit]], "total": rows.count()}


@router.get("/surges/{alert_id}", response=answers({200: SurgeOut}, *SIGNED_IN, 404), summary="一条研判预警")
def get_surge(request, alert_id: RecordId):
    return surge_out(selectors.find_alert(request.user, alert_id))


@router.post(
    "/surges/{alert_id}/actions/dismiss",
    response=answers({200: SurgeOut}, *SIGNED_IN, 404, 409),
    summary="排除预警（受理分派员）",
    description="已排除或已转整改的预警不能再处置（409 invalid_transition）。",
)
def dismiss_surge(request, alert_id: RecordId, payload: SurgeDismissIn):
    alert = selectors.find_alert(request.user, alert_id)
    actions.dismiss(alert, by=request.user, reason=payload.reason)
    return surge_out(selectors.find_alert(request.user, alert_id))


@router.post(
    "/surges/{alert_id}/actions/open_case",
    response=answers({201: SurgeOut}, *SIGNED_IN, 404, 409),
    summary="转为整改案件（受理分派员）",
    description="在预警所在区划登记一件 `rectification` 整改案件（经案件登记的同一流程），"
    "预警状态变为 case_opened，`case` 为新案件编号。",
)
def open_case_from_surge(request, alert_id: RecordId, payload: SurgeCaseIn):
    alert = selectors.find_alert(request.user, alert_id)
    actions.open_case(alert, by=request.user, title=payload.title, description=payload.description)
    return Status(201, surge_out(selectors.find_alert(request.user, alert_id)))
