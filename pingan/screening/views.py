"""The 排查月报 page: for a month, each town and village of the user's scope with its state (已报,
零报告, 逾期未报, 未到期), the reporting rate, and the form to file a return."""

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, forbidden
from pingan.core.periods import parse_period
from pingan.regions.models import Region

from . import actions, selectors


def _context(request, **more) -> dict[str, Any]:
    scope = scope_of(request.user)
    top = selectors.top_region(scope)
    if top is None:
        raise forbidden("排查月报仅限领导、督导、受理分派员和网格员查看。")
    code = str(request.GET.get("region") or top)
    region = Region.objects.filter(code=code).first()
    if region is None or not selectors.may_read(scope, code):
        region = Region.objects.get(code=top)
    period = selectors.last_month()
    raw = request.GET.get("period") or request.POST.get("period")
    if raw:
        try:
            period = parse_period(raw)
            if period.kind != "month":
                raise DomainError("invalid_period", "请按月份查看，如 2026-10。")
        except DomainError as error:
            period, more["period_error"] = selectors.last_month(), error
    rows = selectors.rows(region.code, period)
    return {
        "region": region,
        "period": period,
        "due_on": selectors.due_on(period),
        "rows": rows,
        "late": [r for r in rows if r.late],
        "rate": selectors.reporting_rate(region.code, period),
        "regions": selectors.subjects(top).filter(level="town").order_by("code"),
        "top": Region.objects.get(code=top),
        "fileable": selectors.fileable(scope, region.code),
        **more,
    }


@login_required
@require_GET
def screening_page(request):
    return render(request, "screening/page.html", _context(request))


@login_required
@require_POST
def file_return(request):
    p = request.POST
    try:
        ret = actions.file_return(
            by=request.user,
            region_code=p.get("region", ""),
            period_key=p.get("period", ""),
            zero_report=p.get("zero_report") == "on",
            note=p.get("note", ""),
        )
    except DomainError as error:
        if error.status == 403:
            raise
        return render(request, "screening/page.html", _context(request, file_error=error), status=400)
    return redirect(
        f"{reverse('screening:page')}?{urlencode({'period': ret.period, 'filed': ret.region_id})}"
    )
