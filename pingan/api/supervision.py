"""督办 records (GOVERNANCE §4): the list behind the 督办 page, in the caller's scope. The actions
(`supervise`, `lift_supervision`, `report_progress`) are case actions: POST /cases/{number}/actions/…"""

from django.utils import timezone
from ninja import Query, Router
from pydantic import Field

from pingan.supervision import selectors

from .schemas import SIGNED_IN, SupervisionPage, answers

router = Router(tags=["督办"])


class SupervisionQuery(selectors.SupervisionFilter):
    cursor: str | None = Field(None, description="上一页返回的 `next_cursor`")
    limit: int = Field(50, description="每页条数，1–200")
    with_total: bool = Field(False, description="为 true 时返回符合条件的总数 `total`")


@router.get(
    "/supervision",
    response=answers({200: SupervisionPage}, *SIGNED_IN),
    exclude_unset=True,
    summary="督办台账",
    description="从新到旧，键集分页。每条含案件编号、督办级别、督办人、督办时间、督办要求、报告间隔、"
    "下次报告截止、是否逾期未报（`late`）和解除时间。",
)
def list_supervision(request, q: Query[SupervisionQuery]):
    now = timezone.now()
    f = selectors.SupervisionFilter(**q.model_dump(include=set(selectors.SupervisionFilter.model_fields)))
    rows, next_cursor = selectors.record_page(request.user, f, now, limit=q.limit, cursor=q.cursor)
    body: dict = {"items": [selectors.record_out(s) for s in rows], "next_cursor": next_cursor}
    if q.with_total:
        body["total"] = selectors.record_count(request.user, f, now)
    return body
