"""隐患排查 pages: the place register with its filters, a place with its inspections, findings and
re-inspections, the inspection form, the 待复查 list, the 整改通知书 and the coverage by town."""

from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from pingan.cases.uploads import clean_upload
from pingan.core.errors import DomainError, forbidden
from pingan.core.periods import parse_period, period_of
from pingan.core.validation import validate
from pingan.regions.models import Region

from . import actions, notice, selectors
from .models import Finding, ItemResult, PlaceKind, RiskGrade

PAGE_SIZE = 50
EXTRA_FINDINGS = 3  # rows for problems outside the checklist
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PLACE_FIELDS = ("kind", "name", "region", "address", "lat", "lng", "responsible_unit", "grade")


def _reader(request) -> str:
    top = selectors.top_region(request.user)
    if top is None:
        raise forbidden("隐患排查仅限领导、督导、受理分派员、网格员和负责排查的单位查看。")
    return top


def _towns(top: str):
    return Region.objects.filter(code__startswith=top, level=Region.Level.TOWN).order_by("code")


def _villages(user) -> list[Region]:
    codes = selectors.managed_regions(user)
    out: list[Region] = []
    for code in codes:
        out += Region.objects.filter(code__startswith=code, level=Region.Level.VILLAGE).select_related(
            "parent"
        )
    return sorted(out, key=lambda r: r.code)


# ---------------------------------------------------------------- the register


def _filter(query: QueryDict) -> selectors.PlaceFilter:
    raw = {
        k: query.get(k, "").strip() for k in selectors.PlaceFilter.model_fields if query.get(k, "").strip()
    }
    return validate(selectors.PlaceFilter, raw)


@login_required
@require_GET
def place_list(request):
    top = _reader(request)
    today = timezone.localdate()
    error = None
    try:
        f = _filter(request.GET)
        qs = selectors.places(request.user, f, today)
    except DomainError as e:
        error, qs = e, selectors.visible_places(request.user).none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    kept = request.GET.copy()
    kept.pop("page", None)
    context = {
        "page": page,
        "rows": list(page.object_list),
        "today": today,
        "error": error,
        "query": kept.urlencode(),
        "chosen": {k: request.GET.get(k, "") for k in selectors.PlaceFilter.model_fields},
        "towns": _towns(top),
        "kinds": PlaceKind.choices,
        "grades": RiskGrade.objects.all(),
        "may_register": bool(selectors.managed_regions(request.user)),
        "pending": selectors.pending_rechecks(request.user).count(),
    }
    return render(request, "inspections/list.html", context, status=error.status if error else 200)


def _place_payload(post: QueryDict) -> dict[str, Any]:
    data: dict[str, Any] = {k: post.get(k, "").strip() for k in PLACE_FIELDS}
    for k in ("lat", "lng"):
        if not data[k]:
            data[k] = None
    return data


def _place_form(request, place=None, error=None, values=None):
    if place is None and not selectors.managed_regions(request.user):
        raise forbidden("您无权登记排查场所：由乡镇综治中心、应急管理部门和受理分派员登记。")
    if values is None and place is not None:
        values = {k: getattr(place, k) for k in PLACE_FIELDS if k not in ("region", "grade")}
        values |= {"region": place.region_id, "grade": place.grade_id}
    context = {
        "place": place,
        "values": values or {},
        "error": error,
        "villages": _villages(request.user),
        "kinds": PlaceKind.choices,
        "grades": RiskGrade.objects.all(),
    }
    return render(request, "inspections/place_form.html", context, status=error.status if error else 200)


@login_required
def place_new(request):
    if request.method == "POST":
        data = _place_payload(request.POST)
        try:
            place = actions.register_place(request.user, data)
        except DomainError as error:
            if error.status == 403:
                raise
            return _place_form(request, error=error, values=data)
        messages.success(
            request, f"已登记场所“{place.name}”，首次检查应在 {place.next_due_on:%Y-%m-%d} 前完成。"
        )
        return redirect("inspections:place", place.pk)
    return _place_form(request)


@login_required
def place_edit(request, place_id):
    place = selectors.find_place(request.user, place_id)
    if not selectors.may_manage(request.user, place.region_id):
        raise forbidden("您无权修改该场所：不在您负责排查的范围内。")
    if request.method == "POST":
        data = _place_payload(request.POST)
        try:
            actions.update_place(place, request.user, data)
        except DomainError as error:
            if error.status == 403:
                raise
            return _place_form(request, place, error=error, values=data)
        messages.success(request, "场所信息已保存。")
        return redirect("inspections:place", place.pk)
    return _place_form(request, place)


def _place_context(request, place, **more) -> dict[str, Any]:
    inspections = list(
        place.inspections.select_related("recorded_by")
        .prefetch_related("inspectors")
        .order_by("-inspected_on", "-pk")
    )
    rows = selectors.finding_rows(request.user, Finding.objects.filter(inspection__place=place))
    by_inspection: dict[int, list] = {}
    for row in rows:
        by_inspection.setdefault(row.finding.inspection_id, []).append(row)
    return {
        "place": place,
        "today": timezone.localdate(),
        "inspections": [(i, by_inspection.get(i.pk, [])) for i in inspections],
        "awaiting": [r for r in rows if r.state == "awaiting_recheck"],
        "may_manage": selectors.may_manage(request.user, place.region_id),
        "inspectors": selectors.inspectors_for(place.region_id),
        **more,
    }


@login_required
@require_GET
def place_page(request, place_id):
    place = selectors.find_place(request.user, place_id)
    return render(request, "inspections/place.html", _place_context(request, place))


# ---------------------------------------------------------------- inspections


