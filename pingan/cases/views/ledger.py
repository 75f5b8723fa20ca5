"""台账: the case list with the API's filters, sorting, keyset pages and saved filters."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pingan.accounts import policy
from pingan.accounts.models import SavedFilter
from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError
from pingan.regions.models import Region, Unit

from .. import selectors
from ..models import Case, Category, Status, Stream
from .display import for_display
from .params import filter_query, ledger_filter

PAGE_SIZE = 50
SORT_COLUMNS = {"reported_at": "登记时间", "resolve_due": "办结时限"}
TEXT_FILTERS = (
    "stream", "category", "unit", "q", "created_after", "created_before", "closed_after", "closed_before",
    "overdue_days_min", "overdue_days_max",
)  # fmt: skip
SUPERVISION_CHOICES = (
    ("true", "全部督办件"),
    ("listed", "挂牌督办"),
    ("routine", "日常督办"),
    ("false", "非督办件"),
)


@login_required
def ledger(request):
    error = None
    try:
        f = ledger_filter(request.GET)
        rows, next_cursor = selectors.case_page(
            request.user,
            f,
            limit=PAGE_SIZE,
            cursor=request.GET.get("cursor") or None,
            sort=request.GET.get("sort") or "-id",
        )
        total, capped = selectors.case_count(request.user, f)
    except DomainError as e:
        error, rows, next_cursor, total, capped = e, [], None, 0, False
    for_display(rows)
    query = filter_query(request.GET)
    sort = request.GET.get("sort", "-id")
    return render(
        request,
        "cases/ledger.html",
        {
            "rows": rows,
            "total": total,
            "total_capped": capped,
            "tips_hidden": policy.confidential_hidden(scope_of(request.user)),
            "error": error,
            "query": query,
            "sort": sort,
            "sort_links": _sort_links(query, sort),
            "next_url": _page_url(query, sort, next_cursor) if next_cursor else None,
            "first_url": _page_url(query, sort, None) if request.GET.get("cursor") else None,
            "chosen": _chosen(request.GET),
            "options": _options(request.GET),
            "saved": SavedFilter.objects.filter(user=request.user),
        },
        status=error.status if error else 200,
    )


def _page_url(query: str, sort: str, cursor: str | None) -> str:
    parts = [
        p for p in (query, f"sort={sort}" if sort != "-id" else "", f"cursor={cursor}" if cursor else "") if p
    ]
    return reverse("cases:ledger") + ("?" + "&".join(parts) if parts else "")


def _sort_links(query: str, sort: str) -> dict:
    """Each sortable column links to its ascending order, or descending when already ascending."""
    links = {}
    for column, label in SORT_COLUMNS.items():
        target = f"-{column}" if sort == column else column
        state = "ascending" if sort == column else "descending" if sort == f"-{column}" else ""
        links[column] = {"label": label, "url": _page_url(query, target, None), "state": state}
    return links


def _chosen(query) -> dict:
    return {
        "statuses": set(",".join(query.getlist("status")).split(",")),
        "regions": [v for v in query.getlist("region") if v],
        **{k: query.get(k, "") for k in TEXT_FILTERS},
        "supervised": query.get("supervised", ""),
        "channel": query.get("channel", ""),
        **{k: query.get(k) in ("true", "1") for k in ("overdue", "due_soon", "open", "backlog")},
        "leader": query.get("leader", ""),
    }


def _options(query) -> dict:
    towns = Region.objects.filter(level=Region.Level.TOWN).order_by("code").values_list("code", "name")
    chosen_town = next((v[:9] for v in query.getlist("region") if len(v) >= 9), None)
    villages = (
        Region.objects.filter(parent_id=chosen_town).order_by("code").values_list("code", "name")
        if chosen_town
        else []
    )
    categories = (
        Category.objects.filter(active=True).order_by("stream", "code").values_list("stream", "code", "name")
    )
    return {
        "streams": Stream.choices,
        "channels": Case.Channel.choices,
        "supervision": SUPERVISION_CHOICES,
        "statuses": Status.choices,
        "towns": list(towns),
        "villages": list(villages),
        # Grouped by stream; once a stream is chosen only its own categories are offered.
        "categories": [
            (s, label, [(c, n) for st, c, n in categories if st == s])
            for s, label in Stream.choices
            if query.get("stream") in (None, "", s)
        ],
        "units": list(Unit.objects.filter(active=True).order_by("path").values_list("code", "name")),
    }


@login_required
@require_POST
def save_filter(request):
    name = request.POST.get("name", "").strip()[:40]
    query = filter_query(request.POST)
    if not name:
        messages.error(request, "请为常用筛选起一个名称。")
    elif not query:
        messages.error(request, "当前没有筛选条件，无需保存。")
    else:
        SavedFilter.objects.update_or_create(user=request.user, name=name, defaults={"query": query})
        messages.success(request, f"已保存常用筛选“{name}”。")
    return HttpResponseRedirect(reverse("cases:ledger") + (f"?{query}" if query else ""))


@login_required
@require_POST
def delete_filter(request, pk: int):
    SavedFilter.objects.filter(user=request.user, pk=pk).delete()
    return redirect("cases:ledger")
