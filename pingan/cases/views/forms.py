"""The small form behind each action button: which fields it asks for, and how a POST becomes the
action's payload. Validation itself stays in the action schemas (schemas.py), shared with the API."""

import re
from dataclasses import dataclass, replace
from datetime import datetime

from django.http import QueryDict

from ..models import Agreement, Case, FollowUp, WorkRecord


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, textarea, number, select, radio, checkbox, datetime, date, units, files
    choices: tuple = ()
    required: bool = False
    hint: str = ""
    multiple: bool = False  # a list: several selected options, or names separated by commas


NOTE = Field("note", "说明", "textarea")
REASON = Field("reason", "理由", "textarea", required=True)
DECISION = (
    Field("decision", "审批意见", "radio", (("approve", "同意"), ("deny", "不同意")), required=True),
    Field("note", "审批说明", "textarea"),
)
WORK_KINDS = tuple(c for c in WorkRecord.Kind.choices if c[0] != WorkRecord.Kind.PROGRESS)
OUTCOME = Field("outcome", "办理结果", "select", tuple(Case.Outcome.choices), required=True)

# An app above cases adds the forms of the actions it registers (pingan.supervision: 督办).
ACTION_FIELDS: dict[str, tuple[Field, ...]] = {
    "update": (
        Field("title", "标题"),
        Field("description", "事项描述", "textarea"),
        Field("address", "详细地址"),
        Field("severity", "严重程度", "select", (("", "（不改）"), *Case.Severity.choices)),
    ),
    "accept": (NOTE,),
    "reject": (REASON, Field("channel_advice", "告知反映人的正确渠道", "textarea")),
    "merge": (
        Field("into", "并入案件编号", required=True, hint="如 PA-990122-2026-000123"),
        Field("reason", "合并理由", "textarea"),
    ),
    "relate": (
        Field("case", "关联案件编号", required=True, hint="如 PA-990122-2026-000123；两案件互相显示"),
        NOTE,
    ),
    "withdraw": (REASON,),
    "answer": (Field("summary", "答复内容", "textarea", required=True), OUTCOME),
    "dispatch": (
        Field("lead_unit", "牵头单位", "units", required=True, hint="已按分派规则预选，可改选"),
        Field("co_units", "协办单位", "units", hint="可多选（按住 Ctrl 或 ⌘）", multiple=True),
        Field("designated", "指定承办（不得退单）", "checkbox"),
        Field(
            "due",
            "交办时限",
            "date",
            hint="可不填，即按本案办理时限；要求提前办结的，选定日期（到当日 24 时）",
        ),
        NOTE,
    ),
    "sign": (NOTE,),
    "request_return": (REASON,),
    "decide_return": DECISION,
    "request_extension": (REASON, Field("new_due", "申请延至", "datetime", required=True)),
    "decide_extension": DECISION,
    "request_suspension": (REASON,),
    "decide_suspension": DECISION,
    "resume": (NOTE,),
    "record_work": (
        Field("kind", "方式", "select", WORK_KINDS, required=True),
        Field("content", "工作内容", "textarea", required=True),
        Field("happened_at", "时间", "datetime", hint="不填则为现在"),
    ),
    "resolve": (
        OUTCOME,
        Field("summary", "办理情况", "textarea", required=True),
        Field("evidence_files", "佐证材料", "files", hint="JPEG、PNG、HEIC 图片或 PDF，可多选"),
        Field("agreement_terms", "调解协议内容", "textarea", hint="达成调解协议的填写"),
        Field("agreement_performance_due", "协议履行期限", "date"),
        Field("agreement_judicial_confirmation", "已申请司法确认", "checkbox"),
    ),
    "check_pass": (NOTE,),
    "check_fail": (Field("reason", "退回返工的理由", "textarea", required=True),),
    "follow_up": (
        Field("satisfaction", "满意度", "radio", tuple(FollowUp.Satisfaction.choices), required=True),
        Field("resolved", "问题是否解决", "radio", (("true", "已解决"), ("false", "未解决")), required=True),
        Field("note", "回访记录", "textarea"),
    ),
    "reopen": (REASON,),
    "archive": (NOTE,),
    "reply": (
        Field(
            "text",
            "答复内容",
            "textarea",
            required=True,
            hint="反映人凭查询码可以看到这段话：只写办理进展和结果，不写内部意见和他人个人信息。",
        ),
    ),
    "exclude": (
        Field("units", "回避单位", "units", hint="线索中涉及的单位，可多选；已选的会被替换", multiple=True),
        Field("users", "回避人员（用户名）", hint="多个用逗号分隔", multiple=True),
        REASON,
    ),
    "assign_leader": (
        Field("leader", "包案领导（用户名）", required=True, hint="须对本案所在区划有“领导”授权"),
        Field(
            "team_units",
            "工作专班单位",
            "units",
            required=True,
            hint="可多选（按住 Ctrl 或 ⌘）",
            multiple=True,
        ),
        Field(
            "plan",
            "工作方案",
            "plan",
            required=True,
            hint="每行一步：完成期限 空格 工作内容，如“2026-12-20 约谈信访人，听取诉求”",
        ),
    ),
    "complete_plan_step": (
        Field("step", "完成第几步", "number", required=True),
        Field("note", "完成情况", "textarea"),
    ),
    "leader_sign_off": (Field("note", "销号意见", "textarea", required=True),),
    "mark_backlog": (
        Field("source", "积案来源", required=True, hint="如“市信访联席办交办”“县排查认定”"),
        NOTE,
    ),
    "record_performance": (
        Field("state", "履行情况", "radio", tuple(Agreement.Performance.choices), required=True),
        Field("note", "说明", "textarea", hint="部分履行或未履行的，写明未履行的内容和下一步措施"),
    ),
    "record_judicial_confirmation": (
        Field("applied_on", "申请日期", "date", required=True),
        Field("court", "受理法院", required=True, hint="如“示范县人民法院”"),
        Field(
            "result",
            "结果",
            "select",
            (("", "审查中（尚无结果）"), *Agreement.Confirmation.choices),
        ),
        Field("result_on", "结果日期", "date", hint="有结果时填写"),
    ),
}

