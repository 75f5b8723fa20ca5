"""The audit log for auditors (DESIGN §7, §8): the 审计日志 page's filters, keyset pages, Chinese labels."""

from ninja import Query, Router, Schema
from pydantic import Field

from pingan.audit import selectors

from .schemas import SIGNED_IN, AuditPage, answers

router = Router(tags=["审计"])


class AuditQuery(Schema):
    action: str | None = Field(None, description="操作代码，多个用逗号分隔，如 `case.reveal,case.export`")
    actor: str | None = Field(None, description="操作人：用户名，或姓名的一部分；`系统`、`群众`")
    case: str | None = Field(None, description="案件编号（记录的对象）")
    after: str | None = Field(
        None, description="起始：日期（含当日，本地时间）如 `2026-12-01`，或带时区的时间（含）"
    )
    before: str | None = Field(
        None, description="截止：日期（含当日）如 `2026-12-05`，或带时区的时间（不含）"
    )
    cursor: str | None = Field(None, description="上一页返回的 `next_cursor`")
    limit: int = Field(50, description="每页条数，1–200")
    with_total: bool = Field(False, description="为 true 时返回符合条件的总条数 `total`")


@router.get(
    "/audit",
    response=answers({200: AuditPage}, *SIGNED_IN),
    exclude_unset=True,
    summary="审计日志",
    description="仅限审计员。按写入顺序从新到旧；用上一页返回的 `next_cursor` 取下一页。"
    "每条记录带中文的操作名称 `action_label` 和操作人姓名 `actor_name`。",
)
def list_audit(request, q: Query[AuditQuery]):
    selectors.check_reader(request.user)
    f = selectors.parse_filter(q.model_dump(include=set(selectors.FILTER_FIELDS)))
    rows, next_cursor = selectors.entry_page(f, cursor=q.cursor, limit=q.limit)
    fields = ("id", "at", "actor", "actor_name", "action", "action_label", "object_type", "object_id", "data")
    body: dict = {
        "items": [
            {k: r[k] for k in fields} | {"summary": r["summary"]}
            for r in selectors.entry_rows(rows, summary_limit=None)
        ],
        "next_cursor": next_cursor,
    }
    if q.with_total:
        body["total"] = selectors.count(f)
    return body
