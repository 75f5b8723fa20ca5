"""The 统计数据 page: figures of one source department for a region and period, by town, with the year
before and the target; entering one figure; the source's Excel template and its import."""

from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, forbidden, invalid
from pingan.core.periods import Period, parse_period, period_of
from pingan.core.spreadsheet import XLSX
from pingan.core.workbook import ENVELOPE_BYTES, MAX_BYTES, RowsRejected
from pingan.regions.models import Region
from pingan.regions.subjects import region_or_unit

from . import actions, imports, selectors
from .access import WRITERS, may_read, top_region
from .models import Indicator, StatisticValue


def _scope_region(request) -> Region:
    scope = scope_of(request.user)
    top = top_region(scope)
    if top is None:
        raise forbidden("统计数据仅限领导和督导人员查看。")
    code = request.GET.get("region") or request.POST.get("region") or top
    region = Region.objects.filter(code=str(code)).first()
    if region is None or not may_read(scope, region):
        region = Region.objects.get(code=top)
    return region


def _last_month() -> Period:
    return period_of("month", date.today().replace(day=1) - timedelta(days=1))


def _period(request) -> Period:
    raw = request.GET.get("period") or request.POST.get("period")
    return parse_period(raw) if raw else _last_month()


def _subjects(top: str):
    """The regions figures are entered for: the county (or the user's top region) and its towns."""
    return Region.objects.filter(level__in=("county", "town"), code__startswith=top).order_by("code")


def _sources() -> list[str]:
    return list(Indicator.objects.filter(active=True).values_list("source", flat=True).distinct().order_by())


def _context(request, **more) -> dict[str, Any]:
    region = _scope_region(request)
    try:
        period = _period(request)
    except DomainError as error:
        period, more["period_error"] = _last_month(), error
    sources = sorted(set(_sources()))
    source = request.GET.get("source") or request.POST.get("source") or (sources[0] if sources else "")
    indicators = list(Indicator.objects.filter(active=True, source=source))
    children = list(region.children.order_by("code")) if region.level != "village" else []
    scope = scope_of(request.user)
    return {
        "region": region,
        "period": period,
        "sources": sources,
        "source": source,
        "figures": [(i, selectors.figure(i, period, region=region)) for i in indicators],
        "indicators": indicators,
        "by_child": [
            (child, [selectors.value_for(i, period, region=child) for i in indicators]) for child in children
        ],
        "regions": _subjects(top_region(scope) or region.code),
        "all_indicators": Indicator.objects.filter(active=True),
        "may_enter": scope.has_role(*WRITERS),
        "max_mb": MAX_BYTES // 1024 // 1024,
        **more,
    }


@login_required
@require_GET
def statistics_page(request):
    return render(request, "statistics/page.html", _context(request))


def _writer(request) -> None:
    if not scope_of(request.user).has_role(*WRITERS):
        raise forbidden("统计数据由督导人员填报。")


@login_required
@require_POST
def enter_value(request):
    _writer(request)
    p = request.POST
    try:
        indicator = actions.indicator_of(p.get("indicator", ""))
        period = parse_period(p.get("period"))
        region, unit = region_or_unit(p.get("subject", ""), "")
        sample = p.get("sample_size", "").strip()
        if sample and not (sample.isascii() and sample.isdigit()):
            raise invalid({"sample_size": "样本量应为正整数。"})
        figure = actions.figure_from(indicator, period, region, unit, p.get("value", ""), int(sample or 0))
        actions.set_values([figure], by=request.user, via=StatisticValue.Via.FORM)
    except DomainError as error:
        if error.status == 403:
            raise
        return render(request, "statistics/page.html", _context(request, entry_error=error), status=400)
    query = urlencode({"source": indicator.source, "period": period.key})
    return redirect(f"{reverse('statistics:page')}?{query}")


@login_required
@require_GET
def template(request):
    _writer(request)
    source, period = request.GET.get("source", ""), _period(request)
    top = top_region(scope_of(request.user), WRITERS) or ""
    subjects = list(
        Region.objects.filter(level__in=("county", "town"), code__startswith=top).order_by("code")
    )
    body = imports.template(source, subjects, period.key)
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(source + '统计数据模板.xlsx')}"
    return response


@login_required
@require_http_methods(["POST"])
def import_values(request):
    _writer(request)
    source = request.POST.get("source", "")
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BYTES + ENVELOPE_BYTES:
            raise imports.bad_file(f"文件超过 {MAX_BYTES // 1024 // 1024} MB，请分批导入。")
        upload = request.FILES.get("file")
        if upload is None:
            raise imports.bad_file("请选择要导入的 Excel 文件（.xlsx）。")
        saved = imports.import_file(upload, upload.size or 0, source, by=request.user)
    except RowsRejected as rejected:
        return render(request, "statistics/page.html", _context(request, rejected=rejected), status=400)
    except DomainError as error:
        if error.status == 403:
            raise
        return render(request, "statistics/page.html", _context(request, file_error=error), status=400)
    return render(request, "statistics/page.html", _context(request, imported=len(saved)))
