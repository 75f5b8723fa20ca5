"""专项整治 (GOVERNANCE §6): campaigns with phases, indicators (live values) and tasks; the task actions;
the 问题清单 (each finding a rectification case) and 回头看 rounds. Thin: parse, call, serialise."""

import json
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from ninja import Router, Status
from pydantic import Field

from pingan.accounts.names import display_name
from pingan.accounts.scope import scope_of
from pingan.campaigns import actions, selectors
from pingan.campaigns.models import Campaign, ReviewRound
from pingan.campaigns.schemas import CampaignFindingIn, CampaignIn, ReinspectIn, ReviewIn, TaskIn
from pingan.core.errors import DomainError, invalid
from pingan.core.validation import RecordId

from .schemas import SIGNED_IN, Out, Ref, answers, json_body

router = Router(tags=["专项整治"])


class PhaseOut(Out):
    name: str
    starts_on: date
    ends_on: date
    current: bool = Field(description="今天处于该阶段")


class CampaignIndicatorOut(Out):
    name: str
    unit: str
    baseline: Decimal | None
    target: Decimal | None
    direction: str = Field(description="up 越高越好 / down 越低越好")
    source: str
    source_label: str
    current: float | None = Field(description="实时值；比率类考核指标为 0–1 的小数；无来源或无数据为 null")
    met: bool | None = Field(description="实时值是否达到目标（比率按百分数比较）")


class TaskReportOut(Out):
    kind: str
    kind_label: str
    note: str
    by_name: str
    at: datetime
    on_time: bool | None
    evidence: list[str] = Field(description="佐证材料的文件名")


class TaskOut(Out):
    id: int
    title: str
    unit: Ref
    official: str | None
    official_name: str
    due: date
    late: bool = Field(description="逾期：过了完成时限仍未完成，或进展报告逾期未报")
    late_reason: str
    state: str = Field(
        description="open 推进中 / completed 已完成待验收 / accepted 已验收 / rejected 验收未通过"
    )
    state_label: str
    report_every_days: int | None
    next_report_due: date | None
    evidence_required: bool
    supervision_level: str = Field(description="'' 未督办 / routine 日常督办 / listed 挂牌督办")
    supervision_requirement: str
    allowed_actions: list[str]
    reports: list[TaskReportOut]


class TownClearance(Out):
    code: str
    name: str
    listed: int
    closed: int
    rate: float | None = Field(description="清零率 = 已结案 ÷ 列入清单；无问题为 null")


class ClearanceOut(Out):
    listed: int
    closed: int
    rate: float | None
    towns: list[TownClearance]


class ReboundOut(Out):
    drawn: int = Field(description="回头看抽查的问题数")
    inspected: int = Field(description="已复查数")
    failed: int = Field(description="反弹数（复查不合格，已重新办理）")
    rate: float | None = Field(description="反弹率 = 反弹数 ÷ 已复查数")


class CampaignSummary(Out):
    id: int
    name: str
    scope_regions: list[Ref]
    lead_unit: Ref
    starts_on: date
    ends_on: date
    phase: str | None = Field(description="今天所处的阶段")
    tasks: int
    late_tasks: int


class CampaignList(Out):
    items: list[CampaignSummary]


class CampaignOut(Out):
    id: int
    name: str
    scope_regions: list[Ref]
    lead_unit: Ref
    units: list[Ref]
    starts_on: date
    ends_on: date
    review_share: float
    created_by_name: str
    phases: list[PhaseOut]
    indicators: list[CampaignIndicatorOut]
    tasks: list[TaskOut]
    clearance: ClearanceOut
    rebound: ReboundOut


class CampaignFindingOut(Out):
    id: int
    campaign: int
    number: str
    stream: str
    stream_label: str
    title: str
    status: str
    status_label: str
    severity: str
    region: Ref
    town: Ref


class ItemOut(Out):
    id: int
    number: str
    title: str
    town: Ref
    reason: str = Field(description="sample 按比例抽查 / major 重大问题必查")
    result: str = Field(description="pending 待复查 / passed 合格 / failed 不合格（反弹）")
    result_label: str
    note: str
    inspected_at: datetime | None


class ReviewOut(Out):
    id: int
    number: int
    share: float
    drawn_at: datetime
    drawn_by_name: str
    items: list[ItemOut]


def _ref(obj) -> dict:
    return {"code": obj.code, "name": obj.name}


