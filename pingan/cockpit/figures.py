"""The leader cockpit's figures (GOVERNANCE §10) for one region of the user's scope.

The rule that makes every figure the total of the list it opens: a figure that counts cases is counted
by that list's own filter, parsed from the very link the figure carries — the ledger's `CaseFilter`
over the cases the user may see (what `case_count` counts), or the 督办 page's `SupervisionFilter` for
挂牌督办 cases late with their progress reports. A figure split by town or by month is one grouped
query over the same filter, grouped exactly as the link narrows it (a town's subtree is the cases whose
region code starts with the town's; a month runs from its first local midnight to the next).

So these counts are of cases as they stand now, in the user's ledger: 登记量 by 登记时间, 办结数 by
结案时间 of cases closed or archived, 超期 by the clocks running now. A leader's and a supervisor's
ledger never shows tips, so their counts leave tips out, and the page says so. The assessment rates
(GOVERNANCE §2: as of the period end, tips counted) come from the KPI engine; a rate is not a number
of cases, so it opens no list.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import reduce
from operator import or_

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Substr
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from pingan.assessment.selectors import kpis
from pingan.cases.models import Case
from pingan.cases.models.case import CLOCKS
from pingan.cases.selectors import filter_cases
from pingan.cases.views.params import ledger_filter
from pingan.core.periods import Period, period_of
from pingan.regions.models import Region, RegionOutline
from pingan.supervision import selectors as supervision
from pingan.supervision.views import page_filter

from .behind import behind_link

CLOSED = "closed,archived"  # 办结: what a closure leaves, whether archived since or not
PERIOD_KINDS = (("week", "本周", "上周"), ("month", "本月", "上月"), ("quarter", "本季度", "上季度"))
RATES = (
    ("closed_rate", "办结率"),
    ("closed_on_time_rate", "按期办结率"),
    ("accepted_on_time_rate", "按时受理率"),
    ("satisfaction_rate", "满意率"),
    ("resolution_rate", "化解率"),
)
# Open cases past a due, by how long: (label, at least N days, less than M days).
AGEING = (("7 天以内", 0, 7), ("7–30 天", 7, 30), ("30–90 天", 30, 90), ("90 天以上", 90, None))
TREND_MONTHS = 12


@dataclass
class Figure:
    """A number of cases and the list whose total it is."""

    value: int
    link: str


@dataclass
class Series:
    key: str
    label: str
    figures: list[Figure] = field(default_factory=list)

    def out(self) -> dict:
        return {
            "key": self.key,
            "name": self.label,
            "values": [f.value for f in self.figures],
            "links": [f.link for f in self.figures],
        }


def _query(params: dict) -> str:
    q = QueryDict(mutable=True)
    for name, value in params.items():
        if value not in (None, ""):
            q[name] = str(value)
    return q.urlencode()


def ledger_link(**params) -> str:
    return reverse("cases:ledger") + "?" + _query(params)


def _ledger(user, params: dict) -> QuerySet[Case]:
    """The user's ledger under `params`, as the ledger page parses them from the link."""
    return filter_cases(Case.objects.visible_to(user), ledger_filter(QueryDict(_query(params))), user)


def _n(*q: Q, **filter) -> Count:
    """COUNT(1), not COUNT(id): the counts read only columns the covering indexes on reported_at and
    closed_at hold, so PostgreSQL answers them from the index alone (at 1M cases the quarter's 办结数
    read 115k heap pages for the id: 148 ms)."""
    return Count(Value(1), filter=Q(*q, **filter) if q or filter else None)


def _count(user, **params) -> Figure:
    return Figure(_ledger(user, params).count(), ledger_link(**params))


def _last_day(p: Period) -> date:
    return p.end - timedelta(days=1)


def reported_in(region: str, p: Period) -> dict:
    return {"region": region, "created_after": p.start, "created_before": _last_day(p)}


