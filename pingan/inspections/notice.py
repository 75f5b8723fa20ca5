"""整改通知书: what an inspection found, as a Word file for the place's responsible unit, in the house
style of the case documents (pingan.documents.render). The parts are plain data so tests can read them."""

from django.utils import timezone

from pingan.accounts.names import display_name
from pingan.cases.rules import step_due
from pingan.documents.render import render_docx

from .models import Finding, Inspection

TITLE = "安全隐患整改通知书"


def _day(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value).date()
    return value.strftime("%Y年%m月%d日")


def notice_number(inspection: Inspection) -> str:
    return f"排查整改〔{inspection.inspected_on.year}〕{inspection.pk}号"


def rectify_by(finding: Finding) -> str:
    """The case's resolve due once accepted; before that, what its time limit would give from the
    inspection (the notice is handed over on site)."""
    case = finding.case
    due = case.resolve_due or step_due(case, "resolve", case.reported_at)
    return _day(due)


def content(inspection: Inspection) -> dict:
    place = inspection.place
    findings = list(inspection.findings.select_related("case__category", "item").order_by("pk"))
    inspectors = "、".join(display_name(u) for u in inspection.inspectors.order_by("username"))
    rows = [
        [str(n), f.description, f.get_severity_display(), f.case.number, rectify_by(f)]
        for n, f in enumerate(findings, 1)
    ]
    addressee = place.responsible_unit or place.name
    if findings:
        body = (
            f"经{_day(inspection.inspected_on)}检查，你单位（场所）存在下列安全隐患。依据安全生产和消防安全"
            "有关规定，现责令你单位于下表所列整改期限前整改完毕；整改期间应采取必要的防范措施，确保安全。"
            "整改完成后请及时报告，我们将进行复查。"
        )
    else:
        body = f"经{_day(inspection.inspected_on)}检查，未发现安全隐患，请继续落实安全生产主体责任。"
    return {
        "title": TITLE,
        "parts": [
            ("text", notice_number(inspection)),
            ("text", f"{addressee}："),
            ("text", body),
            (
                "facts",
                [
                    ("场所名称", place.name),
                    ("场所类型", place.get_kind_display()),
                    ("地址", f"{place.region.name} {place.address}"),
                    ("责任单位", place.responsible_unit or "（未登记）"),
                    ("风险等级", place.grade.name),
                    ("检查日期", _day(inspection.inspected_on)),
                    ("检查人员", inspectors),
                ],
            ),
            ("heading", "发现的问题及整改要求"),
            (
                "table",
                ["序号", "存在问题", "隐患等级", "隐患案件编号", "整改期限"],
                rows or [["", "无", "", "", ""]],
            ),
            ("sign", ["检查人员（签名）", "被检查单位负责人（签名）", "检查单位（盖章）", "送达日期"]),
        ],
    }


def render(inspection: Inspection) -> bytes:
    return render_docx(content(inspection))
