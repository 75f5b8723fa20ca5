"""月通报 (GOVERNANCE §5): totals by stream against last month and the same month last year, towns side
by side with a chart, the overdue and listed cases by name, the imported statistics of the month."""

from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import Count, Q

from pingan.cases.models import Case, Stream
from pingan.cases.models.case import OPEN_STATUSES, overdue_q
from pingan.core.periods import Period
from pingan.regions.models import Region, subtree_q
from pingan.statistics.models import Indicator
from pingan.statistics.selectors import figure

LIST_LIMIT = 30


def change(now: int, before: int) -> str:
    if not before:
        return "—"
    return f"{(now - before) / before * 100:+.1f}%".replace("-", "−")


def stream_table(region: Region, bounds) -> list[list]:
    """[类型, 本月登记, 上月, 环比, 去年同月, 同比, 本月办结] per stream, then 合计."""
    (start, end), (p_start, p_end), (y_start, y_end) = bounds
    # Only the cases some column counts: ranges of the reported_at and closed_at indexes, not the region.
    windows = [Q(reported_at__gte=a, reported_at__lt=b) for a, b in bounds] + [
        Q(closed_at__gte=start, closed_at__lt=end)
    ]
    cases = Case.objects.filter(subtree_q("region", region.code)).filter(reduce(or_, windows))
    counts: dict[str, dict] = {
        row["stream"]: dict(row)
        for row in cases.values("stream").annotate(
            now=Count("pk", filter=Q(reported_at__gte=start, reported_at__lt=end)),
            before=Count("pk", filter=Q(reported_at__gte=p_start, reported_at__lt=p_end)),
            year_ago=Count("pk", filter=Q(reported_at__gte=y_start, reported_at__lt=y_end)),
            closed=Count("pk", filter=Q(closed_at__gte=start, closed_at__lt=end)),
        )
    }
    zero = {"now": 0, "before": 0, "year_ago": 0, "closed": 0}
    rows = [_stream_row(stream.label, counts.get(stream.value, zero)) for stream in Stream]
    total = {k: sum(counts.get(st.value, zero)[k] for st in Stream) for k in zero}
    rows.append(_stream_row("合计", total))
    return rows


def _stream_row(label: str, c: dict) -> list:
    return [
        label, c["now"], c["before"], change(c["now"], c["before"]),
        c["year_ago"], change(c["now"], c["year_ago"]), c["closed"],
    ]  # fmt: skip


def case_lists(region: Region, now: datetime) -> tuple[list[list], list[list]]:
    """Overdue open cases (longest first) and listed cases, by number and title; tips never by name."""
    cases = (
        Case.objects.filter(subtree_q("region", region.code), status__in=OPEN_STATUSES)
        .exclude(stream=Stream.TIP)
        .select_related("region", "lead_unit")
    )
    overdue = cases.filter(overdue_q(now)).order_by("overdue_since", "id")[:LIST_LIMIT]
    listed = cases.filter(supervision_level=Case.Supervision.LISTED).order_by("reported_at", "id")[
        :LIST_LIMIT
    ]

    def row(c: Case) -> list:
        days = (now - c.overdue_since).days if c.overdue_since else None
        return [c.number, c.title, c.region.name, c.lead_unit.name if c.lead_unit else "", days]

    return [row(c) for c in overdue], [row(c) for c in listed]


def statistics_rows(region: Region, period: Period) -> list[list]:
    rows = []
    for indicator in Indicator.objects.filter(active=True).order_by("source", "order"):
        f = figure(indicator, period, region=region)
        if f.value is None:
            continue
        yoy = "—" if f.yoy is None else f"{f.yoy * 100:+.1f}%".replace("-", "−")
        rows.append([indicator.source, str(indicator), float(f.value), yoy])
    return rows
