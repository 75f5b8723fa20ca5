"""Reading the rollups: sums of counters for a scope and a run of local days, optionally by town or by
unit. The KPI engine (pingan.assessment) turns these sums into figures; nothing here reads a case."""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Substr

from pingan.core.replica import reading_from_primary
from pingan.regions.models import Unit

from . import kept
from .models import DailyCount, MonthlyCount, StockChange, StockNet


@dataclass(frozen=True)
class Where:
    """Which counters: a region subtree (to the village) or one unit's own cases, and a stream."""

    region: str = ""
    unit: int | None = None
    stream: str = ""


@dataclass
class Sums:
    """Per group: flows by (measure, stream, supervised); stocks by (measure, supervised) as of the
    end of the last day (open 积案 as of the start of the first); disputes closed by local units."""

    flows: Counter = field(default_factory=Counter)
    stocks: Counter = field(default_factory=Counter)
    local_disputes_closed: int = 0


GROUPS = {"town": Substr("region", 1, 9), "unit": F("unit")}

_shared: ContextVar[dict | None] = ContextVar("pingan_shared_reads", default=None)


@contextmanager
def shared_reads() -> Iterator[None]:
    """Within the block (one page), the counter rows of today and the standing stocks are read once per
    scope and shared by every period that asks for them. The cockpit asks for the week, the month and
    the quarter under way: each read the same rows of today and the same stocks (1M cases: 6 reads of
    15–22 ms each, now 2). Nothing outlives the block, so what is read is as fresh as before."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def _once(key: tuple, read: Callable[[], Any]) -> Any:
    memo = _shared.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


def _where(qs: QuerySet, where: Where) -> QuerySet:
    if where.region:
        qs = qs.filter(region__startswith=where.region)
    if where.unit is not None:
        qs = qs.filter(unit=where.unit)
    if where.stream:
        qs = qs.filter(stream=where.stream)
    return qs


def _grouped(qs: QuerySet, by: str | None, *fields: str) -> QuerySet:
    if by:
        qs = qs.annotate(group=GROUPS[by])
        fields = ("group", *fields)
    return qs.values(*fields).annotate(total=Sum("n")).order_by()


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def whole_months(first: date, last: date) -> list[date]:
    """The first days of the months that lie wholly within the days first..last."""
    months, month = [], first if first.day == 1 else _next_month(first)
    while _next_month(month) <= last + timedelta(days=1):
        months.append(month)
        month = _next_month(month)
    return months


def daily_edges(first: date, last: date) -> list[QuerySet]:
    """The daily counter rows of the days first..last outside its whole months."""
    months = whole_months(first, last)
    if not months:
        return [DailyCount.objects.filter(day__gte=first, day__lte=last)]
    edges = []
    if first < months[0]:
        edges.append(DailyCount.objects.filter(day__gte=first, day__lt=months[0]))
    if _next_month(months[-1]) <= last:
        edges.append(DailyCount.objects.filter(day__gte=_next_month(months[-1]), day__lte=last))
    return edges


def flow_counters(first: date, last: date) -> list[QuerySet]:
    """The counter rows of the days first..last: whole months from the monthly counters, the days
    before and after them from the daily ones (a month is a few tens of thousands of rows for a county
    at any size; its days are thirty times as many)."""
    months = whole_months(first, last)
    monthly = [MonthlyCount.objects.filter(month__in=months)] if months else []
    return monthly + daily_edges(first, last)


def sums(where: Where, first: date, last: date, by: str | None = None) -> dict[str | int | None, Sums]:
    """Counter sums for the days first..last (local), as of the end of `last`. Keys are the town code or
    unit id when grouped `by` "town" or "unit", else None."""
    out: dict = defaultdict(Sums)
    flows, closed_by_unit = _flow_sums(where, first, last, by)  # closed_by_unit: (group, unit) → disputes
    for (group, *flow), total in flows.items():
        out[group].flows[tuple(flow)] += total
    # As of the end of `last` (open 积案: of the day before `first`): what counts now, less the changes
    # dated after. Both reads are small for a recent period; see StockNet.
    for row in _standing(where, first, last, by):
        out[row.get("group")].stocks[(row["measure"], row["supervised"])] += row["total"]
    # The changes dated after, one read per measure: each is then a range of the covering index
    # stockchange_after alone, where one read of their OR went through the table (1M cases: 30 ms).
    changes = StockChange.objects.filter
    since = [
        changes(measure="overdue", day__gt=last, due_day__lte=last),
        changes(measure="due", day__gt=last, due_day__gte=first, due_day__lte=last),
        changes(measure="backlog", day__gte=first),
    ]
    for qs in since:
        for row in _grouped(_where(qs, where), by, "measure", "supervised"):
            out[row.get("group")].stocks[(row["measure"], row["supervised"])] -= row["total"]
    local = local_units({unit for _, unit in closed_by_unit})
    for (group, unit), total in closed_by_unit.items():
        if unit in local:
            out[group].local_disputes_closed += total
    return dict(out)


Flows = tuple[Counter, Counter]  # (group, measure, stream, supervised) → n; (group, unit) → disputes closed


def _standing(where: Where, first: date, last: date, by: str | None) -> list[dict]:
    """The stocks counting now for the days first..last, summed by (group,) measure and supervised: those
    overdue by the end of `last`, those due within it, and the open 积案. Alone, one read with the
    period's bounds; within `shared_reads`, one read by due day that every period sums its part of."""
    fields = ("measure", "supervised")
    if _shared.get() is None:
        overdue = Q(measure="overdue", due_day__lte=last)
        due = Q(measure="due", due_day__gte=first, due_day__lte=last)
        qs = StockNet.objects.filter(overdue | due | Q(measure="backlog"))
        return list(_grouped(_where(qs, where), by, *fields))

    def read_all() -> list[dict]:
        qs = StockNet.objects.filter(measure__in=("overdue", "due", "backlog"))
        return list(_grouped(_where(qs, where), by, *fields, "due_day"))

    def counts(row: dict) -> bool:
        due, measure = row["due_day"], row["measure"]
        return measure == "backlog" or (measure == "overdue" and due <= last) or first <= due <= last

    summed: Counter = Counter()
    for row in _once(("standing", where, by or ""), read_all):
        if counts(row):
            summed[(row.get("group"), row["measure"], row["supervised"])] += row["total"]
    return [{"group": g, "measure": m, "supervised": s, "total": n} for (g, m, s), n in summed.items()]


