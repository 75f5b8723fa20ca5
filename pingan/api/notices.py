"""The caller's notices (DESIGN §7): newest first, keyset pages, marked read in bulk."""

from ninja import Query, Router, Schema
from pydantic import Field

from pingan.core.errors import invalid
from pingan.core.validation import RecordId, record_id
from pingan.notices import inbox

from .schemas import SIGNED_IN, NoticePage, ReadOut, answers

router = Router(tags=["消息"])


class NoticeQuery(Schema):
    unread: bool = False
    cursor: str | None = Field(None, description="上一页返回的 `next_cursor`")
    limit: int = 50


class ReadIn(Schema):
    ids: list[RecordId] = Field(default_factory=list, max_length=1000)
    all: bool = False


@router.get(
    "/notifications",
    response=answers({200: NoticePage}, *SIGNED_IN),
    summary="我的消息",
    description="`unread=true` 只看未读；用 `next_cursor` 翻页。",
)
def list_notifications(request, filters: Query[NoticeQuery]):
    before = None
    if filters.cursor:
        before = record_id(filters.cursor)
        if before is None:
            raise invalid({"cursor": "翻页游标无效"})
    rows, next_before = inbox.page(request.user, unread=filters.unread, before=before, limit=filters.limit)
    return {
        "items": [inbox.out(n) for n in rows],
        "next_cursor": str(next_before) if next_before else None,
        "unread": inbox.unread_count(request.user),
    }


@router.post(
    "/notifications/read",
    response=answers({200: ReadOut}, *SIGNED_IN),
    summary="标为已读",
    description='`{"ids": [...]}` 或 `{"all": true}`。',
)
def read_notifications(request, payload: ReadIn):
    marked = inbox.mark_read(request.user, ids=payload.ids, everything=payload.all)
    return {"marked": marked, "unread": inbox.unread_count(request.user)}
