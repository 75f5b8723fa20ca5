"""The 研判预警 pages: the list with its filters, and one alert with the dispatcher's two forms
(dismiss with a reason; open a rectification case). Leaders and supervisors read only."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError

from . import actions, selectors
from .access import may_act
from .models import SurgeAlert

PAGE_SIZE = 30
FILTERS = ("kind", "status", "region")


@login_required
@require_GET
def page(request):
    selectors.check_reader(request.user)
    chosen = {k: request.GET.get(k, "").strip()[:15] for k in FILTERS}
    error = None
    try:
        rows = selectors.visible_alerts(request.user, **chosen)
    except DomainError as e:
        rows, error = selectors.visible_alerts(request.user), e
    paged = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    items = [{"alert": a, "text": selectors.describe(a)} for a in paged]
    return render(request, "surges/page.html", {
        "page": paged, "items": items, "total": paged.paginator.count, "chosen": chosen,
        "query": urlencode({k: v for k, v in chosen.items() if v}), "filter_error": error,
        "kinds": SurgeAlert.Kind.choices, "statuses": SurgeAlert.Status.choices,
    })  # fmt: skip


def _ledger(alert: SurgeAlert) -> str:
    """The ledger filtered to the cases behind the alert (those the reader may see)."""
    if alert.source_case is not None:
        return reverse("cases:detail", args=[alert.source_case.number])
    # The ledger reads a bare day as "to the end of that day".
    query = {
        "region": alert.region_id,
        "created_after": alert.window_start.isoformat(),
        "created_before": alert.window_end.isoformat(),
    }
    if alert.category:
        query["category"] = alert.category.code
    return reverse("cases:ledger") + "?" + urlencode(query)


def _detail(request, alert: SurgeAlert, status: int = 200, **more):
    acts = may_act(scope_of(request.user), alert.region_id) and alert.status == SurgeAlert.Status.OPEN
    context = {
        "alert": alert, "text": selectors.describe(alert), "place": selectors.place_name(alert.region),
        "may_act": acts, "ledger": _ledger(alert),
        **more,
    }  # fmt: skip
    return render(request, "surges/detail.html", context, status=status)


@login_required
@require_GET
def detail(request, alert_id):
    return _detail(request, selectors.find_alert(request.user, alert_id))


@login_required
@require_POST
def dismiss(request, alert_id):
    alert = selectors.find_alert(request.user, alert_id)  # out of scope: 404
    try:
        actions.dismiss(alert, by=request.user, reason=request.POST.get("reason", ""))
    except DomainError as error:
        if error.status in (403, 404):
            raise
        return _detail(request, alert, error.status, error=error, failed="dismiss", sent=request.POST)
    return redirect(reverse("surges:detail", args=[alert.pk]))


@login_required
@require_POST
def open_case(request, alert_id):
    alert = selectors.find_alert(request.user, alert_id)
    p = request.POST
    try:
        case = actions.open_case(
            alert, by=request.user, title=p.get("title", ""), description=p.get("description", "")
        )
    except DomainError as error:
        if error.status in (403, 404):
            raise
        return _detail(request, alert, error.status, error=error, failed="case", sent=p)
    return redirect(reverse("cases:detail", args=[case.number]))
