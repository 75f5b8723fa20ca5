"""The 调度通报 pages: the list with a form to generate one, each report on screen with its commentary,
regeneration, publication and the two files."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, forbidden, not_found
from pingan.core.periods import period_of
from pingan.core.spreadsheet import XLSX
from pingan.core.validation import MAX_RECORD_ID
from pingan.regions.models import Region

from . import actions, selectors
from .content import PERIOD_KINDS
from .models import Report

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# A draft not built after this long (at 1M cases a monthly report takes seconds) means no worker is
# taking jobs: the page says whom to ask.
STALLED = timedelta(minutes=10)


def _reader(request) -> None:
    if not scope_of(request.user).has_role(*actions.READERS):
        raise forbidden("调度通报仅限领导和督导人员查看。")


def last_periods() -> dict[str, str]:
    """The period each kind is usually made for today: last week, last month, last quarter."""
    today = timezone.localdate()
    return {kind: period_of(p, today).previous().key for kind, p in PERIOD_KINDS.items()}


def _regions(user):
    codes = scope_of(user).regions_for(*actions.WRITERS)
    top = min(codes, key=len) if codes else None
    if top is None:
        return Region.objects.none()
    return Region.objects.filter(level__in=("county", "town"), code__startswith=top).order_by("code")


@login_required
@require_GET
def report_list(request):
    _reader(request)
    reports = selectors.visible_reports(request.user)
    kind = request.GET.get("kind", "")
    if kind in Report.Kind.values:
        reports = reports.filter(kind=kind)
    return render(request, "reports/list.html", {
        "reports": reports[:200], "kind": kind, "kinds": Report.Kind.choices, "defaults": last_periods(),
        "regions": _regions(request.user), "may_write": scope_of(request.user).has_role(*actions.WRITERS),
    })  # fmt: skip


@login_required
@require_POST
def report_generate(request):
    _reader(request)
    p = request.POST
    try:
        report = actions.request_generation(
            p.get("kind", ""), p.get("period", ""), p.get("region", ""), by=request.user
        )
    except DomainError as error:
        if error.status in (403, 404):
            raise
        reports = selectors.visible_reports(request.user)[:200]
        return render(request, "reports/list.html", {
            "reports": reports, "kinds": Report.Kind.choices, "defaults": last_periods(), "error": error,
            "regions": _regions(request.user), "may_write": True, "sent": p,
        }, status=error.status)  # fmt: skip
    return redirect("reports:detail", report.pk)


ACTIONS = ("regenerate", "publish", "commentary")


def _find(request, report_id: int) -> Report:
    _reader(request)
    if report_id > MAX_RECORD_ID:  # beyond any database id: asked for, it would overflow the query
        raise not_found()
    return selectors.find_report(request.user, report_id)


def _state(report: Report, now) -> dict:
    stalled = report.generating and now - report.queued_at > STALLED
    return {"report": report, "stalled": stalled}


@login_required
@require_GET
def report_detail(request, report_id):
    report = _find(request, report_id)
    may_write = scope_of(request.user).has_role(*actions.WRITERS) and not report.published
    context = {"doc": report.document, "may_write": may_write, **_state(report, timezone.now())}
    return render(request, "reports/detail.html", context)


@login_required
@require_GET
def report_state(request, report_id):
    """What the detail page polls while the worker builds the draft; once it is built, the whole page
    reloads to show it."""
    report = _find(request, report_id)
    response = render(request, "reports/_state.html", _state(report, timezone.now()))
    if not report.generating:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def report_action(request, report_id, action):
    report = _find(request, report_id)
    if action not in ACTIONS:
        raise not_found()
    if action == "regenerate":
        report = actions.request_generation(report.kind, report.period, report.region_id, by=request.user)
    elif action == "publish":
        actions.publish(report, by=request.user)
    elif action == "commentary":
        actions.set_commentary(report, request.POST.get("commentary", ""), by=request.user)
    return redirect("reports:detail", report.pk)


@login_required
@require_GET
def report_file(request, report_id, ext):
    report = _find(request, report_id)
    name = f"{report.document.get('title', '调度通报')}-{report.period}.{ext}"
    content_type = DOCX if ext == "docx" else XLSX
    opened = actions.file_of(report, ext)
    return FileResponse(opened, as_attachment=True, filename=name, content_type=content_type)
