"""网格上报: the grid worker's phone page: report what they see, with location and photos, and follow
their own reports."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render

from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, forbidden
from pingan.regions.models import Region

from .. import actions
from ..models import Case, Category, Stream
from .display import for_display
from .form_errors import Spot, form_errors
from .params import form_payload
from .uploads import atomic_with_uploads

GRID_STREAMS = [(s, Stream(s).label) for s in actions.CREATE_ROLES["grid_worker"]]
MY_REPORTS = 30


def _my_grids(user) -> list[tuple[str, str]]:
    codes = scope_of(user).regions_for("grid_worker")
    if not codes:
        return []
    q = Q()
    for code in codes:
        q |= Q(code__startswith=code)
    return list(
        Region.objects.filter(q, level=Region.Level.GRID).order_by("code").values_list("code", "name")
    )


FORM_FIELDS = ("stream", "category", "title", "description", "severity", "region", "address", "lat", "lng")
# 紧急/一般 as the worker says it; the case's severity, which picks the time-limit rules (a major hazard
# has the shorter resolve limit and is listed for 挂牌督办 on acceptance).
URGENCY = ((Case.Severity.NORMAL, "一般"), (Case.Severity.MAJOR, "紧急"))
# The form's controls in order, with the labels the worker sees (errors name these).
SPOTS = [
    Spot("stream", "g-stream", "事项类型"),
    Spot("category", "g-category", "分类"),
    Spot("severity", "g-urgency", "紧急程度"),
    Spot("title", "g-title", "标题"),
    Spot("description", "g-desc", "情况描述"),
    Spot("region", "g-grid", "所在网格"),
    Spot("address", "g-address", "具体位置"),
    Spot("lat", "", "当前位置（纬度）"),
    Spot("lng", "", "当前位置（经度）"),
]


@login_required
def grid_report(request):
    if "grid_worker" not in scope_of(request.user).roles:
        raise forbidden("网格上报仅供网格员使用。")
    error = None
    if request.method == "POST":
        try:
            with atomic_with_uploads(request.user) as uploads:
                case = actions.create_case(
                    request.user, form_payload(request.POST, FORM_FIELDS), channel=Case.Channel.GRID
                )
                uploads.store(case.number, request.FILES.getlist("photos"), "photo")
        except DomainError as e:
            error = e
        else:
            messages.success(request, f"已上报，编号 {case.number}。可在下方“我的上报”查看办理进度。")
            return redirect("cases:grid")
    mine = list(
        Case.objects.visible_to(request.user)
        .filter(reported_by=request.user)
        .order_by("-id")
        .values(
            "number", "title", "status", "reported_at", "accept_due", "sign_due", "resolve_due", "check_due"
        )[:MY_REPORTS]
    )
    for_display(mine)
    categories = Category.objects.filter(active=True, stream__in=[s for s, _ in GRID_STREAMS]).order_by(
        "code"
    )
    return render(
        request,
        "cases/grid.html",
        {
            "streams": GRID_STREAMS,
            "urgency": URGENCY,
            "categories": categories,
            "grids": _my_grids(request.user),
            "mine": mine,
            "values": request.POST,
            "error": error,
            "errors": form_errors(error, SPOTS),
        },
        status=error.status if error else 200,
    )
