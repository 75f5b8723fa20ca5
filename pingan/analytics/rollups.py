"""Keeping the rollups: the event writer's receiver, and `rebuild` from the events.

`keep_rollups` runs inside the writing transaction (pingan.cases.events sends `events_written` there),
so the counters are committed with their events or not at all. It loads the tracks of the cases the
events touch in one query, replays the events (track.py), sums what they move in memory and writes the
sums in a few multi-row upserts: a bulk write of thousands of events (the demo, the sweep) costs a
handful of statements, a single action three or four. On PostgreSQL a write of more rows than one
statement takes goes through COPY into a temporary table (bulk.copy_merge): psycopg spent more time
parsing the long statements than the server spent running them.

`rebuild` empties the rollups and replays every event, case by case in the order they were written,
which is the order the receiver saw them in: the counters it leaves are the ones the receiver kept.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import NamedTuple

from django.db import connection, transaction

from pingan.cases.models import Case, CaseEvent, Category
from pingan.core.bulk import copy_merge
from pingan.regions.models import Unit

from . import kept
from .models import DIMENSIONS, MONTH_DIMENSIONS, CaseTrack, DailyCount, MonthlyCount, StockChange, StockNet
from .track import Dims, Facts, Moves, replay, start

FlowKey = tuple[str, date, Dims]
StockKey = tuple[str, date, date, Dims]
ROWS_PER_STATEMENT = 400


class Sums:
    """Counter moves summed by key, written with one upsert per few hundred keys."""

    def __init__(self) -> None:
        self.flows: Counter[FlowKey] = Counter()
        self.stocks: Counter[StockKey] = Counter()

    def add(self, moves: Moves) -> None:
        for key in moves.flows:
            self.flows[key] += 1
        for measure, day, due_day, dims, n in moves.stocks:
            self.stocks[(measure, day, due_day, dims)] += n

    def write(self) -> None:
        if self.flows:
            kept.written_into(min(day for _, day, _ in self.flows))
        flows = [(day, measure, *dims, n) for (measure, day, dims), n in self.flows.items() if n]
        stocks = [(m, due, day, *dims, n) for (m, day, due, dims), n in self.stocks.items() if n]
        _upsert(DailyCount, ("day", "measure", *DIMENSIONS), flows)
        months: Counter[tuple] = Counter()
        for (measure, day, (region, unit, stream, _, supervised)), n in self.flows.items():
            months[(day.replace(day=1), measure, region, unit, stream, supervised)] += n
        _upsert(
            MonthlyCount, ("month", "measure", *MONTH_DIMENSIONS), [(*k, n) for k, n in months.items() if n]
        )
        _upsert(StockChange, ("measure", "due_day", "day", *DIMENSIONS), stocks)
        net: Counter[tuple] = Counter()
        for (m, _, due, dims), n in self.stocks.items():
            net[(m, due, *dims)] += n
        zeros = _upsert(StockNet, ("measure", "due_day", *DIMENSIONS), [(*k, n) for k, n in net.items() if n])
        if zeros:
            StockNet.objects.filter(pk__in=zeros, n=0).delete()
        self.flows.clear()
        self.stocks.clear()


def _through_copy(rows: int) -> bool:
    """A bulk write on PostgreSQL (more rows than one statement takes) goes through COPY."""
    return connection.vendor == "postgresql" and rows > ROWS_PER_STATEMENT


def _upsert(model, key: tuple[str, ...], rows: list[tuple]) -> list[int]:
    """INSERT … ON CONFLICT (key) DO UPDATE SET n = n + excluded.n: the same text on SQLite (3.35+)
    and PostgreSQL, so two writers adding to one counter at once both count. Returns the ids of the
    rows that came to zero."""
    zeros: list[int] = []
    if not rows:
        return zeros
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(c) for c in (*key, "n"))
    dates = [i for i, c in enumerate(key) if c in ("day", "due_day", "month")]
    # Identifiers come from the model and are quoted; every value is a parameter.
    head = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
    tail = (
        f" ON CONFLICT ({', '.join(qn(c) for c in key)}) DO UPDATE SET n = {table}.n + excluded.n"
        f" RETURNING {qn('id')}, {qn('n')}"
    )
    if _through_copy(len(rows)):
        return [pk for pk, n in copy_merge(model, (*key, "n"), rows, tail) if n == 0]
    row_sql = "(" + ", ".join(["%s"] * (len(key) + 1)) + ")"
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cur:
        for i in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[i : i + ROWS_PER_STATEMENT]
            params = [adapt(v) if j in dates else v for row in chunk for j, v in enumerate(row)]
            cur.execute(head + ", ".join([row_sql] * len(chunk)) + tail, params)
            zeros += [pk for pk, n in cur.fetchall() if n == 0]
    return zeros


class Codes:
    """Unit and category ids by code, for the codes event data names; looked up once per batch."""

    def __init__(self, events: Iterable, *, every: bool = False) -> None:
        if every:
            self.units = dict(Unit.objects.values_list("code", "pk"))
            self.categories = dict(Category.objects.values_list("code", "pk"))
            return
        units, categories = set(), set()
        for e in events:
            if e.action == "dispatch" and e.data.get("lead_unit"):
                units.add(e.data["lead_unit"])
            elif e.action == "update" and (e.data.get("changed") or {}).get("category"):
                categories.add(e.data["changed"]["category"])
        self.units = dict(Unit.objects.filter(code__in=units).values_list("code", "pk")) if units else {}
        self.categories = (
            dict(Category.objects.filter(code__in=categories).values_list("code", "pk")) if categories else {}
        )


def keep_rollups(sender, events: list[CaseEvent], quiet: bool = False, **kwargs) -> None:
    ids = {e.case_id for e in events}
    tracks = {t.case_id: Facts.from_json(t.facts) for t in CaseTrack.objects.filter(case_id__in=ids)}
    codes, sums = Codes(events), Sums()
    for e in events:
        facts = tracks.get(e.case_id)
        if facts is None:
            facts = first_facts(e.case, {})
        facts, moves = replay(facts, e, codes.units, codes.categories)
        tracks[e.case_id] = facts
        sums.add(moves)
    sums.write()
    _save_tracks(tracks)


def first_facts(case: Case, was: dict) -> Facts:
    """The facts before a case's first event: as registered (`was` holds what a later `update` has
    changed since, as that event recorded it)."""
    category = case.category_id or 0
    if "category" in was:
        category = Category.objects.filter(code=was["category"]).values_list("pk", flat=True).first() or 0
    return start(was.get("region") or case.region_id, case.stream, category, case.accept_due)


def _save_tracks(tracks: dict[int, Facts]) -> None:
    if _through_copy(len(tracks)):
        json = connection.ops.adapt_json_value
        rows = [(pk, json(f.to_json(), None)) for pk, f in tracks.items()]
        copy_merge(
            CaseTrack,
            ("case_id", "facts"),
            rows,
            'ON CONFLICT ("case_id") DO UPDATE SET facts = excluded.facts',
        )
        return
    CaseTrack.objects.bulk_create(
        [CaseTrack(case_id=pk, facts=f.to_json()) for pk, f in tracks.items()],
        update_conflicts=True,
        unique_fields=["case"],
        update_fields=["facts"],
    )


def registered_as(case_ids: Iterable[int] | None = None) -> dict[int, dict]:
    """Per case, what its first `update` changed, as it was before (the event's `was`)."""
    found: dict[int, dict] = {}
    updates = CaseEvent.objects.filter(action="update").order_by("id")
    if case_ids is not None:
        updates = updates.filter(case_id__in=case_ids)
    for case_id, data in updates.values_list("case_id", "data").iterator():
        for name, value in (data.get("was") or {}).items():
            found.setdefault(case_id, {}).setdefault(name, value)
    return found


class _Event(NamedTuple):
    case_id: int
    action: str
    at: datetime
    from_status: str
    to_status: str
    data: dict
    due: datetime | None


def rebuild(progress: Callable[[int, int], None] | None = None, every: int = 5000) -> int:
    """Recompute every counter and track from the events; returns the number of cases replayed. Cases
    and events are read in two streams ordered by case, so memory stays flat whatever the size."""
    total = Case.objects.count()
    with transaction.atomic():
        for model in (DailyCount, MonthlyCount, StockChange, StockNet, CaseTrack):
            model.objects.all().delete()
        codes, sums, was = Codes((), every=True), Sums(), registered_as()
        events = (
            _Event(*row)
            for row in CaseEvent.objects.order_by("case_id", "id")
            .values_list("case_id", "action", "at", "from_status", "to_status", "data", "due")
            .iterator(chunk_size=every)
        )
        pending = next(events, None)
        done, tracks = 0, {}
        cases = Case.objects.only("region_id", "stream", "category_id", "accept_due").order_by("pk")
        for case in cases.iterator(chunk_size=every):
            if pending is None or pending.case_id != case.pk:
                continue  # no event yet: nothing to count, no track (as the receiver would leave it)
            facts = first_facts(case, was.get(case.pk, {}))
            while pending is not None and pending.case_id == case.pk:
                facts, moves = replay(facts, pending, codes.units, codes.categories)
                sums.add(moves)
                pending = next(events, None)
            tracks[case.pk] = facts
            done += 1
            if done % every == 0:
                sums.write()
                _save_tracks(tracks)
                tracks = {}
                if progress:
                    progress(done, total)
        sums.write()
        _save_tracks(tracks)
        kept.rebuilt()
    if progress and done % every:
        progress(done, total)
    return done
