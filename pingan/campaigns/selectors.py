"""Reading campaigns for the pages and the API: one door (`visible_campaigns`) for what a user may read,
the tasks with `late`, the indicators with their live values, 清零率 by town and the 回头看 rounds with
反弹. Findings are cases: counts and lists include only the cases the reader may see (GOVERNANCE §1)."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from pingan.accounts.scope import scope_of
from pingan.cases.models import Case, Status
from pingan.core.errors import not_found
from pingan.regions.models import Region, RegionOutline

from . import access, indicators
from .models import Campaign, Finding, Indicator, ReviewItem, ReviewRound, Task, TaskReport

T = Task.State
OWING = (T.OPEN, T.REJECTED)  # the unit still works on it: it owes completion and progress reports
FINISHED = (Status.CLOSED, Status.ARCHIVED)
MAX_FINDINGS_SHOWN = 100


def late_q(today: date) -> Q:
    """Past its due and not completed, or a progress report overdue."""
    return Q(state__in=OWING) & (Q(due__lt=today) | Q(next_report_due__lt=today))


def is_late(task: Task, today: date) -> bool:
    return task.state in OWING and (
        task.due < today or (task.next_report_due is not None and task.next_report_due < today)
    )


def late_reason(task: Task, today: date) -> str:
    if task.state not in OWING:
        return ""
    if task.due < today:
        return f"逾期 {(today - task.due).days} 天未完成"
    if task.next_report_due is not None and task.next_report_due < today:
        return f"进展报告逾期 {(today - task.next_report_due).days} 天"
    return ""


def visible_campaigns(user) -> QuerySet[Campaign]:
    q = access.readable_q(scope_of(user))
    if q is None:
        return Campaign.objects.none()
    return Campaign.objects.filter(pk__in=Campaign.objects.filter(q).values("pk"))


def find_campaign(user, campaign_id: int) -> Campaign:
    """The campaign if the user may read it, else 404, with what every page of it needs."""
    campaign = (
        visible_campaigns(user)
        .select_related("lead_unit", "created_by")
        .prefetch_related("scope_regions", "units")
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None:
        raise not_found()
    return campaign


def find_task(campaign: Campaign, task_id: int) -> Task:
    task = Task.objects.select_related("unit", "official").filter(campaign=campaign, pk=task_id).first()
    if task is None:
        raise not_found()
    task.campaign = campaign
    return task


def find_item(user, campaign: Campaign, round_id: int, item_id: int) -> ReviewItem:
    item = (
        ReviewItem.objects.select_related("finding", "round")
        .filter(round__campaign=campaign, round_id=round_id, pk=item_id)
        .first()
    )
    if item is None or not Case.objects.visible_to(user).filter(pk=item.finding.case_id).exists():
        raise not_found()
    return item


def phase_now(phases, today: date):
    for p in phases:
        if p.starts_on <= today <= p.ends_on:
            return p
    return None


def campaign_rows(user, today: date | None = None) -> list[Any]:
    """The list: each campaign with its counts of tasks, late tasks and its phase today."""
    today = today or timezone.localdate()
    rows: list[Any] = list(
        visible_campaigns(user)
        .select_related("lead_unit")
        .prefetch_related("scope_regions", "phases")
        .annotate(
            task_count=Count("tasks", distinct=True),
            late_count=Count(
                "tasks",
                filter=Q(tasks__state__in=OWING)
                & (Q(tasks__due__lt=today) | Q(tasks__next_report_due__lt=today)),
                distinct=True,
            ),
        )
        .order_by("-starts_on", "-id")
    )
    for c in rows:
        c.phase_now = phase_now(c.phases.all(), today)
    return rows


# ---------------------------------------------------------------- one campaign


@dataclass
class Clearance:
    """清零率 = closed ÷ listed, of the findings the reader sees."""

    code: str
    name: str
    listed: int = 0
    closed: int = 0

    @property
    def rate(self) -> float | None:
        return round(self.closed / self.listed, 4) if self.listed else None


@dataclass
class Rebound:
    drawn: int = 0
    inspected: int = 0
    failed: int = 0

    @property
    def rate(self) -> float | None:
        """反弹率 = failed ÷ re-inspected."""
        return round(self.failed / self.inspected, 4) if self.inspected else None


@dataclass
class Detail:
    campaign: Campaign
    today: date
    phases: list
    phase_now: Any
    indicators: list[dict]
    tasks: list[Any]
    towns: list[Clearance]
    total: Clearance
    findings: list[Finding]
    rounds: list[ReviewRound]
    rebound: Rebound
    may_run: bool = False
    may_supervise: bool = False
    reportable: set[int] = field(default_factory=set)


def seen_cases(user, campaign: Campaign) -> list[int]:
    """The ids of the campaign's finding cases the user may see: the case policy asked once about the
    campaign's few cases (by id), rather than joined against every case it could see."""
    ids = list(Finding.objects.filter(campaign=campaign).values_list("case_id", flat=True))
    return list(Case.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else []


def visible_findings(user, campaign: Campaign, seen: list[int] | None = None) -> QuerySet[Finding]:
    seen = seen_cases(user, campaign) if seen is None else seen
    return Finding.objects.filter(campaign=campaign, case_id__in=seen)


def clearance(user, campaign: Campaign, seen: list[int] | None = None) -> tuple[list[Clearance], Clearance]:
    """清零率 per town and overall, in one query."""
    rows = (
        visible_findings(user, campaign, seen)
        .values("town_id", "town__name")
        .annotate(listed=Count("pk"), closed=Count("pk", filter=Q(case__status__in=FINISHED)))
        .order_by("town_id")
    )
    towns = [Clearance(r["town_id"], r["town__name"], r["listed"], r["closed"]) for r in rows]
    total = Clearance("", "合计", sum(t.listed for t in towns), sum(t.closed for t in towns))
    return towns, total


def rebound(user, campaign: Campaign, seen: list[int] | None = None) -> Rebound:
    seen = seen_cases(user, campaign) if seen is None else seen
    items = ReviewItem.objects.filter(round__campaign=campaign, finding__case_id__in=seen).aggregate(
        drawn=Count("pk"),
        inspected=Count("pk", filter=~Q(result=ReviewItem.Result.PENDING)),
        failed=Count("pk", filter=Q(result=ReviewItem.Result.FAILED)),
    )
    return Rebound(items["drawn"], items["inspected"], items["failed"])


def indicator_rows(user, campaign: Campaign, today: date) -> list[dict]:
    regions = list(campaign.scope_regions.all())
    rows = []
    kpis = indicators.Kpis()  # the rollups read once for all the KPI indicators
    for ind in Indicator.objects.filter(campaign=campaign):
        src = indicators.parse_stored(ind.source)
        value = indicators.current(user, src, regions, campaign.starts_on, min(today, campaign.ends_on), kpis)
        rows.append({"indicator": ind, "source": src, "current": value, "met": _met(ind, value, src)})
    return rows


def _met(ind: Indicator, value, src) -> bool | None:
    if value is None or ind.target is None:
        return None
    v = float(value) * (100 if src.is_rate else 1)
    return v >= float(ind.target) if ind.direction == "up" else v <= float(ind.target)


def tasks_of(campaign: Campaign, today: date) -> list[Any]:
    """Tasks by due date with unit, official, their reports and evidence, and `late` (one query each)."""
    tasks: list[Any] = list(
        Task.objects.filter(campaign=campaign)
        .select_related("unit", "official", "supervised_by")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=TaskReport.objects.select_related("by").prefetch_related("evidence"),
            )
        )
    )
    for t in tasks:
        t.campaign = campaign  # with its prefetched scope: the policy reads it for every task
        t.late = is_late(t, today)
        t.late_reason = late_reason(t, today)
        t.history = list(t.reports.all())
        t.last_report = t.history[-1] if t.history else None
    return tasks


