"""Reading alerts: the list the page and the API filter alike, one alert (404 outside the reader's
scope, as a missing one), the open alerts a dashboard shows and the week's alerts of a report; and the
one sentence that says what an alert is, used by the page, the notice, the report and the case opened."""

from datetime import date

from django.db.models import QuerySet

from pingan.accounts.scope import scope_of
from pingan.core.errors import forbidden, invalid, not_found
from pingan.core.validation import MAX_RECORD_ID
from pingan.regions.models import CODE_LENGTHS, Region, subtree_q

from .access import READERS, readable_q
from .models import SurgeAlert

DASHBOARD_ROWS = 8
RELATED = (
    "region",
    "region__parent",
    "region__parent__parent",
    "category",
    "case",
    "acted_by",
    "source_case",
)


def check_reader(user) -> None:
    if not scope_of(user).has_role(*READERS):
        raise forbidden("研判预警仅限受理分派员、督导人员和领导查看。")


def _choice(value: str, choices, field: str, message: str) -> str:
    if value and value not in choices:
        raise invalid({field: message})
    return value


def visible_alerts(
    user, *, kind: str = "", status: str = "", region: str = "", since: date | None = None
) -> QuerySet[SurgeAlert]:
    rows = SurgeAlert.objects.select_related(*RELATED)
    q = readable_q(scope_of(user))
    if q is None:
        return rows.none()
    rows = rows.filter(q)
    if _choice(kind, SurgeAlert.Kind.values, "kind", "预警类型应为 rise、cluster 或 group。"):
        rows = rows.filter(kind=kind)
    if _choice(status, SurgeAlert.Status.values, "status", "状态应为 open、dismissed 或 case_opened。"):
        rows = rows.filter(status=status)
    if region:
        if not region.isdigit() or len(region) not in CODE_LENGTHS:
            raise invalid({"region": "区划代码应为 6、9、12 或 15 位数字。"})
        rows = rows.filter(subtree_q("region", region))
    if since:
        rows = rows.filter(run_day__gte=since)
    return rows.order_by("-run_day", "-id")


def find_alert(user, alert_id) -> SurgeAlert:
    if not 0 < int(alert_id) <= MAX_RECORD_ID:
        raise not_found()
    alert = visible_alerts(user).filter(pk=alert_id).first()
    if alert is None:
        raise not_found()
    return alert


def dashboard_alerts(user) -> list[SurgeAlert]:
    """The open alerts in the reader's scope, newest first: one short query."""
    q = readable_q(scope_of(user))
    if q is None:
        return []
    rows = SurgeAlert.objects.filter(q, status=SurgeAlert.Status.OPEN).select_related(*RELATED)
    return list(rows.order_by("-run_day", "-id")[:DASHBOARD_ROWS])


def alerts_between(region: str, first: date, last: date) -> list[SurgeAlert]:
    """The alerts raised on the days first..last under `region` (a report's week)."""
    rows = SurgeAlert.objects.filter(subtree_q("region", region), run_day__gte=first, run_day__lte=last)
    return list(rows.select_related(*RELATED).order_by("run_day", "region_id", "id"))


def place_name(region: Region) -> str:
    """Town, village and grid as a county official names them; the county alone for a county."""
    names: list[str] = []
    r: Region | None = region
    while r is not None and len(r.code) > 6:
        if not (names and names[-1].startswith(r.name)):  # 平岗社区第1网格 already says 平岗社区
            names.append(r.name)
        r = r.parent
    return "".join(reversed(names)) or region.name


def _day(d: date) -> str:
    return f"{d.month}月{d.day}日"


def window_text(alert: SurgeAlert) -> str:
    if alert.window_start == alert.window_end:
        return _day(alert.window_start)
    return f"{_day(alert.window_start)}—{_day(alert.window_end)}"


def category_name(alert: SurgeAlert) -> str:
    return alert.category.name if alert.category else "多类事项"


def describe(alert: SurgeAlert) -> str:
    """What the alert says: place, category and counts; never a person."""
    where, what = place_name(alert.region), category_name(alert)
    if alert.kind == SurgeAlert.Kind.RISE:
        return (
            f"{where}“{what}”近7日（{window_text(alert)}）登记 {alert.count} 件，"
            f"前8周周均 {alert.baseline or 0:.1f} 件（P={alert.p_value:.1g}）"
        )
    if alert.kind == SurgeAlert.Kind.CLUSTER:
        return f"{where}同一地点 72 小时内（{window_text(alert)}）报告“{what}” {alert.count} 件"
    return f"{where}“{what}”群体性事项（{window_text(alert)} 登记），涉及 {alert.count} 人"