def task_out(t, scope) -> dict:
    return {
        "id": t.pk, "title": t.title, "unit": _ref(t.unit),
        "official": t.official.username if t.official else None, "official_name": display_name(t.official),
        "due": t.due, "late": t.late, "late_reason": t.late_reason, "state": t.state,
        "state_label": t.get_state_display(), "report_every_days": t.report_every_days,
        "next_report_due": t.next_report_due, "evidence_required": t.evidence_required,
        "supervision_level": t.supervision_level, "supervision_requirement": t.supervision_requirement,
        "allowed_actions": actions.allowed_task_actions(scope, t),
        "reports": [
            {"kind": r.kind, "kind_label": r.get_kind_display(), "note": r.note,
             "by_name": display_name(r.by), "at": r.at, "on_time": r.on_time,
             "evidence": [e.name for e in r.evidence.all()]}
            for r in t.reports.all()
        ],
    }  # fmt: skip


def _clearance(towns, total) -> dict:
    return {
        "listed": total.listed, "closed": total.closed, "rate": total.rate,
        "towns": [{"code": t.code, "name": t.name, "listed": t.listed, "closed": t.closed, "rate": t.rate}
                  for t in towns],
    }  # fmt: skip


def campaign_out(user, campaign: Campaign) -> dict:
    d = selectors.detail(user, campaign)
    scope = scope_of(user)
    return {
        "id": campaign.pk, "name": campaign.name,
        "scope_regions": [_ref(r) for r in campaign.scope_regions.all()],
        "lead_unit": _ref(campaign.lead_unit), "units": [_ref(u) for u in campaign.units.all()],
        "starts_on": campaign.starts_on, "ends_on": campaign.ends_on,
        "review_share": float(campaign.review_share), "created_by_name": display_name(campaign.created_by),
        "phases": [
            {"name": p.name, "starts_on": p.starts_on, "ends_on": p.ends_on, "current": p is d.phase_now}
            for p in d.phases
        ],
        "indicators": [
            {"name": r["indicator"].name, "unit": r["indicator"].unit, "baseline": r["indicator"].baseline,
             "target": r["indicator"].target, "direction": r["indicator"].direction,
             "source": r["indicator"].source, "source_label": r["source"].label,
             "current": None if r["current"] is None else float(r["current"]), "met": r["met"]}
            for r in d.indicators
        ],
        "tasks": [task_out(t, scope) for t in d.tasks],
        "clearance": _clearance(d.towns, d.total),
        "rebound": {"drawn": d.rebound.drawn, "inspected": d.rebound.inspected, "failed": d.rebound.failed,
                    "rate": d.rebound.rate},
    }  # fmt: skip


def review_out(rnd: ReviewRound, items) -> dict:
    return {
        "id": rnd.pk, "number": rnd.number, "share": float(rnd.share), "drawn_at": rnd.drawn_at,
        "drawn_by_name": display_name(rnd.drawn_by),
        "items": [
            {"id": i.pk, "number": i.finding.case.number, "title": i.finding.case.title,
             "town": _ref(i.finding.town), "reason": i.reason, "result": i.result,
             "result_label": i.get_result_display(), "note": i.note, "inspected_at": i.inspected_at}
            for i in items
        ],
    }  # fmt: skip


def _body(request) -> dict:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except ValueError:
        raise DomainError("malformed_json", "请求体不是合法的 JSON。") from None
    if not isinstance(data, dict):
        raise invalid({"_": "请求体应为 JSON 对象"})
    return data


@router.get("/campaigns", response=answers({200: CampaignList}, *SIGNED_IN), summary="专项整治列表")
def list_campaigns(request):
    return {
        "items": [
            {"id": c.pk, "name": c.name, "scope_regions": [_ref(r) for r in c.scope_regions.all()],
             "lead_unit": _ref(c.lead_unit), "starts_on": c.starts_on, "ends_on": c.ends_on,
             "phase": c.phase_now.name if c.phase_now else None, "tasks": c.task_count,
             "late_tasks": c.late_count}
            for c in selectors.campaign_rows(request.user)
        ]
    }  # fmt: skip


@router.post(
    "/campaigns",
    response=answers({201: CampaignOut}, *SIGNED_IN),
    summary="创建专项整治（督导人员、综治中心受理分派员）",
    description="不填 `phases` 时按 动员部署、集中整治、巩固提升、检查验收 四个阶段，自今天起各 30 天。",
)
def create_campaign(request, payload: CampaignIn):
    campaign = actions.create_campaign(request.user, payload)
    return Status(201, campaign_out(request.user, selectors.find_campaign(request.user, campaign.pk)))


@router.get(
    "/campaigns/{campaign_id}",
    response=answers({200: CampaignOut}, *SIGNED_IN, 404),
    summary="专项整治详情",
    description="含阶段、指标（实时值）、任务（完成时限 `due` 与是否逾期 `late`）、清零率和回头看反弹。",
)
def get_campaign(request, campaign_id: RecordId):
    return campaign_out(request.user, selectors.find_campaign(request.user, campaign_id))