def detail(user, campaign: Campaign, today: date | None = None) -> Detail:
    today = today or timezone.localdate()
    scope = scope_of(user)
    phases = list(campaign.phases.all())
    seen = seen_cases(user, campaign)
    towns, total = clearance(user, campaign, seen)
    tasks = tasks_of(campaign, today)
    findings = list(
        visible_findings(user, campaign, seen)
        .select_related("case", "town")
        .order_by("-id")[:MAX_FINDINGS_SHOWN]
    )
    rounds = list(
        ReviewRound.objects.filter(campaign=campaign)
        .select_related("drawn_by")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=ReviewItem.objects.filter(finding__case_id__in=seen).select_related(
                    "finding__case", "finding__town", "inspected_by"
                ),
            )
        )
        .order_by("-number")
    )
    return Detail(
        campaign=campaign,
        today=today,
        phases=phases,
        phase_now=phase_now(phases, today),
        indicators=indicator_rows(user, campaign, today),
        tasks=tasks,
        towns=towns,
        total=total,
        findings=findings,
        rounds=rounds,
        rebound=rebound(user, campaign, seen),
        may_run=access.may_run(scope, campaign),
        may_supervise=access.may_supervise(scope, campaign),
        reportable={t.pk for t in tasks if access.may_report(scope, t)},
    )


