"""Case endpoints (DESIGN §7). Thin: parse, call selectors and actions, serialise."""

import json
from dataclasses import asdict

from django.http import FileResponse, HttpResponse, JsonResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from pingan.accounts.scope import scope_of
from pingan.cases import actions, selectors
from pingan.cases import schemas as s
from pingan.cases.models import Case
from pingan.cases.schemas import CaseIn
from pingan.cases.search import COUNT_CAP
from pingan.cases.serializers import case_created, case_out, case_summary, events_out, row_of
from pingan.cases.similar import SHOWN
from pingan.cases.workflow import TRANSITIONS
from pingan.core.errors import DomainError, invalid
from pingan.core.validation import RecordId

from . import schemas as out
from .idempotency import create_once
from .schemas import answers

router = Router(tags=["案件"])


class CaseListQuery(selectors.CaseFilter):
    cursor: str | None = None
    limit: int = 50
    sort: str = "-id"  # or reported_at, -reported_at, resolve_due, -resolve_due (NULL due times last)
    with_total: bool = False


# What a download may be: the types an upload is accepted as (pingan.cases.uploads).
_DOWNLOAD = {
    mime: {"schema": {"type": "string", "format": "binary"}}
    for mime in ("image/jpeg", "image/png", "image/heic", "application/pdf")
}


def _detail(request, number: str) -> dict:
    return case_out(selectors.find_case(request.user, number), scope_of(request.user))


@router.post(
    "/cases",
    response=answers({201: out.CaseCreated}, *out.SIGNED_IN, 422),
    exclude_unset=True,
    summary="登记案件",
    description=(
        "返回新案件的台账行（编号、状态、类别、区划、各环节期限等）和详情地址 `url`（同 `Location` 响应头），"
        "不含整个详情页：要看详情请 GET 该地址。"
        "支持 `Idempotency-Key` 请求头：同键同内容重放首次结果，同键不同内容返回 422。"
    ),
)
def create_case(request, payload: CaseIn, response: HttpResponse):
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        body = _created(request, actions.create_case(request.user, payload))
        status = 201
    else:
        status, body = create_once(
            request,
            key,
            lambda: actions.create_case(request.user, payload),
            lambda case: _created(request, case),
            lambda number: _created(request, selectors.find_case(request.user, number), new=False),
        )
        if "url" not in body:
            # Stored before creations answered with the ledger row: replayed as it was, the whole case.
            replay = JsonResponse(body, status=status)
            replay["Location"] = f"{request.path.rstrip('/')}/{body['number']}"
            return replay
    response["Location"] = body["url"]
    return Status(status, body)


def _created(request, case: Case, *, new: bool = True) -> dict:
    """The answer to a creation: the case as a ledger row, built from the instance just saved (`new`:
    no query) or, for a replay whose stored answer is gone, as it is now."""
    body = case_created(case) if new else case_summary(row_of(case))
    return {**body, "url": f"{request.path.rstrip('/')}/{case.number}"}


@router.get(
    "/cases",
    response=answers({200: out.CasePage}, *out.SIGNED_IN),
    exclude_unset=True,
    summary="案件台账",
    description=(
        "键集分页：用上一页返回的 `next_cursor` 取下一页。`with_total=true` 时另返回符合条件的总数 `total`"
        f"（带 `q` 时最多数到 {COUNT_CAP}：更多时 `total` 为 {COUNT_CAP}、`total_capped` 为 true）。"
        "`q` 在标题、描述、办理记录和案件编号中查找这段文字（不分大小写）；一两个字只查标题，"
        "数字另查编号末尾的序号。"
    ),
)
def list_cases(request, filters: Query[CaseListQuery]):
    f = selectors.CaseFilter(**filters.model_dump(exclude={"cursor", "limit", "sort", "with_total"}))
    rows, next_cursor = selectors.case_page(
        request.user, f, limit=filters.limit, cursor=filters.cursor, sort=filters.sort
    )
    page: dict = {"items": [case_summary(c) for c in rows], "next_cursor": next_cursor}
    if filters.with_total:
        page["total"], page["total_capped"] = selectors.case_count(request.user, f)
    return page


