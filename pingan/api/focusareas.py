"""重点地区 (GOVERNANCE §6): the ranking of villages by cases per 1,000 residents, and the list of
重点整治地区 a supervisor keeps (list with a deadline, delist after 验收)."""

from datetime import date, datetime

from ninja import Query, Router, Schema, Status
from pydantic import Field

from pingan.accounts.names import display_name
from pingan.core.validation import RecordId
from pingan.focusareas import actions, selectors
from pingan.focusareas.models import FocusArea
from pingan.focusareas.ranking import Ranking, Row, Window

from .schemas import SIGNED_IN, Out, Ref, answers

router = Router(tags=["重点地区"])


class WindowOut(Out):
    key: str = Field(description="12m（近12个月）或期间代码，如 2026、2026-Q3")
    label: str
    start: date
    end: date = Field(description="截止日（不含）")


class ListedRef(Out):
    id: int
    deadline: date
    overdue: bool


class RankRow(Out):
    region: Ref
    town: Ref | None
    population: int | None = Field(description="常住人口；未录入为 null（不参与排名）")
    population_source: str = Field(description="statistic 导入的统计数、region 区划资料，或空")
    cases: int = Field(description="期间登记的案件数（不含整改事项）")
    cases_year_ago: int
    rate: float | None = Field(description="千人发案率 = 案件数 ÷ 常住人口 × 1000")
    rate_year_ago: float | None
    yoy: float | None = Field(
        description="千人发案率同比变化（小数，-0.12 即下降 12%）；上年同期为 0 或无人口为 null"
    )
    incidents: float | None = Field(description="导入的警情数；未导入为 null")
    incidents_rate: float | None = Field(description="千人警情数")
    incidents_rate_year_ago: float | None
    rank: int | None = Field(description="按千人发案率从高到低的名次，并列同名次；无人口为 null")
    note: str
    listed: ListedRef | None = Field(description="正在整治的重点整治地区")


class RankingOut(Out):
    scope: Ref
    period: WindowOut
    year_ago: WindowOut
    unranked: int = Field(description="未录入常住人口、不参与排名的村（社区）数")
    rows: list[RankRow]


class RankingQuery(Schema):
    region: str = Field("", max_length=15, description="区划代码：县、乡镇或村；默认本人范围")
    period: str = Field("", max_length=16, description="12m（默认，近12个月）或 2026、2026-Q3、2026-10")


class AreaOut(Out):
    id: int
    region: Ref
    town: Ref | None
    status: str = Field(description="listed 整治中 / delisted 已验收摘牌")
    status_label: str
    reason: str
    deadline: date
    overdue: bool = Field(description="整治中且已过整治期限")
    basis_window: str = Field(description="列入时依据的期间")
    basis_rate: float | None = Field(description="列入时的千人发案率")
    basis_rank: int | None = Field(description="列入时在全县的名次")
    listed_by_name: str
    listed_at: datetime
    delisted_by_name: str
    delisted_at: datetime | None
    acceptance_note: str


class AreaList(Out):
    items: list[AreaOut]
    total: int


class AreaQuery(Schema):
    status: str = Field("", description="listed 或 delisted；默认全部（含历史）")
    region: str = Field("", max_length=15, description="区划代码：该区划及其下级")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class AreaIn(Schema):
    region: str = Field(description="村（社区）的区划代码", max_length=15)
    reason: str = Field(description="列入理由", max_length=2000)
    deadline: date = Field(description="整治期限，晚于今天、不超过两年")


class DelistIn(Schema):
    note: str = Field(description="验收意见（整治完成情况）", max_length=2000)


def _ref(region) -> dict | None:
    return {"code": region.code, "name": region.name} if region is not None else None


def _window(w: Window) -> dict:
    return w.out()


def _row(r: Row) -> dict:
    return {
        "region": _ref(r.region), "town": _ref(r.region.parent),
        "population": r.population, "population_source": r.population_source,
        "cases": r.cases, "cases_year_ago": r.cases_year_ago,
        "rate": r.rate, "rate_year_ago": r.rate_year_ago, "yoy": r.yoy,
        "incidents": float(r.incidents) if r.incidents is not None else None,
        "incidents_rate": r.incidents_rate, "incidents_rate_year_ago": r.incidents_rate_year_ago,
        "rank": r.rank, "note": r.note,
        "listed": {"id": r.listed.pk, "deadline": r.listed.deadline, "overdue": selectors.overdue(r.listed)}
        if r.listed else None,
    }  # fmt: skip


def ranking_out(result: Ranking) -> dict:
    return {
        "scope": _ref(result.scope), "period": _window(result.window), "year_ago": _window(result.year_ago),
        "unranked": result.unranked, "rows": [_row(r) for r in result.rows],
    }  # fmt: skip


def area_out(a: FocusArea) -> dict:
    return {
        "id": a.pk, "region": _ref(a.region), "town": _ref(a.region.parent),
        "status": a.status, "status_label": a.get_status_display(),
        "reason": a.reason, "deadline": a.deadline, "overdue": selectors.overdue(a),
        "basis_window": a.basis_window,
        "basis_rate": float(a.basis_rate) if a.basis_rate is not None else None, "basis_rank": a.basis_rank,
        "listed_by_name": display_name(a.listed_by), "listed_at": a.listed_at,
        "delisted_by_name": display_name(a.delisted_by) if a.delisted_by else "",
        "delisted_at": a.delisted_at, "acceptance_note": a.acceptance_note,
    }  # fmt: skip


@router.get(
    "/focus-areas/ranking",
    response=answers({200: RankingOut}, *SIGNED_IN, 404),
    summary="村（社区）千人发案率排名",
    description="按千人发案率从高到低排列本人范围内的村（社区），含上年同期、同比和导入的千人警情数；"
    "未录入常住人口的村（社区）列在最后，不参与排名。",
)
def get_ranking(request, q: Query[RankingQuery]):
    return ranking_out(selectors.ranking(request.user, region=q.region, period=q.period))


@router.get("/focus-areas", response=answers({200: AreaList}, *SIGNED_IN), summary="重点整治地区（含历史）")
def list_areas(request, q: Query[AreaQuery]):
    selectors.check_reader(request.user)
    rows = selectors.visible_areas(request.user, status=q.status, region=q.region)
    return {"items": [area_out(a) for a in rows[q.offset : q.offset + q.limit]], "total": rows.count()}


@router.post(
    "/focus-areas",
    response=answers({201: AreaOut}, *SIGNED_IN, 404, 409),
    summary="列为重点整治地区（督导人员）",
    description="同一村（社区）整治中不能重复列入（409 invalid_transition）。",
)
def post_area(request, payload: AreaIn):
    area = actions.list_area(by=request.user, region=payload.region, reason=payload.reason,
                             deadline=payload.deadline)  # fmt: skip
    return Status(201, area_out(selectors.find_area(request.user, area.pk)))


@router.post(
    "/focus-areas/{focus_id}/actions/delist",
    response=answers({200: AreaOut}, *SIGNED_IN, 404, 409),
    summary="验收摘牌（督导人员）",
)
def delist_area(request, focus_id: RecordId, payload: DelistIn):
    area = selectors.find_area(request.user, focus_id)  # out of the caller's scope: 404
    actions.delist(area, by=request.user, note=payload.note)
    return area_out(selectors.find_area(request.user, focus_id))
