"""Case endpoints (DESIGN §7). Thin: parse, call selectors and actions, serialise."""

import json

from django.http import FileResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from pingan.accounts.scope import scope_of
from pingan.cases import actions, selectors
from pingan.cases.schemas import CaseIn
from pingan.cases.serializers import case_out, case_summary, events_out
from pingan.core.errors import DomainError, invalid
from pingan.core.validation import RecordId

from .idempotency import create_once

router = Router(tags=["案件"])


class CaseListQuery(selectors.CaseFilter):
    cursor: str | None = None
    limit: int = 50
    sort: str = "-id"  # or reported_at, -reported_at, resolve_due, -resolve_due (NULL due times last)
    with_total: bool = False


def _detail(request, number: str) -> dict:
    return case_out(selectors.find_case(request.user, number), scope_of(request.user))


@router.post(
    "/cases",
    response={201: dict},
    summary="登记案件",
    description="支持 `Idempotency-Key` 请求头：同键同内容重放首次结果，同键不同内容返回 422。",
)
def create_case(request, payload: CaseIn):
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        case = actions.create_case(request.user, payload)
        return Status(201, _detail(request, case.number))
    status, body = create_once(
        request,
        key,
        lambda: actions.create_case(request.user, payload),
        lambda number: _detail(request, number),
    )
    return Status(status, body)


@router.get(
    "/cases",
    summary="案件台账",
    description=(
        "键集分页：用上一页返回的 `next_cursor` 取下一页。`with_total=true` 时另返回符合条件的总数 `total`。"
    ),
)
def list_cases(request, filters: Query[CaseListQuery]):
    f = selectors.CaseFilter(**filters.model_dump(exclude={"cursor", "limit", "sort", "with_total"}))
    rows, next_cursor = selectors.case_page(
        request.user, f, limit=filters.limit, cursor=filters.cursor, sort=filters.sort
    )
    page: dict = {"items": [case_summary(c) for c in rows], "next_cursor": next_cursor}
    if filters.with_total:
        page["total"] = selectors.case_count(request.user, f)
    return page


@router.get("/cases/{number}", summary="案件详情")
def get_case(request, number: str):
    return _detail(request, number)


@router.get("/cases/{number}/events", summary="案件流转记录")
def list_events(request, number: str):
    return {"items": events_out(selectors.case_events(request.user, number))}


@router.post("/cases/{number}/actions/reveal", summary="查看个人信息原文（需说明理由，留痕）")
def reveal(request, number: str):
    return {"value": actions.reveal(request.user, number, _json_body(request))}


@router.post(
    "/cases/{number}/actions/{action}",
    summary="执行流转操作",
    description="操作及其字段见 DESIGN §4；返回案件详情，含 `allowed_actions`。",
)
def take_action(request, number: str, action: str):
    actions.perform(request.user, number, action, _json_body(request))
    return _detail(request, number)


@router.post("/cases/{number}/attachments", response={201: dict}, summary="上传附件")
def upload(request, number: str, file: File[UploadedFile], kind: Form[str] = "evidence"):
    content = file.read()
    att = actions.add_attachment(
        request.user,
        number,
        kind=kind,
        name=file.name or "",
        content=content,
        content_type=file.content_type or "",
    )
    return Status(201, {"id": att.pk, "kind": att.kind, "content_type": att.content_type, "size": att.size})


@router.get("/cases/{number}/attachments/{attachment_id}", summary="下载附件")
def download(request, number: str, attachment_id: RecordId):
    att = selectors.case_attachment(request.user, number, attachment_id)
    response = FileResponse(
        att.file.open("rb"), content_type=att.content_type, as_attachment=True, filename=att.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _json_body(request) -> dict:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except ValueError:
        raise DomainError("malformed_json", "请求体不是合法的 JSON。") from None
    if not isinstance(data, dict):
        raise invalid({"_": "请求体应为 JSON 对象"})
    return data