# What the reporter reads with their receipt as the closing answer (pingan.portal.answers); the form
# says so on cases that have one.
FOR_REPORTER = {
    ("answer", "summary"),
    ("resolve", "summary"),
    ("reject", "reason"),
    ("reject", "channel_advice"),
}
FOR_REPORTER_HINT = "反映人凭查询码可以看到这段话：写明办理结果，不写内部意见和他人个人信息。"


def fields_for(action: str, *, has_receipt: bool) -> tuple[Field, ...]:
    fields = ACTION_FIELDS[action]
    if not has_receipt:
        return fields
    return tuple(
        replace(f, hint=FOR_REPORTER_HINT) if (action, f.name) in FOR_REPORTER else f for f in fields
    )


# Actions whose button reads as a warning (they end or undo something).
DANGER = {"reject", "withdraw", "merge", "check_fail", "reopen", "request_return"}


def _local_datetime(value: str) -> str:
    """A datetime-local input has no zone; the county works in Beijing time."""
    return datetime.fromisoformat(value).isoformat() + "+08:00" if len(value) <= 19 else value


def _plan_line(line: str) -> dict:
    """“2026-12-20 约谈信访人” → a plan step; a line without a date is left for the schema to refuse."""
    due, _, step = line.strip().partition(" ")
    return {"due": due, "step": step.strip()}


def payload_from(action: str, post: QueryDict) -> dict:
    payload: dict = {}
    agreement: dict = {}
    for f in ACTION_FIELDS.get(action, ()):
        if f.kind == "files":
            continue
        if f.kind == "checkbox":
            value: object = f.name in post
        elif f.kind == "plan":
            value = [_plan_line(line) for line in post.get(f.name, "").splitlines() if line.strip()]
        elif f.multiple and f.kind == "units":
            value = [v for v in post.getlist(f.name) if v]
        elif f.multiple:
            value = [v for v in re.split(r"[,，、\s]+", post.get(f.name, "")) if v]
        else:
            raw = post.get(f.name, "").strip()
            if raw == "":
                continue
            value = raw
            if f.kind == "datetime":
                try:
                    value = _local_datetime(raw)
                except ValueError:
                    value = raw  # the schema reports the bad format
            elif f.name == "resolved":
                value = raw == "true"
        if f.name.startswith("agreement_"):
            agreement[f.name.removeprefix("agreement_")] = value
        else:
            payload[f.name] = value
    if agreement.get("terms"):
        payload["agreement"] = agreement
    version = post.get("version", "")
    if isinstance(version, str) and version.strip():
        payload["version"] = version  # digits or not, `perform` reads it or refuses it
    return payload
