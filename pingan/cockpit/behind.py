"""考核指标的案件明细: the cases behind a KPI figure of the cockpit (pingan.assessment.behind), a page
per part of the figure. Rows the reader may not open (a leader and a tip) show their number only."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from pingan.assessment.behind import PART_LABELS, behind
from pingan.assessment.kpis import is_rate
from pingan.cases.models import Case
from pingan.core.replica import reading_from_replica

PER_PAGE = 50


def behind_link(key: str, period: str, region: str, part: str = "numerator") -> str:
    query = urlencode({"key": key, "part": part, "period": period, "region": region})
    return f"{reverse('cockpit:behind')}?{query}"


@login_required
@require_GET
@reading_from_replica()
def behind_page(request):
    q = request.GET
    listed = behind(
        request.user,
        key=q.get("key", ""),
        part=q.get("part", "numerator"),
        period=q.get("period", ""),
        region=q.get("region") or None,
        unit=q.get("unit") or None,
    )
    page = Paginator(sorted(listed.counts, reverse=True), PER_PAGE).get_page(q.get("page"))
    ids = list(page.object_list)
    found = {c.pk: c for c in Case.objects.filter(pk__in=ids).select_related("region")}
    visible = set(Case.objects.visible_to(request.user).filter(pk__in=ids).values_list("pk", flat=True))
    rows = [(found[pk], pk in visible, listed.counts[pk]) for pk in ids]
    scope = {listed.target.kind: listed.target.code}
    base = {"key": listed.key, "period": listed.period.key, **scope}
    parts = [
        (name, label, f"?{urlencode({**base, 'part': name})}")
        for name, label in PART_LABELS.items()
        if name == "numerator" or is_rate(listed.key)
    ]
    context = {
        "listed": listed,
        "page": page,
        "rows": rows,
        "parts": parts,
        "part_label": PART_LABELS[listed.part],
        "query": urlencode({**base, "part": listed.part}),
    }
    return render(request, "cockpit/behind.html", context)
