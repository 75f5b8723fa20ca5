"""What each printable case document says, built from the case as the case page shows it: personal
data of reporters and parties is masked (张**, 138****1234), as `case_out` leaves it. A document is
a title and a list of parts, which render.py lays out; the parts are plain data so tests can read them.

Parts: ("facts", [(label, value)]) a two-column table; ("table", columns, rows); ("heading", text);
("text", text); ("sign", [label]) lines for signatures and seals."""

from datetime import date, datetime
from typing import Any

from django.utils import timezone

from pingan.accounts.scope import Scope
from pingan.cases.models import Case
from pingan.cases.serializers import case_out
from pingan.core.errors import not_found
from pingan.supervision.models import Supervision
from pingan.supervision.selectors import name_of

KINDS = {
    "register": "登记表",
    "assignment": "交办单",
    "supervision": "督办通知单",
    "agreement": "调解协议书",
    "follow_up": "回访单",
}
MASKED_NOTE = (
    "注：反映人、当事人信息按规定遮蔽显示（如“张**”）；确需完整信息的，请在平台案件页面说明理由后查看。"
)
BLANK = "　" * 8  # room to write by hand on the printed form


def _at(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y年%m月%d日 %H:%M") if value else ""


def _day(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return value.strftime("%Y年%m月%d日") if value else ""


def _name(ref: dict | None) -> str:
    return ref["name"] if ref else ""


def _reporter(data: dict) -> str:
    r = data["reporter"]
    if r is None:
        return "（无）"
    return "，".join(v for v in (r["name"], r["phone"], r["address"]) if v)


def _parties(data: dict) -> tuple:
    rows = [[p["role_label"], p["name"], p["phone"], p["address"]] for p in data["parties"]]
    return ("table", ["身份", "姓名", "联系电话", "住址"], rows or [["", "", "", ""]])


def _place(data: dict) -> str:
    return " ".join(v for v in (_name(data["region"]), data["address"]) if v)


def register(case: Case, data: dict) -> dict:
    severity = "重大" if data["severity"] == "major" else "一般"
    if data["is_group"]:
        severity += f"，群体性（{data['people_involved']} 人）"
    return {
        "title": "案件登记表",
        "parts": [
            (
                "facts",
                [
                    ("案件编号", data["number"]),
                    ("案件类型", data["stream_label"]),
                    ("事项类别", _name(data["category"])),
                    ("事项名称", data["title"]),
                    ("来源渠道", data["channel_label"]),
                    ("登记时间", _at(data["reported_at"])),
                    ("发生时间", _at(data["occurred_at"])),
                    ("发生地点", _place(data)),
                    ("严重程度", severity),
                    ("反映人", _reporter(data)),
                    ("事项描述", data["description"]),
                ],
            ),
            ("heading", "当事人"),
            _parties(data),
            ("sign", ["登记人（签名）", "登记日期"]),
            ("text", MASKED_NOTE),
        ],
    }


def assignment(case: Case, data: dict) -> dict:
    co_units = "、".join(u["name"] for u in data["co_units"])
    return {
        "title": "案件交办单",
        "parts": [
            (
                "facts",
                [
                    ("案件编号", data["number"]),
                    ("事项名称", data["title"]),
                    ("事项类别", _name(data["category"])),
                    ("发生地点", _place(data)),
                    ("事项描述", data["description"]),
                    ("牵头单位", _name(data["lead_unit"]) or "尚未分派"),
                    ("协办单位", co_units or "无"),
                    ("承办人", data["handler_name"]),
                    ("交办时间", _at(data["dispatched_at"])),
                    ("签收时限", _at(data["sign_due"])),
                    ("办结时限", _at(data["resolve_due"])),
                ],
            ),
            ("text", "请承办单位按时签收，依法依规办理，并在办结时限内将办理情况录入平台。"),
            ("sign", ["交办人（签名）", "签收人（签名）", "签收时间"]),
        ],
    }


def supervision(case: Case, data: dict) -> dict:
    s = Supervision.objects.filter(case=case, lifted_at__isnull=True).select_related("issued_by").first()
    if s is None:
        raise not_found("该案件没有在办的督办，无督办通知单。")
    return {
        "title": "督办通知单",
        "parts": [
            ("text", f"{_name(data['lead_unit']) or '承办单位'}："),
            (
                "text",
                f"“{data['title']}”（案件编号 {data['number']}）现列为{s.get_level_display()}。"
                "请按下列要求抓紧办理，按期报告进展。",
            ),
            (
                "facts",
                [
                    ("案件编号", data["number"]),
                    ("事项名称", data["title"]),
                    ("督办级别", s.get_level_display()),
                    ("督办要求", s.requirement),
                    ("督办时限", _day(s.deadline) or "无"),
                    ("进展报告", f"每 {s.report_every_days} 日报告一次"),
                    ("下次报告截止", _at(s.next_report_due)),
                    ("办结时限", _at(data["resolve_due"])),
                    ("督办人", name_of(s.issued_by)),
                    ("督办时间", _at(s.issued_at)),
                ],
            ),
            ("sign", ["签收人（签名）", "签收时间"]),
        ],
    }


def agreement(case: Case, data: dict) -> dict:
    a = getattr(case, "agreement", None)
    if a is None:
        raise not_found("该案件没有调解协议。")
    agreed = data["agreement"]
    return {
        "title": "调解协议书",
        "parts": [
            ("text", f"案件编号：{data['number']}"),
            ("heading", "当事人"),
            _parties(data),
            ("heading", "纠纷主要事实、争议事项"),
            ("text", data["description"] or data["title"]),
            ("heading", "经调解，自愿达成如下协议"),
            ("text", a.terms),
            ("heading", "履行方式、时限"),
            ("text", f"履行期限：{_day(a.performance_due) or '协议生效后即时履行'}"),
            ("heading", "履行情况"),
            ("text", _performance(agreed)),
            ("heading", "司法确认"),
            ("text", _confirmation(agreed)),
            (
                "text",
                "本协议自各方当事人签名（盖章或按指印）、调解员签名并加盖调解组织印章之日起生效。"
                "当事人应当按照约定履行；对协议内容发生争议的，可以向人民法院提起诉讼。",
            ),
            ("text", f"签订时间：{_day(a.signed_at)}"),
            ("sign", ["当事人（签名）", "当事人（签名）", "调解员（签名）", "调解组织（印章）"]),
            ("text", MASKED_NOTE),
        ],
    }


def _performance(a: dict) -> str:
    if not a["performance"]:
        return "尚未登记履行情况。"
    text = f"{a['performance_label']}（{_day(a['performance_recorded_at'])} 登记）"
    return f"{text}：{a['performance_note']}" if a["performance_note"] else f"{text}。"


def _confirmation(a: dict) -> str:
    c = a["confirmation"]
    if c is None:
        return (
            "当事人已申请司法确认（尚未登记受理法院和结果）。"
            if a["judicial_confirmation"]
            else "当事人未申请司法确认。"
        )
    text = f"{_day(c['applied_on'])} 向{c['court']}申请司法确认"
    if not c["result"]:
        return f"{text}，审查中。"
    return f"{text}，{_day(c['result_on'])} 结果：{c['result_label']}。"


def follow_up(case: Case, data: dict) -> dict:
    rows = [
        [
            _day(f["at"]),
            "反映人评价" if f["by_public"] else "回访",
            f["satisfaction_label"],
            "已解决" if f["resolved"] else "未解决",
            f["note"],
        ]
        for f in data["follow_ups"]
    ]
    return {
        "title": "案件回访单",
        "parts": [
            (
                "facts",
                [
                    ("案件编号", data["number"]),
                    ("事项名称", data["title"]),
                    ("反映人", _reporter(data)),
                    ("承办单位", _name(data["lead_unit"])),
                    ("办结时间", _at(data["resolved_at"])),
                    ("办理结果", data["outcome_label"]),
                    ("办理情况", data["outcome_summary"]),
                ],
            ),
            ("heading", "回访记录"),
            (
                "table",
                ["回访日期", "方式", "满意程度", "问题是否解决", "回访意见"],
                rows or [[BLANK, "", "满意 / 基本满意 / 不满意", "是 / 否", ""]],
            ),
            ("sign", ["回访人（签名）", "回访日期"]),
            ("text", MASKED_NOTE),
        ],
    }


BUILDERS = {
    "register": register,
    "assignment": assignment,
    "supervision": supervision,
    "agreement": agreement,
    "follow_up": follow_up,
}


def build(kind: str, case: Case, scope: Scope) -> dict[str, Any]:
    """The case is one the user may see (found through `find_case`)."""
    return BUILDERS[kind](case, case_out(case, scope))