def _read(qs: QuerySet, by: str | None, *extra: str) -> dict[tuple, Flows]:
    """Flow sums of counter rows, per value of the `extra` fields (none: one entry under ())."""
    found: dict[tuple, Flows] = defaultdict(lambda: (Counter(), Counter()))
    for row in _grouped(qs, by, *extra, "measure", "stream", "supervised"):
        flows, _ = found[tuple(row[f] for f in extra)]
        flows[(row.get("group"), row["measure"], row["stream"], row["supervised"])] += row["total"]
    for row in _grouped(qs.filter(measure="closed", stream="dispute"), by, *extra, "unit"):
        _, units = found[tuple(row[f] for f in extra)]
        units[(row.get("group"), row["unit"])] += row["total"]
    return found


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _flow_sums(where: Where, first: date, last: date, by: str | None) -> Flows:
    """The flow sums of the days first..last: ended months from the monthly counters, every other day
    from the daily ones. The sums of ended months and days are kept (pingan.analytics.kept), so a period
    under way reads the counter rows of today and later only, and an ended one none once kept."""
    today = kept.today()
    months = [m for m in whole_months(first, last) if m < today.replace(day=1)]
    in_months = {d for m in months for d in _days(m, _next_month(m) - timedelta(days=1))}
    days = [d for d in _days(first, min(last, today - timedelta(days=1))) if d not in in_months]
    scope = (where.region, where.unit, where.stream, by or "")
    total: Flows = (Counter(), Counter())
    parts = _kept(scope, "month", months, where, by) + _kept(scope, "day", days, where, by)
    if last >= today:
        start = max(first, today)

        def read_live() -> dict[tuple, Flows]:  # by day: the periods that share it end on different days
            return _read(_where(DailyCount.objects.filter(day__gte=start), where), by, "day")

        parts += [flows for (day,), flows in _once(("live", scope, start), read_live).items() if day <= last]
    for flows, units in parts:
        total[0].update(flows)
        total[1].update(units)
    return total


def _kept(scope: tuple, unit: str, starts: list[date], where: Where, by: str | None) -> list[Flows]:
    """The flow sums of ended months or days (`unit`, `starts` their first days): those kept in the cache,
    the others read in one query and kept."""
    if not starts:
        return []
    gen = kept.generation()
    label = "%Y-%m" if unit == "month" else "%Y-%m-%d"
    keys = {kept.key(gen, scope, f"{start:{label}}"): start for start in starts}
    found = {keys[k]: flows for k, flows in cache.get_many(list(keys)).items()}
    todo = [start for start in starts if start not in found]
    if todo:
        rows = (
            MonthlyCount.objects.filter(month__in=todo)
            if unit == "month"
            else DailyCount.objects.filter(day__in=todo)
        )
        # From the primary: a sum kept under `gen` must hold every counter written before `gen` began,
        # which a replica that lags may not have yet (pingan.core.replica).
        with reading_from_primary():
            read = _read(_where(rows, where), by, unit)
        fresh = {start: read.get((start,), (Counter(), Counter())) for start in todo}
        found |= fresh
        cache.set_many({k: fresh[start] for k, start in keys.items() if start in fresh}, kept.KEEP_SECONDS)
    return [found[start] for start in starts]


def by_village(region: str, measure: str, first: date, last: date, *, streams_excluded=()) -> dict[str, int]:
    """One flow (`reported`, `closed`…) per village of the subtree of `region` over the local days
    first..last: what a table of villages (重点地区) reads. Counters of cases placed no lower than a
    town (their region has fewer than 12 digits) belong to no village and are left out."""
    found: Counter = Counter()
    for qs in flow_counters(first, last):
        rows = qs.filter(region__startswith=region, measure=measure).exclude(stream__in=streams_excluded)
        for row in rows.values("region").annotate(total=Sum("n")).order_by():
            found[row["region"]] += row["total"]
    return {code: n for code, n in found.items() if len(code) == 12 and n}


def local_units(ids: set[int]) -> set[int]:
    """Units that sit at town or village level (就地化解): their region is a town, village or grid."""
    rows = Unit.objects.filter(pk__in=ids - {0}).values_list("pk", "region_id")
    return {pk for pk, region in rows if len(region) >= 9}
