"""督办 page: the records in the user's scope with filters, keyset pages and an Excel export."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from pingan.accounts import policy
from pingan.accounts.scope import scope_of
from pingan.cases.clocks import LOCAL
from pingan.core.errors import DomainError
from pingan.core.spreadsheet import XLSX
from pingan.core.validation import validate
from pingan.regions.models import Region, Unit

from . import selectors
from .export import export_records
from .models import Supervision

PAGE_SIZE = 50
FILTERS = tuple(selectors.SupervisionFilter.model_fields)


def page_filter(query: QueryDict) -> selectors.SupervisionFilter:
    """Blank fields mean "any"; a town and a village both send `region`, the last chosen wins."""
    raw = {}
    for name in FILTERS:
        values = [v.strip() for v in query.getlist(name) if v.strip()]
        if values:
            raw[name] = values[-1]
    return validate(selectors.SupervisionFilter, raw)


def _filter_query(query: QueryDict) -> str:
    kept = QueryDict(mutable=True)
    for name in FILTERS:
        values = [v for v in query.getlist(name) if v.strip()]
        if values:
            kept.setlist(name, values)
    return kept.urlencode()


@login_required
def supervision_list(request):
    now = timezone.now()
    error = None
    try:
        f = page_filter(request.GET)
        rows, next_cursor = selectors.record_page(
            request.user, f, now, limit=PAGE_SIZE, cursor=request.GET.get("cursor") or None
        )
        total = selectors.record_count(request.user, f, now)
    except DomainError as e:
        error, rows, next_cursor, total = e, [], None, 0
    query = _filter_query(request.GET)
    base = reverse("supervision:list") + (f"?{query}" if query else "")
    sep = "&" if query else "?"
    context = {
        "rows": [selectors.record_out(s) for s in rows],
        "total": total,
        "error": error,
        "now": now,
        "next_url": f"{base}{sep}cursor={next_cursor}" if next_cursor else None,
        "first_url": base if request.GET.get("cursor") else None,
        "chosen": {name: request.GET.get(name, "") for name in FILTERS},
        "levels": Supervision.Level.choices,
        "states": selectors.STATES,
        "towns": Region.objects.filter(level=Region.Level.TOWN).order_by("code").values_list("code", "name"),
        "units": Unit.objects.filter(active=True).order_by("path").values_list("code", "name"),
        "tips_hidden": policy.confidential_hidden(scope_of(request.user)),
    }
    return render(request, "supervision/list.html", context, status=error.status if error else 200)


@login_required
@require_POST
def supervision_export(request):
    # A malformed filter raises `invalid`, which the error-page middleware shows as a 400 page.
    now = timezone.now()
    file = export_records(request.user, page_filter(request.POST), now)
    day = now.astimezone(LOCAL).strftime("%Y%m%d")
    response = FileResponse(file, as_attachment=True, filename=f"督办台账-{day}.xlsx", content_type=XLSX)
    response["Cache-Control"] = "private, no-store"
    return response
