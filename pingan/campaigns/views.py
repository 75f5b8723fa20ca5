"""专项整治 pages: the list, the create form, and a campaign's page — 挂图作战 (the timeline of phases and
tasks per unit beside the towns coloured by 清零率), indicators, tasks with their forms, the 问题清单 and
the 回头看 rounds. Every write goes through pingan.campaigns.actions; errors render on the page."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, forbidden, invalid, not_found
from pingan.regions.models import Region, Unit

from . import access, actions, selectors
from .models import DEFAULT_PHASES, Direction, Evidence, ReviewItem, Supervision, Task

FORM_INDICATORS = 3  # empty indicator rows on the create form
MAX_UPLOADS = actions.MAX_FILES


@login_required
@require_GET
def campaign_list(request):
    scope = scope_of(request.user)
    return render(
        request,
        "campaigns/list.html",
        {
            "rows": selectors.campaign_rows(request.user),
            "may_create": bool(scope.regions_for(*access.ORGANISERS)),
        },
    )


# ---------------------------------------------------------------- the create form


def _form_choices(user) -> dict[str, Any]:
    tops = scope_of(user).regions_for(*access.ORGANISERS)
    if not tops:
        raise forbidden("专项整治由督导人员或综治中心受理分派员组织。")
    regions: list[Region] = []
    units: list[Unit] = []
    for top in tops:
        regions += Region.objects.filter(code__startswith=top, level__in=("county", "town")).order_by("code")
        units += Unit.objects.filter(region__code__startswith=top, active=True).order_by("path")
    return {"regions": regions, "units": units}


def _default_phases() -> list[dict]:
    today = timezone.localdate()
    days = actions.DEFAULT_PHASE_DAYS
    return [
        {
            "name": n,
            "starts_on": today + timedelta(days=i * days),
            "ends_on": today + timedelta(days=(i + 1) * days - 1),
        }
        for i, n in enumerate(DEFAULT_PHASES)
    ]


def _figure(text: str, field: str) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise invalid({field: "应为数字"}) from None


def _campaign_payload(post) -> dict:
    phases = []
    for name, start, end in zip(
        post.getlist("phase_name"), post.getlist("phase_start"), post.getlist("phase_end"), strict=False
    ):
        if name.strip() or start or end:
            phases.append({"name": name, "starts_on": start, "ends_on": end})
    indicators = []
    rows = zip(
        *(post.getlist(f"ind_{k}") for k in ("name", "unit", "baseline", "target", "direction", "source")),
        strict=False,
    )
    for i, (name, unit, baseline, target, direction, source) in enumerate(rows):
        if name.strip():
            indicators.append({
                "name": name, "unit": unit, "baseline": _figure(baseline, f"indicators.{i}.baseline"),
                "target": _figure(target, f"indicators.{i}.target"), "direction": direction or "up",
                "source": source or None,
            })  # fmt: skip
    share = _figure(post.get("review_share", ""), "review_share")
    payload = {
        "name": post.get("name", ""), "scope_regions": post.getlist("scope_regions"),
        "lead_unit": post.get("lead_unit", ""), "units": post.getlist("units"),
        "phases": phases, "indicators": indicators,
    }  # fmt: skip
    if share is not None:
        payload["review_share"] = share / 100
    return payload


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request):
    context = {
        **_form_choices(request.user),
        "phases": _default_phases(),
        "indicator_rows": range(FORM_INDICATORS),
        "directions": Direction.choices,
    }
    if request.method == "POST":
        try:
            campaign = actions.create_campaign(request.user, _campaign_payload(request.POST))
        except DomainError as error:
            if error.status in (403, 404):
                raise
            context.update(error=error, sent=request.POST, chosen=set(request.POST.getlist("scope_regions")),
                           chosen_units=set(request.POST.getlist("units")))  # fmt: skip
            return render(request, "campaigns/new.html", context, status=error.status)
        return redirect("campaigns:detail", campaign.pk)
    return render(request, "campaigns/new.html", context)


# ---------------------------------------------------------------- one campaign


def _number(value, src) -> str:
    if value is None:
        return "—"
    if src.is_rate:
        return f"{float(value) * 100:.1f}%"
    d = Decimal(str(value))
    return f"{d:,.0f}" if d == d.to_integral_value() else f"{d:,.2f}"


def _plain(value) -> str:
    if value is None:
        return "—"
    return f"{value.normalize():f}"


def _percent(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _context(request, campaign, **more) -> dict[str, Any]:
    d = selectors.detail(request.user, campaign)
    scope = scope_of(request.user)
    for row in d.indicators:
        row["current_text"] = _number(row["current"], row["source"])
        row["baseline_text"] = _plain(row["indicator"].baseline)
        row["target_text"] = _plain(row["indicator"].target)
    for t in d.tasks:
        t.allowed = actions.allowed_task_actions(scope, t)
    for town in d.towns:
        town.rate_text = _percent(town.rate)  # type: ignore[attr-defined]
    reopen_holder = access.may_reinspect(scope)
    return {
        "d": d,
        "c": campaign,
        "total_rate": _percent(d.total.rate),
        "rebound_rate": _percent(d.rebound.rate),
        "chart": {"timeline": selectors.timeline(d), "map": selectors.town_map(campaign, d.towns)},
        "late_count": sum(1 for t in d.tasks if t.late),
        "reinspector": reopen_holder,
        "levels": [c for c in Supervision.choices if c[0]],
        "regions_for_findings": _finding_regions(campaign) if d.may_run else [],
        "units": Unit.objects.filter(active=True).order_by("path") if d.may_run else [],
        "review_share_percent": f"{campaign.review_share * 100:.0f}",
        **more,
    }


def _finding_regions(campaign) -> list[Region]:
    found: list[Region] = []
    for r in campaign.scope_regions.all():
        found += Region.objects.filter(code__startswith=r.code, level__in=("town", "village")).order_by(
            "code"
        )
    return found


@login_required
@require_GET
def campaign_detail(request, campaign_id: int):
    campaign = selectors.find_campaign(request.user, campaign_id)
    return render(request, "campaigns/detail.html", _context(request, campaign))


def _uploads(request) -> list[tuple[str, bytes]]:
    files = request.FILES.getlist("files")
    if len(files) > MAX_UPLOADS:
        raise invalid({"files": f"一次最多上传 {MAX_UPLOADS} 个文件。"})
    return [(f.name or "", f.read()) for f in files]


def _write(request, campaign, form: str, write):
    """Run a write; on a refusal the page again with the error beside its form."""
    try:
        write()
    except DomainError as error:
        if error.status == 404:
            raise
        context = _context(request, campaign, error=error, failed=form, sent=request.POST)
        return render(request, "campaigns/detail.html", context, status=error.status)
    return redirect(f"{campaign_url(campaign)}#{form.split(':')[0]}")


def campaign_url(campaign) -> str:
    return reverse("campaigns:detail", args=[campaign.pk])


@login_required
@require_POST
def task_new(request, campaign_id: int):
    campaign = selectors.find_campaign(request.user, campaign_id)
    p = request.POST
    payload = {
        "title": p.get("title", ""), "unit": p.get("unit", ""), "official": p.get("official") or None,
        "due": p.get("due", ""), "report_every_days": p.get("report_every_days") or None,
        "evidence_required": p.get("evidence_required") == "on",
    }  # fmt: skip
    return _write(
        request, campaign, "tasks", lambda: actions.add_task(campaign, by=request.user, payload=payload)
    )


TASK_FORMS = ("report_progress", "complete", "accept", "reject", "supervise")


@login_required
@require_POST
def task_action(request, campaign_id: int, task_id: int, task_action: str):
    campaign = selectors.find_campaign(request.user, campaign_id)
    task = selectors.find_task(campaign, task_id)
    if task_action not in TASK_FORMS:
        raise not_found("没有这个任务操作。")
    p, by = request.POST, request.user

    def write() -> Task:
        if task_action == "report_progress":
            return actions.report_progress(task, by=by, note=p.get("note", ""), files=_uploads(request))
        if task_action == "complete":
            return actions.complete_task(task, by=by, note=p.get("note", ""), files=_uploads(request))
        if task_action == "accept":
            return actions.accept_task(task, by=by, note=p.get("note", ""))
        if task_action == "reject":
            return actions.reject_task(task, by=by, reason=p.get("reason", ""))
        return actions.supervise_task(
            task, by=by, level=p.get("level", ""), requirement=p.get("requirement", "")
        )

    return _write(request, campaign, f"tasks:{task.pk}:{task_action}", write)


@login_required
@require_POST
def finding_new(request, campaign_id: int):
    campaign = selectors.find_campaign(request.user, campaign_id)
    p = request.POST
    payload = {
        "title": p.get("title", ""), "description": p.get("description", ""), "region": p.get("region", ""),
        "severity": "major" if p.get("major") == "on" else "normal",
    }  # fmt: skip
    return _write(
        request, campaign, "findings", lambda: actions.add_finding(campaign, by=request.user, payload=payload)
    )


@login_required
@require_POST
def review_new(request, campaign_id: int):
    campaign = selectors.find_campaign(request.user, campaign_id)

    def write():
        share = _figure(request.POST.get("share", ""), "share")
        return actions.draw_review(
            campaign, by=request.user, share=share / 100 if share is not None else None
        )

    return _write(request, campaign, "reviews", write)


@login_required
@require_POST
def reinspect(request, campaign_id: int, round_id: int, item_id: int):
    campaign = selectors.find_campaign(request.user, campaign_id)
    item = selectors.find_item(request.user, campaign, round_id, item_id)
    result = request.POST.get("result", "")
    note = request.POST.get("note", "")
    return _write(
        request,
        campaign,
        f"reviews:{item.pk}",
        lambda: actions.reinspect(
            item, by=request.user, result=result or ReviewItem.Result.PENDING, note=note
        ),
    )


@login_required
@require_GET
def evidence(request, campaign_id: int, evidence_id: int):
    """A task's evidence file, for whoever reads the campaign."""
    campaign = selectors.find_campaign(request.user, campaign_id)
    e = Evidence.objects.filter(pk=evidence_id, report__task__campaign=campaign).first()
    if e is None:
        raise not_found()
    response = FileResponse(
        e.file.open("rb"), content_type=e.content_type, as_attachment=True, filename=e.name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
