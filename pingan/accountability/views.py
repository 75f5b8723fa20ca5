"""The 问责台账 pages: the list with its filters and the form to enter an entry by hand; each entry with
the forms that confirm, dismiss, lift it, file its record and link its rectification cases."""

import re
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from pingan.accounts.scope import scope_of
from pingan.cases.models import Case
from pingan.core.errors import DomainError, forbidden, invalid, not_found
from pingan.regions.models import Region, Unit, subtree_q
from pingan.regions.subjects import region_or_unit

from . import actions, selectors
from .access import READERS, WRITERS
from .models import Entry, Level

PAGE_SIZE = 30
FILTERS = ("status", "level", "region", "unit")


def _reader(request) -> None:
    if not scope_of(request.user).has_role(*READERS):
        raise forbidden("问责台账仅限领导和督导人员查看。")


def _subjects(user) -> dict:
    """What a supervisor may enter an entry against: the regions down to towns and the units there."""
    codes = scope_of(user).regions_for(*WRITERS)
    if not codes:
        return {"regions": [], "units": []}
    where = Q(code__in=[])
    for code in codes:
        where |= Q(code__startswith=code)
    regions = Region.objects.filter(where, level__in=("county", "town")).order_by("code")
    unit_where = Q(pk__in=[])
    for code in codes:
        unit_where |= subtree_q("region", code)
    units = Unit.objects.filter(unit_where, active=True).order_by("code")
    return {"regions": list(regions), "units": list(units)}


def _list_context(request, **more) -> dict:
    chosen = {k: request.GET.get(k, "").strip()[:32] for k in FILTERS}
    try:
        rows = selectors.visible_entries(request.user, **chosen)
    except DomainError as error:
        rows, more["filter_error"] = selectors.visible_entries(request.user), error
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in chosen.items() if v})
    may_keep = scope_of(request.user).has_role(*WRITERS)
    return {
        "page": page, "total": page.paginator.count, "chosen": chosen, "query": query,
        "statuses": Entry.Status.choices, "levels": Level.choices, "may_keep": may_keep,
        **(_subjects(request.user) if may_keep else {}), **more,
    }  # fmt: skip


@login_required
@require_GET
def entry_list(request):
    _reader(request)
    return render(request, "accountability/list.html", _list_context(request))


def _form_subject(value: str):
    kind, _, code = value.partition(":")
    if kind not in ("region", "unit") or not code:
        raise invalid({"subject": "请选择问责对象（区划或单位）。"})
    return region_or_unit(code if kind == "region" else "", code if kind == "unit" else "")


@login_required
@require_POST
def entry_new(request):
    _reader(request)
    p = request.POST
    try:
        region, unit = _form_subject(p.get("subject", ""))
        terms = {k: p.get(k, "") for k in ("level", "trigger", "requirement", "deadline", "attendees")}
        entry = actions.enter(by=request.user, region=region, unit=unit, on=p.get("date", ""), **terms)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        context = _list_context(request, entry_error=error, sent=p)
        return render(request, "accountability/list.html", context, status=error.status)
    return redirect("accountability:detail", entry.pk)


def _detail_context(request, entry: Entry, **more) -> dict:
    scope = scope_of(request.user)
    cases = Case.objects.visible_in(scope).filter(accountability_entries=entry).order_by("number")
    return {
        "entry": entry, "cases": cases.only("number", "title", "status"),
        "may_keep": actions.may_keep(scope, entry.subject_region), **more,
    }  # fmt: skip


@login_required
@require_GET
def entry_detail(request, entry_id):
    # No role check first: an entry outside the user's ledger answers 404 whatever his roles.
    entry = selectors.find_entry(request.user, entry_id)
    return render(request, "accountability/detail.html", _detail_context(request, entry))


def _numbers(text: str) -> list[str]:
    return [n for n in re.split(r"[\s,，、;；]+", text) if n]


def _do(request, entry: Entry, action: str) -> None:
    p, by = request.POST, request.user
    if action == "confirm":
        actions.confirm(entry, by=by, requirement=p.get("requirement", ""), deadline=p.get("deadline", ""),
                        attendees=p.get("attendees", ""))  # fmt: skip
    elif action == "dismiss":
        actions.dismiss(entry, by=by, reason=p.get("reason", ""))
    elif action == "lift":
        actions.lift(entry, by=by, note=p.get("note", ""))
    elif action == "upload":
        actions.check_keeper(by, entry)
        upload = request.FILES.get("file")
        if upload is None:
            raise invalid({"file": "请选择约谈记录或通报文件（PDF 或图片）。"})
        actions.attach_record(entry, by=by, name=upload.name or "", content=upload.read())
    elif action == "link":
        actions.link_cases(entry, _numbers(p.get("cases", "")), by=by)
    elif action == "unlink":
        actions.unlink_case(entry, p.get("number", ""), by=by)


@login_required
@require_POST
def entry_action(request, entry_id, action):
    entry = selectors.find_entry(request.user, entry_id)
    try:
        _do(request, entry, action)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        entry = selectors.find_entry(request.user, entry_id)
        context = _detail_context(request, entry, error=error, failed=action, sent=request.POST)
        return render(request, "accountability/detail.html", context, status=error.status)
    return redirect("accountability:detail", entry.pk)


@login_required
@require_GET
def entry_record(request, entry_id):
    entry = selectors.find_entry(request.user, entry_id)
    if not entry.record_file:
        raise not_found("该记录尚未上传记录文件。")
    response = FileResponse(
        entry.record_file.open("rb"), content_type=entry.record_type, as_attachment=True,
        filename=entry.record_name or "记录文件",
    )  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