def _inspection_payload(post: QueryDict, place, items) -> tuple[dict[str, Any], list[str]]:
    """The form as InspectionIn's payload, and for each finding the form field of its photos."""
    results, findings, photo_fields = [], [], []
    for item in items:
        result = post.get(f"result_{item.pk}", "")
        results.append({"item": item.pk, "result": result})
        description = post.get(f"finding_{item.pk}", "").strip()
        if result == ItemResult.Result.FAILED and description:
            findings.append({"item": item.pk, "description": description,
                             "severity": post.get(f"severity_{item.pk}") or "normal"})  # fmt: skip
            photo_fields.append(f"photos_{item.pk}")
    for n in range(1, EXTRA_FINDINGS + 1):
        description = post.get(f"extra_{n}", "").strip()
        if description:
            findings.append(
                {"description": description, "severity": post.get(f"extra_severity_{n}") or "normal"}
            )
            photo_fields.append(f"extra_photos_{n}")
    payload = {
        "place": place.pk,
        "inspected_on": post.get("inspected_on", ""),
        "inspectors": [u for u in post.getlist("inspectors") if u],
        "results": results,
        "findings": findings,
        "note": post.get("note", ""),
    }
    return payload, photo_fields


def _inspect_form(request, place, error=None):
    sent = request.POST if error else QueryDict()
    context = {
        "place": place,
        "rows": [
            {
                "item": item,
                "result": sent.get(f"result_{item.pk}", ""),
                "finding": sent.get(f"finding_{item.pk}", ""),
                "severity": sent.get(f"severity_{item.pk}", ""),
            }
            for item in actions.checklist(place)
        ],
        "extras": [
            {"n": n, "text": sent.get(f"extra_{n}", ""), "severity": sent.get(f"extra_severity_{n}", "")}
            for n in range(1, EXTRA_FINDINGS + 1)
        ],
        "results": ItemResult.Result.choices,
        "severities": Finding.Severity.choices,
        "inspectors": [u for u in selectors.inspectors_for(place.region_id) if u.pk != request.user.pk],
        "chosen_inspectors": sent.getlist("inspectors"),
        "inspected_on": sent.get("inspected_on") or timezone.localdate().isoformat(),
        "note": sent.get("note", ""),
        "error": error,
    }
    return render(request, "inspections/inspect.html", context, status=error.status if error else 200)


@login_required
def inspect(request, place_id):
    place = selectors.find_place(request.user, place_id)
    if not selectors.may_manage(request.user, place.region_id):
        raise forbidden("您无权记录该场所的检查：不在您负责排查的范围内。")
    if request.method != "POST":
        return _inspect_form(request, place)
    payload, photo_fields = _inspection_payload(request.POST, place, actions.checklist(place))
    try:
        photos = {
            n: [clean_upload(f.name or "", f.read()) for f in request.FILES.getlist(name)]
            for n, name in enumerate(photo_fields)
        }
        inspection = actions.record_inspection(request.user, payload, photos=photos)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        return _inspect_form(request, place, error)
    numbers = list(inspection.findings.values_list("case__number", flat=True))
    if numbers:
        messages.success(
            request, f"检查已记录，发现问题 {len(numbers)} 项，已登记隐患案件：{'、'.join(numbers)}。"
        )
    else:
        messages.success(request, "检查已记录，未发现问题。")
    return redirect("inspections:place", place.pk)


@login_required
@require_GET
def notice_docx(request, inspection_id):
    inspection = selectors.find_inspection(request.user, inspection_id)
    response = HttpResponse(notice.render(inspection), content_type=DOCX)
    filename = f"{inspection.place.name}-整改通知书-{inspection.inspected_on:%Y%m%d}.docx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def recheck(request, finding_id):
    finding = selectors.find_finding(request.user, finding_id)
    p = request.POST
    payload = {
        "rechecked_on": p.get("rechecked_on", ""),
        "passed": p.get("passed", ""),
        "note": p.get("note", ""),
        "inspectors": [u for u in p.getlist("inspectors") if u],
    }
    try:
        done = actions.record_recheck(request.user, finding.pk, payload)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        place = selectors.find_place(request.user, finding.inspection.place_id)
        context = _place_context(request, place, recheck_error=error, failed_finding=finding.pk, sent=p)
        return render(request, "inspections/place.html", context, status=error.status)
    messages.success(
        request, f"复查已记录：{'合格' if done.passed else '不合格'}，{done.get_effect_display()}。"
    )
    return redirect(
        reverse("inspections:place", args=[finding.inspection.place_id]) + f"#finding-{finding.pk}"
    )


@login_required
@require_GET
def rechecks(request):
    _reader(request)
    qs = selectors.pending_rechecks(request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inspections/rechecks.html", {"page": page, "rows": list(page.object_list)})


# ---------------------------------------------------------------- coverage


def coverage_context(request) -> dict[str, Any]:
    top = _reader(request)
    code = str(request.GET.get("region") or top)
    if not selectors.may_read(request.user, code) or not Region.objects.filter(code=code).exists():
        code = top
    error = None
    period = period_of("month", timezone.localdate())
    if request.GET.get("period"):
        try:
            period = parse_period(request.GET["period"])
        except DomainError as e:
            error = e
    rows, total = selectors.coverage_rows(code, period)
    return {
        "region": Region.objects.get(code=code),
        "period": period,
        "rows": rows,
        "total": total,
        "error": error,
        "towns": _towns(top),
        "top": Region.objects.get(code=top),
        "list_url": reverse("inspections:list"),
        "overdue_query": urlencode({"overdue": "true"}),
    }


@login_required
@require_GET
def coverage(request):
    context = coverage_context(request)
    return render(request, "inspections/coverage.html", context, status=400 if context["error"] else 200)
