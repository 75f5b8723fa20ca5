"""The 平安创建 pages: an overview with the 达标率 of the year, the programmes and their checklists, the
register of organisations, the applications with their self-assessment and steps, the 公示 list and
the 三零 monthly table of a town."""

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, forbidden, not_found
from pingan.core.periods import parse_period, period_of
from pingan.regions.models import Region

from . import access, actions, sanling, selectors
from .models import OrganisationKind, Status
from .workflow import TRANSITIONS

PAGE_SIZE = 50


def _top(request) -> Region:
    code = access.top_region(scope_of(request.user))
    if code is None:
        raise forbidden("平安创建仅限领导、督导、受理分派员和乡镇（街道）工作人员查看。")
    return Region.objects.get(code=code)


def _year(request) -> tuple[int, DomainError | None]:
    raw = request.GET.get("year") or request.POST.get("year")
    if not raw:
        return timezone.localdate().year, None
    try:
        return selectors.check_year(raw), None
    except DomainError as error:
        return timezone.localdate().year, error


def _region_choices(top: Region) -> list[Region]:
    return [
        top,
        *Region.objects.filter(code__startswith=top.code, level="town")
        .exclude(code=top.code)
        .order_by("code"),
    ]


@login_required
@require_GET
def overview(request):
    top = _top(request)
    year, year_error = _year(request)
    code = request.GET.get("region") or top.code
    region = top
    if code != top.code:
        chosen = Region.objects.filter(code=code, level__in=("county", "town")).first()
        if chosen is not None and access.may_read(scope_of(request.user), chosen.code):
            region = chosen
    rate_rows, total = ([], None) if region.level not in ("county", "town") else selectors.rates(region, year)
    context = {
        "top": top, "region": region, "regions": _region_choices(top), "year": year, "year_error": year_error,
        "rows": rate_rows, "total": total, "programmes": list(selectors.programmes()),
        "counts": _status_counts(request.user, year),
    }  # fmt: skip
    return render(request, "creation/overview.html", context)


def _status_counts(user, year: int) -> list[tuple[str, str, int]]:
    found: dict[str, int] = {}
    for status in selectors.applications(user, year=year).values_list("status", flat=True):
        found[status] = found.get(status, 0) + 1
    return [(value, label, found.get(value, 0)) for value, label in Status.choices]


@login_required
@require_GET
def programme_detail(request, programme_id):
    _top(request)
    programme = selectors.programmes(active_only=False).filter(pk=programme_id).first()
    if programme is None:
        raise not_found()
    return render(
        request,
        "creation/programme.html",
        {"programme": programme, "total_points": selectors.total_points(programme)},
    )


# ---------------------------------------------------------------- the register


def _villages(codes) -> list[Region]:
    out: list[Region] = []
    for code in codes:
        out += list(
            Region.objects.filter(code__startswith=code, level="village")
            .select_related("parent")
            .order_by("code")
        )
    return out


def _register_context(request, **more) -> dict[str, Any]:
    top = _top(request)
    chosen = {k: request.GET.get(k, "").strip()[:32] for k in ("region", "kind", "q")}
    rows = selectors.organisations(request.user, **chosen)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    keeps = access.register_regions(scope_of(request.user))
    return {
        "top": top, "regions": _region_choices(top), "page": page, "total": page.paginator.count,
        "chosen": chosen, "kinds": OrganisationKind.choices, "villages": _villages(keeps) if keeps else [],
        "query": urlencode({k: v for k, v in chosen.items() if v}), **more,
    }  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def organisation_list(request):
    if request.method == "GET":
        return render(request, "creation/organisations.html", _register_context(request))
    p = request.POST
    try:
        org = actions.register_organisation(
            by=request.user, name=p.get("name", ""), kind=p.get("kind", ""), region=p.get("region", ""),
            address=p.get("address", ""),
        )  # fmt: skip
    except DomainError as error:
        if error.status in (403, 404):
            raise
        context = _register_context(request, error=error, sent=p)
        return render(request, "creation/organisations.html", context, status=error.status)
    return redirect(f"{reverse('creation:organisations')}?{urlencode({'region': org.region_id})}")


@login_required
@require_http_methods(["GET", "POST"])
def organisation_detail(request, organisation_id):
    org = selectors.find_organisation(request.user, organisation_id)
    scope = scope_of(request.user)
    context: dict[str, Any] = {
        "org": org, "kinds": OrganisationKind.choices,
        "may_keep": access.may_keep_register(scope, org.region_id),
        "villages": _villages(access.register_regions(scope)),
        "applications": list(
            org.applications.select_related("programme").order_by("-year", "programme__order")
        ),
    }  # fmt: skip
    if request.method == "POST":
        p = request.POST
        try:
            actions.change_organisation(
                org, by=request.user, name=p.get("name", ""), kind=p.get("kind", ""),
                region=p.get("region", ""),
                address=p.get("address", ""), active=p.get("active") == "on",
            )  # fmt: skip
        except DomainError as error:
            if error.status in (403, 404):
                raise
            return render(
                request, "creation/organisation.html", {**context, "error": error}, status=error.status
            )
        return redirect("creation:organisation", org.pk)
    return render(request, "creation/organisation.html", context)


# ---------------------------------------------------------------- applications