def closed_in(region: str, p: Period) -> dict:
    return {"region": region, "status": CLOSED, "closed_after": p.start, "closed_before": _last_day(p)}


def overdue_now(region: str) -> dict:
    return {"region": region, "overdue": "true"}


MEASURES = (("reported", "登记量", reported_in), ("closed", "办结数", closed_in))
# The column each measure counts by, and the ledger filters that bound it.
WINDOWS = {
    "reported": ("reported_at", "created_after", "created_before"),
    "closed": ("closed_at", "closed_after", "closed_before"),
}
# The assessment figures of a finished period are as of its end: later events never change them, so
# the cockpit keeps them a while; so it does with the counts of the days before today, which change only
# when a case of them is reopened or re-registered (today's cases are counted on every request).
FINISHED_PERIOD_SECONDS = 600


def _span(first: date, end: date) -> Period:
    return Period("span", first.year, 1, first, end)


def per_period(user, key: str, region: str, periods: list[Period], today: date) -> list[Figure]:
    """登记量 or 办结数 of each period. The days before today are kept a while, whole periods ended and the
    part of a period under way alike (a case registered or closed back then rarely changes); today's
    cases are counted on every request. What is not kept is counted in one query, a conditional count
    per window, each bounded by the times the ledger parses from that window's link."""
    column, after, before = WINDOWS[key]
    params = dict((k, p) for k, _, p in MEASURES)[key]
    # Per period: its windows (first day, day after the last), each with its cache key or None (live).
    windows: dict[str, list[tuple[date, date, str | None]]] = {}
    for p in periods:
        name = f"cockpit:{key}:{user.pk}:{region}:{p.key}"
        if p.end <= today:
            windows[p.key] = [(p.start, p.end, name)]
        elif p.start >= today:
            windows[p.key] = [(p.start, p.end, None)]
        else:
            windows[p.key] = [(p.start, today, f"{name}:to:{today}"), (today, p.end, None)]
    every = {w for ws in windows.values() for w in ws}
    cached = cache.get_many([w[2] for w in every if w[2]])
    found = {w: cached[w[2]] for w in every if w[2] in cached}
    todo = sorted((w for w in every if w not in found), key=lambda w: (w[0], w[1]))
    if todo:
        base = _ledger(user, params(region, _span(min(w[0] for w in todo), max(w[1] for w in todo))))
        bounds = [ledger_filter(QueryDict(_query(params(region, _span(lo, end))))) for lo, end, _ in todo]
        counted = base.aggregate(
            **{
                f"w{i}": _n(**{f"{column}__gte": getattr(f, after), f"{column}__lt": getattr(f, before)})
                for i, f in enumerate(bounds)
            }
        )
        fresh = {w: counted[f"w{i}"] for i, w in enumerate(todo)}
        cache.set_many({w[2]: n for w, n in fresh.items() if w[2]}, FINISHED_PERIOD_SECONDS)
        found |= fresh
    return [Figure(sum(found[w] for w in windows[p.key]), ledger_link(**params(region, p))) for p in periods]


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 4)


def assessment(user, region: str, p: Period, today: date) -> dict:
    """The KPI engine's figures (pingan.assessment); those of a finished period kept a while."""
    if p.end > today:
        return kpis(user, period=p.key, region=region)["values"]
    key = f"cockpit:kpis:{region}:{p.key}"
    values = cache.get(key)
    if values is None:
        values = kpis(user, period=p.key, region=region)["values"]
        cache.set(key, values, FINISHED_PERIOD_SECONDS)
    return values


def period_pairs(today: date) -> list[tuple[Period, Period]]:
    """This week, month and quarter (to date), each with the one before."""
    return [(period_of(kind, today), period_of(kind, today).previous()) for kind, _, _ in PERIOD_KINDS]