@router.post(
    "/campaigns/{campaign_id}/tasks",
    response=answers({201: TaskOut}, *SIGNED_IN, 404),
    summary="下达整治任务",
)
def create_task(request, campaign_id: RecordId, payload: TaskIn):
    campaign = selectors.find_campaign(request.user, campaign_id)
    task = actions.add_task(campaign, by=request.user, payload=payload)
    return Status(201, _task(request, campaign, task.pk))


def _task(request, campaign: Campaign, task_id: int) -> dict:
    today = timezone.localdate()
    task = next(t for t in selectors.tasks_of(campaign, today) if t.pk == task_id)
    return task_out(task, scope_of(request.user))


def _task_action_view(name: str):
    def take_action(request, campaign_id: RecordId, task_id: RecordId):
        campaign = selectors.find_campaign(request.user, campaign_id)
        task = selectors.find_task(campaign, task_id)
        actions.perform_task_action(task, by=request.user, name=name, payload=_body(request))
        return _task(request, campaign, task.pk)

    return take_action


for _name, _action in actions.TASK_ACTIONS.items():
    router.post(
        f"/campaigns/{{campaign_id}}/tasks/{{task_id}}/actions/{_name}",
        response=answers({200: TaskOut}, *SIGNED_IN, 404, 409),
        operation_id=f"campaign_task_{_name}",
        summary=f"整治任务：{_action.label}",
        openapi_extra=json_body(_action.schema),
    )(_task_action_view(_name))


@router.post("/campaigns/{campaign_id}/tasks/{task_id}/actions/{task_action}", include_in_schema=False)
def unknown_task_action(request, campaign_id: RecordId, task_id: RecordId, task_action: str):
    """Any other name: 404 `unknown_action` (after the campaign and task are found)."""
    campaign = selectors.find_campaign(request.user, campaign_id)
    task = selectors.find_task(campaign, task_id)
    actions.perform_task_action(task, by=request.user, name=task_action, payload=_body(request))


@router.post(
    "/campaigns/{campaign_id}/findings",
    response=answers({201: CampaignFindingOut}, *SIGNED_IN, 404),
    summary="登记问题清单（生成整改案件）",
    description="每条问题生成一件 `rectification` 整改案件并关联本专项整治。`place`（场所）尚不支持。",
)
def create_finding(request, campaign_id: RecordId, payload: CampaignFindingIn):
    campaign = selectors.find_campaign(request.user, campaign_id)
    f = actions.add_finding(campaign, by=request.user, payload=payload)
    case = f.case
    return Status(
        201,
        {
            "id": f.pk, "campaign": campaign.pk, "number": case.number, "stream": case.stream,
            "stream_label": case.get_stream_display(), "title": case.title, "status": case.status,
            "status_label": case.get_status_display(), "severity": case.severity,
            "region": _ref(case.region), "town": _ref(f.town),
        },
    )  # fmt: skip


@router.post(
    "/campaigns/{campaign_id}/reviews",
    response=answers({201: ReviewOut}, *SIGNED_IN, 404, 409),
    summary="抽取一轮回头看",
    description="按乡镇抽取已结案问题的一定比例（默认 10%，至少 1 件），另加全部重大问题。",
)
def create_review(request, campaign_id: RecordId, payload: ReviewIn):
    campaign = selectors.find_campaign(request.user, campaign_id)
    rnd = actions.draw_review(campaign, by=request.user, share=payload.share)
    return Status(201, _review(request, campaign, rnd.pk))


def _review(request, campaign: Campaign, round_id: int) -> dict:
    d = selectors.detail(request.user, campaign)
    rnd = next(r for r in d.rounds if r.pk == round_id)
    return review_out(rnd, rnd.items.all())


@router.post(
    "/campaigns/{campaign_id}/reviews/{round_id}/items/{item_id}",
    response=answers({200: ReviewOut}, *SIGNED_IN, 404, 409),
    summary="登记回头看复查结果",
    description="`failed`（不合格）即反弹：案件以“回头看”为由重新办理。由综治中心受理分派员或领导登记。",
)
def reinspect(request, campaign_id: RecordId, round_id: RecordId, item_id: RecordId, payload: ReinspectIn):
    campaign = selectors.find_campaign(request.user, campaign_id)
    item = selectors.find_item(request.user, campaign, round_id, item_id)
    actions.reinspect(item, by=request.user, result=payload.result, note=payload.note)
    return _review(request, campaign, round_id)
