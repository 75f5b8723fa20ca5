"""Reports (GOVERNANCE §5): generate a draft, list, read, download and publish."""

from datetime import datetime

from django.http import FileResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from pingan.core.errors import not_found
from pingan.core.spreadsheet import XLSX
from pingan.core.validation import MAX_RECORD_ID
from pingan.reports import actions, selectors
from pingan.reports.models import Report
from pingan.reports.views import DOCX

from .schemas import SIGNED_IN, answers

router = Router(tags=["调度通报"])


def _file(description: str) -> dict:
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"responses": {200: {"description": description, "content": {"application/octet-stream": binary}}}}


class ReportIn(Schema):
    kind: str = Field(description="weekly 周调度表 / monthly 月通报 / quarterly 季考评")
    period: str = Field(description="周 2026-W45、月 2026-10 或季度 2026-Q3，与类型相应")
    region: str = Field(description="区划代码")


class ReportOut(Schema):
    id: int
    kind: str
    period: str
    region: str
    region_name: str
    status: str
    title: str
    generated_at: datetime
    published_at: datetime | None
    commentary: str
    generating: bool = Field(description="页面上申请的草稿正由后台任务生成，完成前不能下载文件或发布")


class ReportFull(ReportOut):
    document: dict


class ReportList(Schema):
    items: list[ReportOut]


class ReportQuery(Schema):
    kind: str = ""
    period: str = ""
    status: str = ""


def report_out(r: Report, *, full: bool = False) -> dict:
    out = {
        "id": r.pk, "kind": r.kind, "period": r.period, "region": r.region_id, "region_name": r.region.name,
        "status": r.status, "title": r.document.get("title", ""), "generated_at": r.generated_at,
        "published_at": r.published_at, "commentary": r.commentary, "generating": r.generating,
    }  # fmt: skip
    if full:
        out["document"] = r.document
    return out


def _find(request, report_id: int) -> Report:
    if report_id > MAX_RECORD_ID:
        raise not_found()
    return selectors.find_report(request.user, report_id)


@router.post(
    "/reports", response=answers({201: ReportOut}, *SIGNED_IN, 404, 409), summary="生成（或重新生成）报告草稿"
)
def create_report(request, payload: ReportIn):
    report = actions.generate(payload.kind, payload.period, payload.region, by=request.user)
    return Status(201, report_out(report))


@router.get("/reports", response=answers({200: ReportList}, *SIGNED_IN), summary="报告列表")
def list_reports(request, q: Query[ReportQuery]):
    rows = selectors.visible_reports(request.user)
    for field in ("kind", "period", "status"):
        if getattr(q, field):
            rows = rows.filter(**{field: getattr(q, field)})
    return {"items": [report_out(r) for r in rows[:500]]}


@router.get("/reports/{report_id}", response=answers({200: ReportFull}, *SIGNED_IN, 404), summary="报告内容")
def get_report(request, report_id: int):
    return report_out(_find(request, report_id), full=True)


@router.get(
    "/reports/{report_id}/file.docx",
    response=answers({200: None}, *SIGNED_IN, 404, 409),
    summary="下载 Word 文件",
    openapi_extra={
        "responses": {
            200: {
                "description": "Word 文件",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def report_docx(request, report_id: int):
    r = _find(request, report_id)
    return FileResponse(
        actions.file_of(r, "docx"), as_attachment=True, filename=f"report-{r.pk}.docx", content_type=DOCX
    )


@router.get(
    "/reports/{report_id}/file.xlsx",
    response=answers({200: None}, *SIGNED_IN, 404, 409),
    summary="下载 Excel 文件",
    openapi_extra={
        "responses": {
            200: {
                "description": "Excel 文件",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def report_xlsx(request, report_id: int):
    r = _find(request, report_id)
    return FileResponse(
        actions.file_of(r, "xlsx"), as_attachment=True, filename=f"report-{r.pk}.xlsx", content_type=XLSX
    )


@router.post(
    "/reports/{report_id}/publish",
    response=answers({200: ReportOut}, *SIGNED_IN, 404, 409),
    summary="发布（定稿）",
)
def publish_report(request, report_id: int):
    return report_out(actions.publish(_find(request, report_id), by=request.user))