def counts(user, region: str, today: date) -> dict[str, dict[str, Figure]]:
    """登记量 and 办结数 of every period the page shows (the period pairs and the trend's months), by
    measure and period key: one query per measure for those under way, which the pairs and the trend
    share (this month is in both)."""
    periods = {p.key: p for pair in period_pairs(today) for p in pair}
    periods |= {p.key: p for p in months_to(today)}
    wanted = list(periods.values())
    return {
        key: {p.key: f for p, f in zip(wanted, per_period(user, key, region, wanted, today), strict=True)}
        for key, _, _ in MEASURES
    }


def period_rows(user, region: str, today: date, counted: dict[str, dict[str, Figure]]) -> list[dict]:
    """For this week, month and quarter (to date) and the one before: 登记量 and 办结数 (linked, from
    `counts`), and the assessment rates of the KPI engine."""
    pairs = period_pairs(today)
    out = []
    for (kind, this_label, last_label), (this, last) in zip(PERIOD_KINDS, pairs, strict=True):
        shown = []
        for key, label, _ in MEASURES:
            now, before = counted[key][this.key], counted[key][last.key]
            shown.append(
                {"key": key, "label": label, "now": now, "before": before, "change": now.value - before.value}
            )
        now_values, before_values = (
            assessment(user, region, this, today),
            assessment(user, region, last, today),
        )
        rates = [
            {
                "key": key,
                "label": label,
                "now": now_values[key],
                "before": before_values[key],
                "change": _change(now_values[key], before_values[key]),
                "now_link": behind_link(key, this.key, region),
                "before_link": behind_link(key, last.key, region),
            }
            for key, label in RATES
        ]
        out.append(
            {
                "kind": kind,
                "label": this_label,
                "last_label": last_label,
                "period": this,
                "last": last,
                "counts": shown,
                "rates": rates,
            }
        )
    return out


def children(region: Region) -> list[Region]:
    return list(Region.objects.filter(parent=region).order_by("code"))


def _grouped(qs: QuerySet[Case], expression, keys: list) -> dict:
    rows = qs.annotate(group=expression).values("group").annotate(n=_n()).order_by()
    found = {row["group"]: row["n"] for row in rows}
    return {k: found.get(k, 0) for k in keys}


@dataclass
class Overdue:
    """Open cases past a due now, per child region (town, or village of a town): the total and those at
    least N days past for each ageing bucket. One grouped query serves the bars and the ageing chart."""

    region: str
    by_child: dict[str, int]
    past: dict[int, int]  # at least N days past due → cases, the whole region


def _clock_parts() -> list[tuple[tuple[str, ...], list[str]]]:
    """The statuses grouped by the clocks that run in them: (due fields, statuses). A dispatched case has
    two (to be signed, to be resolved), every other state one."""
    fields: dict[str, list[str]] = defaultdict(list)
    for field_name, states in CLOCKS.values():
        for status in states:
            fields[status].append(field_name)
    parts: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for status, due_fields in fields.items():
        parts[tuple(due_fields)].append(status)
    return list(parts.items())


CLOCK_PARTS = _clock_parts()


def overdue(user, region: Region, members: list[Region]) -> Overdue:
    """Counted part by part (statuses with the same clocks), which together are `overdue_q`: each part
    is a range of its `(status, due)` index, which holds the region and stream as well, so PostgreSQL
    counts it from the index alone (1M cases: one query over all of them read 13k table pages, 53 ms)."""
    width = len(members[0].code) if members else len(region.code)
    now = timezone.now()
    base = _ledger(user, {"region": region.code})
    by_child: dict[str, int] = defaultdict(int)
    totals: dict[int, int] = defaultdict(int)
    for due_fields, statuses in CLOCK_PARTS:

        def late(at, due_fields=due_fields) -> Q:
            return reduce(or_, (Q(**{f"{f}__lt": at}) for f in due_fields))

        past = {f"past{low}": _n(late(now - timedelta(days=low))) for _, low, _ in AGEING}
        rows = (
            base.filter(Q(status__in=statuses) & late(now))
            .annotate(group=Substr("region_id", 1, width))
            .values("group")
            .annotate(n=_n(), **past)
            .order_by()
        )
        for row in rows:
            found: dict = dict(row)  # its keys are made above, which the type checker cannot follow
            by_child[found["group"]] += found["n"]
            for _, low, _ in AGEING:
                totals[low] += found[f"past{low}"]
    return Overdue(region.code, dict(by_child), {low: totals[low] for _, low, _ in AGEING})


