"""领导驾驶舱: one page of figures for a leader's or supervisor's region (GOVERNANCE §10). What each
figure counts and why it equals the list it opens: pingan.cockpit.figures."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from pingan.accounts import policy
from pingan.accounts.scope import scope_of
from pingan.assessment.selectors import shared_reads
from pingan.campaigns.selectors import progress_in
from pingan.core.errors import DomainError, forbidden, not_found
from pingan.core.periods import Period, parse_period, period_of
from pingan.core.replica import reading_from_replica
from pingan.regions.models import Region

from . import figures

READERS = ("leader", "supervisor")


def _region(user, code: str) -> Region:
    """The region asked for (a county or a town under the user's grants), else his top one."""
    scope = scope_of(user)
    grants = scope.regions_for(*READERS)
    if not grants:
        raise forbidden("领导驾驶舱仅限领导和督导人员查看。")
    code = code or min(grants, key=lambda c: (len(c), c))
    region = Region.objects.filter(code=code, level__in=(Region.Level.COUNTY, Region.Level.TOWN)).first()
    if region is None or not policy.covers(scope, READERS, region.code):
        raise not_found("没有这个区划，或它不在您的管辖范围内。")
    return region


def _choices(user) -> list[Region]:
    """The county and towns the user may open, for the region picker."""
    tops = scope_of(user).regions_for(*READERS)
    found: list[Region] = []
    for top in tops:
        found += Region.objects.filter(
            code__startswith=top, level__in=(Region.Level.COUNTY, Region.Level.TOWN)
        ).order_by("code")
    return found


def _month(text: str, today) -> Period:
    if not text:
        return period_of("month", today)
    p = parse_period(text)
    if p.kind != "month" or p.start > today:
        raise DomainError(
            "invalid_period", "请选择今天以前的一个月份，如 2026-03。", fields={"month": "应为 YYYY-MM"}
        )
    return p


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _points(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f} 个百分点".replace("-", "−")


def _rates_for_display(rows: list[dict]) -> None:
    for row in rows:
        for r in row["rates"]:
            r["now_text"], r["before_text"] = _percent(r["now"]), _percent(r["before"])
            r["change_text"] = _points(r["change"])


def _rows(keys: list, series: list[figures.Series]) -> list[tuple]:
    """A table of figures: one row per key, one column per series."""
    return [(key, [s.figures[i] for s in series]) for i, key in enumerate(keys)]


@login_required
@require_GET
@reading_from_replica()
def cockpit(request):
    user = request.user
    today = timezone.localdate()
    region = _region(user, request.GET.get("region", "").strip())
    month = _month(request.GET.get("month", "").strip(), today)
    counted = figures.counts(user, region.code, today)
    with shared_reads():  # the week, month and quarter under way read today's counters once
        periods = figures.period_rows(user, region.code, today, counted)
    _rates_for_display(periods)
    members = figures.children(region)
    late = figures.overdue(user, region, members)
    bars = figures.by_child(user, region, members, month, late)
    months, trend = figures.trend(today, counted)
    ageing = figures.ageing(late)
    data = {
        "bars": {"categories": [m.name for m in members], "series": [s.out() for s in bars]},
        "trend": {"categories": [m.key for m in months], "series": [s.out() for s in trend]},
        "ageing": {"categories": [label for label, _, _ in figures.AGEING], "series": [ageing.out()]},
        "map": figures.outlines(region, members),
    }
    context = {
        "region": region,
        "regions": _choices(user),
        "month": month,
        "months": figures.months_to(today),
        "periods": periods,
        "bars": bars,
        "town_rows": _rows(members, bars),
        "trend": trend,
        "trend_rows": _rows(months, trend),
        "ageing": list(zip(figures.AGEING, ageing.figures, strict=True)),
        "overdue": figures.Figure(
            sum(f.value for f in ageing.figures), figures.ledger_link(**figures.overdue_now(region.code))
        ),
        "listed": figures.listed_late(user, region.code),
        "campaigns": progress_in(user, region.code, today),
        "child_label": "乡镇（街道）" if region.level == Region.Level.COUNTY else "村（社区）",
        "tips_hidden": policy.confidential_hidden(scope_of(user)),
        "data": data,
    }
    return render(request, "cockpit/page.html", context)
