"""Reading 重点地区: the ranking of a scope the reader may see, the listed areas (and their history)
filtered as the page and the API filter, and the areas under 整治 that dashboards show."""

from django.db.models import QuerySet
from django.utils import timezone

from pingan.accounts.scope import scope_of
from pingan.core.errors import forbidden, invalid, not_found
from pingan.core.validation import MAX_RECORD_ID
from pingan.regions.models import Region, subtree_q

from .access import READERS, dashboard_q, may_read, readable_q, top_region
from .models import FocusArea
from .ranking import Ranking, rank_villages, window_for

DASHBOARD_ROWS = 10
SCOPE_LEVELS = (Region.Level.COUNTY, Region.Level.TOWN, Region.Level.VILLAGE)


def check_reader(user) -> None:
    if not scope_of(user).has_role(*READERS):
        raise forbidden("重点地区仅限领导和督导人员查看。")


def scope_region(user, code: str = "") -> Region:
    """The region whose villages are ranked: the one asked for, else the reader's top granted region.
    One he may not read answers 404, as a missing one does."""
    check_reader(user)
    scope = scope_of(user)
    code = code or top_region(scope) or ""
    region = Region.objects.filter(code=code).first() if code else None
    if region is None or not may_read(scope, region.code):
        raise not_found()
    if region.level not in SCOPE_LEVELS:
        raise invalid({"region": "请选择县、乡镇（街道）或村（社区）：重点地区按村（社区）排名。"})
    return region


def ranking(user, *, region: str = "", period: str = "") -> Ranking:
    scope = scope_region(user, region)
    return rank_villages(scope, window_for(period))


def visible_areas(user, *, status: str = "", region: str = "") -> QuerySet[FocusArea]:
    q = readable_q(scope_of(user))
    rows = FocusArea.objects.select_related("region", "region__parent", "listed_by", "delisted_by")
    if q is None:
        return rows.none()
    rows = rows.filter(q)
    if status:
        if status not in FocusArea.Status.values:
            raise invalid({"status": "状态应为 listed（整治中）或 delisted（已验收摘牌）。"})
        rows = rows.filter(status=status)
    if region:
        rows = rows.filter(subtree_q("region", region))
    return rows.order_by("-listed_at", "-id")


def find_area(user, area_id) -> FocusArea:
    if not 0 < int(area_id) <= MAX_RECORD_ID:  # beyond any database id: asked for, it would overflow
        raise not_found()
    area = visible_areas(user).filter(pk=area_id).first()
    if area is None:
        raise not_found()
    return area


def overdue(area: FocusArea, today=None) -> bool:
    return area.status == FocusArea.Status.LISTED and area.deadline < (today or timezone.localdate())


def dashboard_areas(user) -> list[FocusArea]:
    """Areas under 整治 in the user's scope, the nearest deadline first: one short query."""
    q = dashboard_q(scope_of(user))
    if q is None:
        return []
    rows = FocusArea.objects.filter(q, status=FocusArea.Status.LISTED).select_related(
        "region", "region__parent"
    )
    return list(rows.order_by("deadline", "-id")[:DASHBOARD_ROWS])
