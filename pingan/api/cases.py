"""Case endpoints (DESIGN §7). Thin: parse, call selectors and actions, serialise."""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.http import FileResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from pingan.accounts.scope import scope_of
from pingan.cases import actions, selectors
from pingan.cases.models import IdempotencyRecord
from pingan.cases.schemas import CaseIn
from pingan.core.errors import DomainError, invalid

from .serializers import case_detail, case_summary, event_out

router = Router(tags=["案件"])


class CaseListQuery(selectors.CaseFilter):
    cursor: str | None = None
    limit: int = 50
    sort: str = "-id"  # or reported_at, -reported_at, resolve_due, -resolve_due (NULL due times last)


def _detail(request, number: str) -> dict:
    return case_detail(selectors.case_detail(request.user, number), scope_of(request.user))


def _canonical(body: bytes) -> str:
    try:
        return hashlib.sha256(json.dumps(json.loads(body), sort_keys=True).encode()).hexdigest()
    except ValueError:
        return hashlib.sha256(body).hexdigest()


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
    if len(key) > 128:
        raise invalid({"Idempotency-Key": "不能超过 128 个字符"})
    body_hash = _canonical(request.body)
    previous = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
    if previous is None:
        try:
            with transaction.atomic():
                case = actions.create_case(request.user, payload)
                record = IdempotencyRecord.objects.create(
                    user=request.user, key=key, body_hash=body_hash, status_code=201, resource=case.number
                )
        except IntegrityError:
            # The same key raced us and won; its case stands and ours was rolled back.
            previous = IdempotencyRecord.objects.get(user=request.user, key=key)
        else:
            body = _detail(request, case.number)
            IdempotencyRecord.objects.filter(pk=record.pk).update(response=body)
            return Status(201, body)
    if previous.body_hash != body_hash:
        raise DomainError(
            "idempotency_key_reused",
            "该 Idempotency-Key 已用于内容不同的请求。",
            status=422,
            fields={"Idempotency-Key": "请为新的请求使用新的键"},
        )
    return Status(previous.status_code, previous.response or _detail(request, previous.resource))


@router.get("/cases", summary="案件台账", description="键集分页：用上一页返回的 `next_cursor` 取下一页。")
def list_cases(request, filters: Query[CaseListQuery]):
    f = selectors.CaseFilter(**filters.model_dump(exclude={"cursor", "limit", "sort"}))
    rows, next_cursor = selectors.case_page(
        request.user, f, limit=filters.limit, cursor=filters.cursor, sort=filters.sort
    )
    return {"items": [case_summary(c) for c in rows], "next_cursor": next_cursor}


@router.get("/cases/{number}", summary="案件详情")
def get_case(request, number: str):
    return _detail(request, number)


@router.get("/cases/{number}/events", summary="案件流转记录")
def list_events(request, number: str):
    return {"items": [event_out(e) for e in selectors.case_events(request.user, number)]}


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
def download(request, number: str, attachment_id: int):
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
