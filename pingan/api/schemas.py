"""What each API answer holds (DESIGN §7), for the OpenAPI document and the check of every response.

The shapes are strict (`extra="forbid"`): a key a view returns that is not declared here fails the
response validation (a 500 in the tests) instead of reaching clients undocumented. Views return
plain dicts; an optional key (`total`, `result`…) is left out when the view leaves it out
(`exclude_unset` on the operation). Every documented status has its body: `ErrorOut` for errors."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- errors


class ErrorBody(Out):
    code: str = Field(description="稳定的错误代码，如 `invalid`、`not_found`、`invalid_transition`")
    message: str = Field(description="中文说明")
    fields: dict[str, str] = Field(default_factory=dict, description="出错的字段及其说明")


class ErrorOut(Out):
    error: ErrorBody


# Every request may meet these: bad characters or nesting (400), an oversize body (413), the
# database away (503).
ALWAYS = (400, 413, 503)
SIGNED_IN = (401, 403)  # no or a bad token; a role or a session's CSRF check refused


def answers(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """The `response=` of an operation: its success shapes and the error statuses it may answer."""
    return ok | {status: ErrorOut for status in sorted({*ALWAYS, *errors})}


# ---------------------------------------------------------------- cases


class Ref(Out):
    code: str
    name: str


class CaseSummary(Out):
    number: str
    stream: str
    stream_label: str
    category: Ref | None
    title: str
    channel: str
    region: Ref | None
    status: str
    status_label: str
    severity: str
    is_group: bool
    lead_unit: Ref | None
    co_units: list[Ref]
    handler: str | None
    handler_name: str
    reported_at: datetime
    accept_due: datetime | None
    sign_due: datetime | None
    resolve_due: datetime | None
    check_due: datetime | None
    overdue: bool
    supervision_level: str
    version: int


class CaseCreated(CaseSummary):
    """What a creation answers: the new case as a ledger row. The whole case is at `url`."""

    url: str = Field(description="案件详情的地址（同 `Location` 响应头）")


class CasePage(Out):
    items: list[CaseSummary]
    next_cursor: str | None
    total: int = Field(0, description="仅当 `with_total=true` 时返回")
    total_capped: bool = Field(
        False, description="与 `total` 一同返回：为 true 时关键词搜索的结果超过 `total`（只数到上限）"
    )


class ReporterOut(Out):
    anonymous: bool
    confidential: bool = Field(False, description="举报线索对无权者只显示“保密”")
    name: str
    phone: str
    address: str


class RelatedOut(Out):
    number: str
    title: str
    status: str
    status_label: str


class Counts(Out):
    returns: int
    extensions: int
    check_fails: int
    reopens: int


class PartyOut(Out):
    id: int
    role: str
    role_label: str
    name: str
    phone: str
    address: str
    id_number: str


class AttachmentInfo(Out):
    id: int
    kind: str
    kind_label: str
    name: str
    content_type: str
    size: int


class WorkRecordOut(Out):
    id: int
    kind: str
    kind_label: str
    content: str
    happened_at: datetime
    author: str
    author_name: str


class RequestOut(Out):
    id: int
    kind: str
    kind_label: str
    reason: str
    reason_clause: str
    new_due: datetime | None
    decision: str
    decision_label: str
    requested_by_name: str
    requested_at: datetime
    decided_by_name: str
    decided_at: datetime | None
    note: str


class FollowUpOut(Out):
    satisfaction: str
    satisfaction_label: str
    resolved: bool | None
    note: str
    at: datetime
    by_public: bool


class JudicialConfirmationOut(Out):
    applied_on: date
    court: str
    result: str = Field(description="confirmed 确认有效 / rejected 驳回申请 / withdrawn 撤回申请；空为审查中")
    result_label: str
    result_on: date | None


class AgreementOut(Out):
    terms: str
    signed_at: datetime
    performance_due: date | None
    judicial_confirmation: bool = Field(description="当事人申请了司法确认")
    performance: str = Field(description="履行情况：performed / partly / not；空为尚未登记")
    performance_label: str
    performance_note: str
    performance_recorded_at: datetime | None
    confirmation: JudicialConfirmationOut | None = Field(description="司法确认记录")


class CaseMessageOut(Out):
    id: int
    direction: str
    direction_label: str
    text: str
    author: str
    author_name: str
    at: datetime


class ExcludedUnit(Out):
    code: str
    name: str


class ExcludedUser(Out):
    username: str
    name: str


class ExclusionsOut(Out):
    units: list[ExcludedUnit]
    users: list[ExcludedUser]


class CaseOut(CaseSummary):
    reporter: ReporterOut | None
    channel_label: str
    description: str
    address: str
    lat: Decimal | None
    lng: Decimal | None
    occurred_at: datetime | None
    people_involved: int
    outcome: str
    outcome_label: str
    outcome_summary: str
    accepted_at: datetime | None
    dispatched_at: datetime | None
    signed_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    merged_into: str | None
    backlog: bool = Field(description="积案（GOVERNANCE §7）")
    responsible_leader: str | None = Field(description="包案领导的用户名")
    leader_signed_off_at: datetime | None = Field(
        description="包案领导签字销号时间；包案案件须有此项才能归档"
    )
    related: list[RelatedOut]
    counts: Counts
    parties: list[PartyOut]
    attachments: list[AttachmentInfo]
    work_records: list[WorkRecordOut]
    requests: list[RequestOut]
    follow_ups: list[FollowUpOut]
    agreement: AgreementOut | None
    has_receipt: bool
    purged_at: datetime | None
    public_messages: list[CaseMessageOut]
    exclusions: ExclusionsOut | None = Field(description="回避设置，仅举报线索有")
    allowed_actions: list[str] = Field(description="当前用户现在可以执行的操作")


class EventOut(Out):
    action: str
    action_label: str
    decision_label: str
    detail: str
    actor: str
    actor_name: str
    at: datetime
    from_status: str
    to_status: str
    data: Any


class EventList(Out):
    items: list[EventOut]


class SimilarReason(Out):
    code: str = Field(
        description="`title` 标题相近、`description` 描述相近、`address` 同一地址或楼栋、`grid` 同一网格、"
        "`village` 同一村（社区）、`distance` 相距若干米、`time` 时间相近、`category` 同一类别"
    )
    label: str


class SimilarOut(Out):
    number: str
    title: str
    status: str
    status_label: str
    reported_at: datetime
    score: float = Field(description="相似度，0–1，越大越像")
    distance_m: int | None = Field(description="两案件都有坐标时的距离（米）")
    reasons: list[SimilarReason]


class SimilarList(Out):
    items: list[SimilarOut]


class RevealOut(Out):
    value: str


class AttachmentOut(Out):
    id: int
    kind: str
    content_type: str
    size: int


# ---------------------------------------------------------------- reference data


class GrantOut(Out):
    role: str
    role_label: str
    region: str | None
    unit: str | None


class MeOut(Out):
    username: str
    full_name: str
    grants: list[GrantOut]


class RegionOut(Out):
    code: str
    name: str
    level: str


class RegionList(Out):
    items: list[RegionOut]


class UnitOut(Out):
    code: str
    name: str
    kind: str
    region: str


class UnitList(Out):
    items: list[UnitOut]


class CategoryOut(Out):
    code: str
    name: str
    stream: str
    parent: str | None
    evidence_required: bool


class CategoryList(Out):
    items: list[CategoryOut]


# ---------------------------------------------------------------- notices and the audit log


class NoticeOut(Out):
    id: int
    kind: str
    message: str
    case: str | None
    link: str
    created_at: datetime
    read: bool
    read_at: datetime | None


class NoticePage(Out):
    items: list[NoticeOut]
    next_cursor: str | None
    unread: int


class ReadOut(Out):
    marked: int
    unread: int


class AuditEntryOut(Out):
    id: int
    at: datetime
    actor: str
    actor_name: str
    action: str
    action_label: str
    object_type: str
    object_id: str
    data: Any
    summary: str


class AuditPage(Out):
    items: list[AuditEntryOut]
    next_cursor: str | None
    total: int = Field(0, description="仅当 `with_total=true` 时返回")


# ---------------------------------------------------------------- KPIs


class KpiValues(Out):
    reported: int
    accepted: int
    accepted_on_time_rate: float | None
    due: int
    closed: int
    closed_rate: float | None
    closed_on_time_rate: float | None
    overdue_open: int
    rework_rate: float | None
    return_rate: float | None
    extension_rate: float | None
    satisfaction_rate: float | None
    rating_rate: float | None
    resolution_rate: float | None
    local_resolution_rate: float | None
    backlog_resolution_rate: float | None
    duplicate_rate: float | None
    supervised_on_time_rate: float | None
    progress_report_rate: float | None


class KpiScope(Out):
    region: str = Field("", description="区划代码（按区划统计时）")
    unit: str = Field("", description="单位代码（按单位统计时）")
    name: str


class KpiPeriod(Out):
    key: str
    start: date
    end: date = Field(description="最后一天（含）")


class KpiOut(Out):
    scope: KpiScope
    period: KpiPeriod
    values: KpiValues


class KpiRow(Out):
    town: str = Field("", description="乡镇代码（by=town）")
    unit: str = Field("", description="单位代码（by=unit）")
    name: str
    values: KpiValues


class KpiBreakdown(Out):
    scope: KpiScope
    period: KpiPeriod
    by: str
    rows: list[KpiRow]


class ScoreItem(Out):
    name: str
    key: str = Field(
        description="考核指标键，`statistic:` 加统计指标代码，或 `screening:reporting_rate`（排查报送率）"
    )
    value: float | None = Field(description="指标值；为 null 时该项不计分，得分按计分项分值折算")
    weight: float = Field(description="分值")
    points: float | None = Field(description="得分")


class ScoreDeduction(Out):
    name: str
    key: str
    value: float | None
    points: float = Field(description="扣分（不超过上限）")


class ScoreVeto(Out):
    name: str
    key: str
    value: float | None


class RankingRow(Out):
    code: str = Field(description="乡镇代码或单位代码")
    name: str
    score: float | None = Field(description="总分；没有可计分的项时为 null")
    grade: str | None = Field(description="等次 A–E；触发否决项即为 E")
    rank: int | None = Field(description="名次，同分并列；被否决的排在其余之后；无得分时为 null")
    rank_change: int | None = Field(description="较上期名次的变化，正数为上升；上期无名次时为 null")
    vetoed: bool
    values: KpiValues
    items: list[ScoreItem]
    deductions: list[ScoreDeduction]
    vetoes: list[ScoreVeto] = Field(description="触发的否决项")


class RankingScheme(Out):
    code: str
    name: str
    full_mark: float = Field(description="满分（计分项分值之和）")


class KpiRanking(Out):
    level: str
    period: KpiPeriod
    scheme: RankingScheme
    rows: list[RankingRow]


# ---------------------------------------------------------------- 督办


class SupervisionOut(Out):
    id: int
    case_number: str
    case_title: str
    case_status: str
    case_status_label: str
    region_name: str
    lead_unit_name: str | None
    level: str
    level_label: str
    issued_by: str | None
    issuer_name: str
    issued_at: datetime
    requirement: str
    report_every_days: int
    deadline: date | None
    next_report_due: datetime
    last_report_at: datetime | None
    late: bool
    lifted_at: datetime | None
    lifted_by_name: str | None
    lift_note: str


class SupervisionPage(Out):
    items: list[SupervisionOut]
    next_cursor: str | None
    total: int = Field(0, description="仅当 `with_total=true` 时返回")


# ---------------------------------------------------------------- the public path


class ReceiptOut(Out):
    receipt: str = Field(description="查询码：只显示这一次")


class PublicMessageOut(Out):
    # `from` is a Python keyword: the operation dumps by alias.
    from_: str = Field(alias="from", description="`staff` 工作人员答复，`reporter` 我的留言")
    from_label: str
    text: str
    at: datetime


class ResultOut(Out):
    outcome: str
    outcome_label: str
    summary: str
    finished_at: datetime | None
    advice: str = Field("", description="不予受理时告知的正确渠道")


class PublicView(Out):
    stream: str
    stream_label: str
    category: str
    received_at: datetime
    status: str
    status_label: str
    messages: list[PublicMessageOut]
    can_rate: bool
    rated: bool
    can_message: bool
    result: ResultOut | None = Field(None, description="办结（含不予受理）后才有")


# ---------------------------------------------------------------- request bodies read by the view


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON body that the view parses itself (the workflow actions check
    scope, role and state before the fields, DESIGN §4), with the model's definitions inlined."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                target = inline(defs[node["$ref"].rsplit("/", 1)[-1]])
                return target | {k: inline(v) for k, v in node.items() if k != "$ref"}
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline(schema)}}}}
