"""The case page: everything about one case, and a small form for each action the user may take."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, invalid
from pingan.core.validation import record_id
from pingan.regions.models import Unit

from .. import actions, selectors
from ..clocks import LOCAL
from ..models import Case
from ..rules import suggest_lead_unit
from ..serializers import case_out, events_out
from ..similar import similar_to_case
from ..workflow import TRANSITIONS, agreement_of, may_reveal
from . import hints
from .display import running_clocks
from .forms import ACTION_FIELDS, DANGER, fields_for, payload_from
from .locator import town_locator
from .uploads import atomic_with_uploads

# Panels that apps above cases add to the case page from their AppConfig.ready() (pingan.supervision:
# the 督办 in force and its progress reports). Each returns its HTML, or "" when it has nothing to show.
CASE_PANELS: list[Callable[[HttpRequest, Case], str]] = []


@login_required
def case_page(request, number: str):
    return _render(request, number)


def _render(request, number: str, *, failed: str = "", error: DomainError | None = None, revealed=None):
    case = selectors.find_case(request.user, number)
    scope = scope_of(request.user)
    data = case_out(case, scope)
    allowed = data["allowed_actions"]
    forms = [
        {
            "name": name,
            "label": TRANSITIONS[name].label,
            "fields": fields_for(name, has_receipt=case.has_receipt),
            "danger": name in DANGER,
            "open": name == failed,
            "error": error if name == failed else None,
            "values": request.POST if name == failed else {},
        }
        for name in allowed
    ]
    context = {
        "case": data,
        "clocks": running_clocks(case),
        "locator": town_locator(case.region_id, case.lat, case.lng),
        "events": events_out(selectors.case_timeline(case)),
        "forms": forms,
        "leadership": case.leader_assignments.filter(ended_at__isnull=True)
        .select_related("leader")
        .prefetch_related("steps", "team_units")
        .first(),
        "panels": [html for panel in CASE_PANELS if (html := panel(request, case))],
        # Those who may link this case see the open cases like it, with a button to link or merge.
        "similar": similar_to_case(request.user, case) if "relate" in allowed else None,
        "may_merge": "merge" in allowed,
        "performance_late": _performance_late(case),
        "revealed": revealed or {},
        "reveal_reporter": may_reveal(scope, case, "reporter.phone"),
        "reveal_parties": may_reveal(scope, case, "parties.phone"),
    }
    if "dispatch" in allowed:
        suggested = suggest_lead_unit(case.category, case.region_id, timezone.now().astimezone(LOCAL).date())
        context["suggested_unit"] = suggested.code if suggested else ""
        context["hint_urls"] = hints.ready_urls()
    if {"dispatch", "exclude", "assign_leader"} & set(allowed):
        context["units"] = list(Unit.objects.filter(active=True).order_by("path").values_list("code", "name"))
    status = error.status if error else 200
    return render(request, "cases/detail.html", context, status=status)


def _performance_late(case) -> bool:
    a = agreement_of(case)
    return bool(a and not a.performance and a.performance_due and a.performance_due < timezone.localdate())


@login_required
@require_POST
def take_action(request, number: str, action: str):
    if action not in ACTION_FIELDS:
        raise Http404
    payload = payload_from(action, request.POST)
    try:
        with atomic_with_uploads(request.user) as uploads:
            if action == "resolve":
                chosen = _evidence_ids(request.POST.getlist("evidence"))
                files = request.FILES.getlist("evidence_files")
                payload["evidence"] = chosen + uploads.store(number, files, "evidence")
            actions.perform(request.user, number, action, payload)
    except DomainError as e:
        if e.status in (403, 404):
            raise  # not a form problem: the error page says so
        return _render(request, number, failed=action, error=e)
    messages.success(request, f"案件 {number} 已{TRANSITIONS[action].label}。")
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("cases:detail", number=number)


def _evidence_ids(values: list[str]) -> list[int]:
    """The attachments ticked on the resolve form: their ids, or 400 for a value that is not one."""
    ids = [record_id(v) for v in values]
    if None in ids:
        raise invalid({"evidence": "佐证材料编号无效"}, "所选佐证材料编号无效，请刷新页面后重新选择。")
    return [i for i in ids if i is not None]


@login_required
@require_POST
def reveal(request, number: str):
    field = request.POST.get("field", "")
    try:
        value = actions.reveal(
            request.user, number, {"field": field, "reason": request.POST.get("reason", "")}
        )
    except DomainError as e:
        if e.status == 404 or not request.headers.get("HX-Request"):
            raise
        return render(request, "cases/_reveal_error.html", {"error": e}, status=e.status)
    if request.headers.get("HX-Request"):
        return render(request, "cases/_revealed.html", {"value": value})
    return _render(request, number, revealed={field: value})


@login_required
def attachment(request, number: str, attachment_id: int):
    att = selectors.case_attachment(request.user, number, attachment_id)
    inline = request.GET.get("inline") == "1" and att.content_type.startswith("image/")
    response = FileResponse(
        att.file.open("rb"),
        content_type=att.content_type,
        as_attachment=not inline,
        filename=att.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