# ---------------------------------------------------------------- 挂图作战


def timeline(d: Detail) -> dict:
    """The chart's data: the phases on the first row, then one row per task grouped by unit ("unit｜task"
    as its label), each bar from issue to due; late ones flagged for red."""
    rows, labels, items = ["phases"], ["整治阶段"], []
    for t in sorted(d.tasks, key=lambda t: (t.unit.name, t.due, t.pk)):
        rows.append(f"task-{t.pk}")
        labels.append(f"{t.unit.name}｜{t.title}")
        issued = timezone.localdate(t.created_at)
        items.append({
            "row": rows[-1], "name": t.title, "start": str(min(issued, t.due)), "end": str(t.due),
            "late": t.late, "state": t.get_state_display(),
        })  # fmt: skip
    return {
        "today": str(d.today),
        "rows": rows,
        "labels": labels,
        "phases": [{"name": p.name, "start": str(p.starts_on), "end": str(p.ends_on)} for p in d.phases],
        "tasks": items,
    }


def town_map(campaign: Campaign, towns: list[Clearance]) -> dict | None:
    """The towns of the scope (GeoJSON outlines) with their 清零率 in percent (null: nothing listed)."""
    q = Q()
    for r in campaign.scope_regions.all():
        q |= (
            Q(region__code__startswith=r.code[:9]) if len(r.code) >= 9 else Q(region__code__startswith=r.code)
        )
    outlines = list(
        RegionOutline.objects.filter(q, region__level=Region.Level.TOWN)
        .select_related("region")
        .order_by("region")
    )
    if not outlines:
        return None
    rates = {t.code: t.rate for t in towns}
    return {
        "geo": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": o.region.name, "code": o.region_id},
                    "geometry": o.geometry,
                }
                for o in outlines
            ],
        },
        "towns": [
            {
                "name": o.region.name,
                "value": _percent(rates.get(o.region_id)),
            }
            for o in outlines
        ],
    }


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def tasks_for_schedule(region: str, first: date, last: date, today: date) -> list[Task]:
    """The 专项整治 tasks a 周调度 of `region` reads out (GOVERNANCE §5): those of campaigns covering the
    region or lying in it, still owed, and due within first..last or late by `today`; by campaign,
    earliest due first."""
    above = [region[:n] for n in (6, 9) if n < len(region)]  # a county-wide campaign covers its towns
    scope = "campaign__scope_regions__code"
    covering = Q(**{f"{scope}__startswith": region}) | Q(**{f"{scope}__in": above})
    owed = Q(state__in=OWING) & (Q(due__gte=first, due__lte=last) | late_q(today))
    return list(
        Task.objects.filter(covering, owed)
        .select_related("campaign", "unit")
        .distinct()
        .order_by("campaign__starts_on", "campaign_id", "due", "pk")
    )


def progress_in(user, region: str, today: date) -> list[Any]:
    """The campaigns under way that cover `region` or lie in it, each with its phase today, its tasks and
    late tasks (`campaign_rows`) and its 清零率: the cockpit's 专项整治 card (GOVERNANCE §10)."""
    rows = []
    for c in campaign_rows(user, today):
        codes = [r.code for r in c.scope_regions.all()]
        if c.phase_now is None or not any(
            code.startswith(region) or region.startswith(code) for code in codes
        ):
            continue
        c.clearance = clearance(user, c)[1]
        rows.append(c)
    return rows