@router.get(
    "/cases/{number}",
    response=answers({200: out.CaseOut}, *out.SIGNED_IN, 404),
    exclude_unset=True,
    summary="案件详情",
)
def get_case(request, number: str):
    return _detail(request, number)


@router.get(
    "/cases/{number}/events",
    response=answers({200: out.EventList}, *out.SIGNED_IN, 404),
    summary="案件流转记录",
)
def list_events(request, number: str):
    return {"items": events_out(selectors.case_events(request.user, number))}


@router.get(
    "/cases/{number}/similar",
    response=answers({200: out.SimilarList}, *out.SIGNED_IN, 404),
    summary="相似案件（疑似重复或相关）",
    description=(
        "同一村（社区）或网格、有坐标时 500 米以内、登记时间前后 30 天内的在办案件，按相似程度排列，"
        "每件附相似的理由（`reasons`）；只列调用者有权查看的案件，已关联的不再列出。"
        "确属同一事项的用 `merge` 合并，相关的用 `relate` 关联。"
        "限受理分派员、督查人员、领导和网格员；`limit` 1–20，默认 5。"
    ),
)
def similar(request, number: str, limit: Query[int] = SHOWN):
    return {"items": [asdict(c) for c in selectors.similar_cases(request.user, number, limit=limit)]}


@router.post(
    "/cases/{number}/actions/reveal",
    response=answers({200: out.RevealOut}, *out.SIGNED_IN, 404),
    summary="查看个人信息原文（需说明理由，留痕）",
    openapi_extra=out.json_body(s.RevealIn),
)
def reveal(request, number: str):
    return {"value": actions.reveal(request.user, number, _json_body(request))}


def _action_view(name: str):
    def take_action(request, number: str):
        actions.perform(request.user, number, name, _json_body(request))
        return _detail(request, number)

    return take_action


# One operation per workflow action, each with its own body (DESIGN §4). The view reads the body
# itself: scope, role and state are checked before the fields.
for _name, _action in actions.ACTIONS.items():
    router.post(
        f"/cases/{{number}}/actions/{_name}",
        response=answers({200: out.CaseOut}, *out.SIGNED_IN, 404, 409),
        exclude_unset=True,
        operation_id=f"case_action_{_name}",
        summary=TRANSITIONS[_name].label,
        description="返回案件详情，含当前用户可执行的操作 `allowed_actions`。",
        openapi_extra=out.json_body(_action.schema),
    )(_action_view(_name))


class BacklogImportOut(out.Out):
    marked: list[str]


@router.post(
    "/backlog/import",
    response=answers({200: BacklogImportOut}, *out.SIGNED_IN),
    summary="导入积案清单（按案件编号，全部成功或全部不导入）",
    description="每个编号都须是本人可标记的在办案件；有一个不行则整批不导入，"
    "`fields` 中按 `numbers.<编号>` 逐个说明。",
)
def import_backlog(request, payload: s.BacklogImportIn):
    marked = actions.import_backlog(request.user, payload.numbers, source=payload.source, note=payload.note)
    return {"marked": [c.number for c in marked]}


@router.post("/cases/{number}/actions/{action}", include_in_schema=False)
def unknown_action(request, number: str, action: str):
    """Any other name: 404 `unknown_action`."""
    actions.perform(request.user, number, action, _json_body(request))
    return _detail(request, number)


@router.post(
    "/cases/{number}/attachments",
    response=answers({201: out.AttachmentOut}, *out.SIGNED_IN, 404, 409),
    summary="上传附件",
    description="`kind`：`evidence` 佐证材料、`photo` 照片、`document` 文书；"
    "只收 JPEG、PNG、HEIC 和 PDF，按内容判断，单个文件不超过 20 MB。",
)
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


@router.get(
    "/cases/{number}/attachments/{attachment_id}",
    response=answers({200: None}, *out.SIGNED_IN, 404),
    summary="下载附件",
    openapi_extra={"responses": {200: {"description": "附件内容", "content": _DOWNLOAD}}},
)
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
