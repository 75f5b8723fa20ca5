"""The 重点地区 page: the ranking of villages by cases per 1,000 residents with its filters, the form
that lists a village as 重点整治地区 (supervisors), the areas under 整治 with their deadlines, and the
history of areas delisted after 验收."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError
from pingan.core.periods import make, period_of
from pingan.regions.models import Region

from . import actions, selectors
from .access import READERS, may_keep
from .models import FocusArea
from .ranking import ROLLING, Ranking, Row

HISTORY_ROWS = 20
DEFAULT_DEADLINE_DAYS = 90


def _periods() -> list[tuple[str, str]]:
    today = timezone.localdate()
    quarter = period_of("quarter", today)
    quarters = [quarter.previous(), quarter.previous().previous()]
    return [
        (ROLLING, "近12个月"),
        (str(today.year), f"{today.year}年（截至今日）"),
        (str(today.year - 1), f"{today.year - 1}年"),
        *[(q.key, q.label) for q in quarters],
        (make("month", today.year, today.month).previous().key, "上月"),
    ]


def _scopes(user) -> list[Region]:
    """The county and towns a reader may pick, as far as his grants reach."""
    codes = scope_of(user).regions_for(*READERS)
    found: list[Region] = []
    for code in codes:
        found += Region.objects.filter(code__startswith=code, level__in=("county", "town")).order_by("code")
        if len(code) == 12:
            found += Region.objects.filter(code=code)
    return found


def _reason(result: Ranking, row: Row) -> str:
    """What the form suggests as the reason: the figures the supervisor is looking at."""
    if row.rate is None:
        return f"{result.window.label}登记案件 {row.cases} 件。"
    text = (
        f"{result.window.label}千人发案率 {row.rate}（{row.cases} 件，常住人口 {row.population} 人），"
        f"居{result.scope.name}第 {row.rank} 位"
    )
    if row.yoy is not None:
        text += f"，同比{'上升' if row.yoy > 0 else '下降'} {abs(row.yoy) * 100:.1f}%"
    return text + "。"


def _context(request, chosen: dict, **more) -> dict:
    user = request.user
    result = selectors.ranking(user, **chosen)
    scope = scope_of(user)
    keeps = {r.region.code for r in result.rows if may_keep(scope, r.region.code)}
    today = timezone.localdate()
    listed = list(selectors.visible_areas(user, status="listed", region=result.scope.code))
    history = selectors.visible_areas(user, status="delisted", region=result.scope.code)[:HISTORY_ROWS]
    rows = [
        {"row": r, "may_list": r.region.code in keeps and not r.listed, "reason": _reason(result, r)}
        for r in result.rows
    ]
    areas = [
        {
            "area": a,
            "overdue": selectors.overdue(a, today),
            "may_delist": may_keep(scope, a.region_id),
            "open": more.get("failed") == f"delist-{a.pk}",
        }
        for a in listed
    ]
    return {
        "result": result, "chosen": chosen, "scopes": _scopes(user), "periods": _periods(),
        "rows": rows, "listed": areas, "history": history,
        "default_deadline": today + timedelta(days=DEFAULT_DEADLINE_DAYS),
        "query": urlencode({k: v for k, v in chosen.items() if v}), **more,
    }  # fmt: skip


def _chosen(data) -> dict:
    return {"region": data.get("region", "").strip()[:15], "period": data.get("period", "").strip()[:16]}


@login_required
@require_GET
def page(request):
    selectors.check_reader(request.user)
    chosen = _chosen(request.GET)
    try:
        context = _context(request, chosen)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        context = _context(request, {"region": chosen["region"], "period": ""}, filter_error=error)
    return render(request, "focusareas/page.html", context)


def _back(chosen: dict, anchor: str) -> str:
    query = urlencode({k: v for k, v in chosen.items() if v})
    return reverse("focusareas:page") + (f"?{query}" if query else "") + anchor


@login_required
@require_POST
def add(request):
    selectors.check_reader(request.user)
    p = request.POST
    chosen = _chosen(p)
    try:
        area = actions.list_area(by=request.user, region=p.get("village", ""), reason=p.get("reason", ""),
                                 deadline=p.get("deadline", ""))  # fmt: skip
    except DomainError as error:
        if error.status in (403, 404):
            raise
        context = _context(request, chosen, error=error, failed=p.get("village", ""), sent=p)
        return render(request, "focusareas/page.html", context, status=error.status)
    return redirect(_back(chosen, f"#area-{area.pk}"))


@login_required
@require_POST
def delist(request, focus_id):
    area: FocusArea = selectors.find_area(request.user, focus_id)
    chosen = _chosen(request.POST)
    try:
        actions.delist(area, by=request.user, note=request.POST.get("note", ""))
    except DomainError as error:
        if error.status in (403, 404):
            raise
        context = _context(request, chosen, error=error, failed=f"delist-{area.pk}", sent=request.POST)
        return render(request, "focusareas/page.html", context, status=error.status)
    return redirect(_back(chosen, "#history"))