def _applications_context(request, **more) -> dict[str, Any]:
    top = _top(request)
    year, year_error = _year(request)
    chosen = {k: request.GET.get(k, "").strip()[:32] for k in ("programme", "region", "status")}
    rows = selectors.applications(request.user, year=year, **chosen)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    scope = scope_of(request.user)
    places = [p for p in access.unit_places(scope)]
    return {
        "top": top, "regions": _region_choices(top), "year": year, "year_error": year_error, "page": page,
        "total": page.paginator.count, "chosen": chosen, "statuses": Status.choices,
        "programmes": list(selectors.programmes()), "may_file": bool(places),
        "file_villages": _villages(places) if places else [],
        "file_organisations": (
            list(selectors.organisations(request.user).filter(active=True)) if places else []
        ),
        "query": urlencode({"year": year, **{k: v for k, v in chosen.items() if v}}), **more,
    }  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def application_list(request):
    if request.method == "GET":
        return render(request, "creation/applications.html", _applications_context(request))
    p = request.POST
    try:
        app = actions.start_application(
            by=request.user, programme_code=p.get("programme", ""), year=p.get("year", ""),
            village=p.get("village", ""), organisation=p.get("organisation", "") or None,
        )  # fmt: skip
    except DomainError as error:
        if error.status in (403, 404):
            raise
        context = _applications_context(request, error=error, sent=p)
        return render(request, "creation/applications.html", context, status=error.status)
    return redirect("creation:application", app.pk)


def _application_context(request, app, **more) -> dict[str, Any]:
    scope = scope_of(request.user)
    scores = selectors.scores_of(app)
    items = [(item, scores.get(item.pk)) for item in app.programme.items.order_by("order", "id")]
    steps = []
    for step, (starts, _, label) in TRANSITIONS.items():
        if step == "revoke" or app.status not in starts:
            continue
        if step == "award" and (app.notice_ends is None or timezone.localdate() <= app.notice_ends):
            continue  # offered once the notice period is over
        allowed = {
            "submit": access.may_file, "return": access.may_review, "review": access.may_review,
            "recognise": access.may_decide, "reject": access.may_decide, "award": access.may_decide,
        }[step](scope, app.region_id)  # fmt: skip
        if allowed:
            steps.append((step, label))
    return {
        "app": app, "items": items, "evidence": selectors.evidence_of(app), "steps": steps,
        "may_edit": app.status == Status.DRAFT and access.may_file(scope, app.region_id), **more,
    }  # fmt: skip


@login_required
@require_GET
def application_detail(request, application_id):
    app = selectors.find_application(request.user, application_id)
    return render(request, "creation/application.html", _application_context(request, app))


def _failed(request, app, error: DomainError):
    if error.status in (403, 404):
        raise error
    app = selectors.find_application(request.user, app.pk)
    context = _application_context(request, app, error=error, sent=request.POST)
    return render(request, "creation/application.html", context, status=error.status)


@login_required
@require_POST
def application_scores(request, application_id):
    app = selectors.find_application(request.user, application_id)
    scores = {k.removeprefix("item_"): v for k, v in request.POST.items() if k.startswith("item_")}
    try:
        actions.save_scores(app, by=request.user, scores=scores)
    except DomainError as error:
        return _failed(request, app, error)
    return redirect("creation:application", app.pk)


@login_required
@require_POST
def application_evidence(request, application_id):
    app = selectors.find_application(request.user, application_id)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise DomainError(
                "invalid", "请选择要上传的佐证材料（PDF 或图片）。", fields={"file": "请选择文件"}
            )
        actions.add_evidence(
            app,
            by=request.user,
            name=upload.name or "",
            content=upload.read(),
            item_id=request.POST.get("item"),
        )
    except DomainError as error:
        return _failed(request, app, error)
    return redirect("creation:application", app.pk)


@login_required
@require_GET
def evidence_file(request, application_id, evidence_id):
    app = selectors.find_application(request.user, application_id)
    evidence = app.evidence.filter(pk=evidence_id).first()
    if evidence is None:
        raise not_found()
    response = FileResponse(
        evidence.file.open("rb"),
        content_type=evidence.content_type,
        as_attachment=True,
        filename=evidence.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def application_step(request, application_id, step):
    app = selectors.find_application(request.user, application_id)
    try:
        actions.take_step(app, step, by=request.user, note=request.POST.get("note", ""))
    except DomainError as error:
        return _failed(request, app, error)
    return redirect("creation:application", app.pk)


# ---------------------------------------------------------------- 公示 and 三零


@login_required
@require_GET
def notice_list(request):
    _top(request)
    rows = list(selectors.on_notice(request.user))
    return render(request, "creation/notice.html", {"rows": rows, "today": timezone.localdate()})


@login_required
@require_GET
def sanling_page(request):
    top = _top(request)
    towns = [r for r in _region_choices(top) if r.level == "town"]
    if not towns:
        raise forbidden("三零创建月报按乡镇（街道）查看。")
    town = next((t for t in towns if t.code == request.GET.get("town")), towns[0])
    month = period_of("month", timezone.localdate().replace(day=1)).previous()
    period_error = None
    if request.GET.get("period"):
        try:
            month = parse_period(request.GET["period"])
            if month.kind != "month":
                raise DomainError("invalid_period", "三零创建按月查看，月份请写成 2026-10 这样的格式。")
        except DomainError as error:
            month, period_error = period_of("month", timezone.localdate().replace(day=1)).previous(), error
    table = sanling.monthly(town, month)
    context = {"towns": towns, "town": town, "period": month, "period_error": period_error, "table": table}
    return render(request, "creation/sanling.html", context)