def by_child(user, region: Region, members: list[Region], month: Period, late: Overdue) -> list[Series]:
    """登记量 and 办结数 of a month and 超期 now, per member: town (village for a town)."""
    codes = [r.code for r in members]
    if not codes:
        return []
    width = len(codes[0])
    series = []
    for key, label, params in (
        ("reported", f"{month.label}登记量", lambda c: reported_in(c, month)),
        ("closed", f"{month.label}办结数", lambda c: closed_in(c, month)),
    ):
        counts = _grouped(_ledger(user, params(region.code)), Substr("region_id", 1, width), codes)
        series.append(Series(key, label, [Figure(counts[c], ledger_link(**params(c))) for c in codes]))
    figures = [Figure(late.by_child.get(c, 0), ledger_link(**overdue_now(c))) for c in codes]
    series.append(Series("overdue", "当前超期件数", figures))
    return series


def months_to(today: date, n: int = TREND_MONTHS) -> list[Period]:
    first = period_of("month", today)
    months = [first]
    for _ in range(n - 1):
        months.append(months[-1].previous())
    return months[::-1]


def trend(today: date, counted: dict[str, dict[str, Figure]]) -> tuple[list[Period], list[Series]]:
    """登记量 and 办结数 of each of the last twelve months (this one to date), from `counts`."""
    months = months_to(today)
    series = [Series(key, label, [counted[key][m.key] for m in months]) for key, label, _ in MEASURES]
    return months, series


def ageing(late: Overdue) -> Series:
    """Open cases past a due now, by how long (a bucket: at least N days past, less those at least M)."""
    counts = [*(late.past[low] for _, low, _ in AGEING), 0]
    series = Series("ageing", "超期件数")
    for i, (_, low, high) in enumerate(AGEING):
        params = {**overdue_now(late.region), "overdue_days_min": low or None, "overdue_days_max": high}
        series.figures.append(Figure(counts[i] - counts[i + 1], ledger_link(**params)))
    return series


def listed_late(user, region: str) -> dict:
    """挂牌督办 cases in force whose progress report is late, and all 挂牌 in force: the 督办 page's
    counts under the same filters, with a few of the late ones by name."""
    now = timezone.now()
    late = {"level": "listed", "late": "true", "region": region}
    rows = supervision.records(user, page_filter(QueryDict(_query(late))), now)[:5]
    return {
        "late": _supervision(user, late, now),
        "listed": _supervision(user, {"level": "listed", "region": region}, now),
        "rows": [supervision.record_out(s) for s in rows],
    }


def _supervision(user, params: dict, now) -> Figure:
    """The 督办 page's total under `params`, as the page parses them from the link."""
    query = _query(params)
    return Figure(
        supervision.record_count(user, page_filter(QueryDict(query)), now),
        reverse("supervision:list") + "?" + query,
    )


def outlines(region: Region, members: list[Region]) -> dict | None:
    """The towns' outlines (GeoJSON) for the map, named as the figures name them; for a town without
    outlines of its villages, its own outline."""
    found = dict(RegionOutline.objects.filter(region__in=members).values_list("region_id", "geometry"))
    shapes = [(r, found[r.code]) for r in members if r.code in found]
    if not shapes:
        own = RegionOutline.objects.filter(region=region).values_list("geometry", flat=True).first()
        shapes = [(region, own)] if own else []
    if not shapes:
        return None
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": r.name, "code": r.code}, "geometry": g}
            for r, g in shapes
        ],
    }
