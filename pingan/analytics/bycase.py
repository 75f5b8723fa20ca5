"""The rollups' counters case by case: what each case adds to a scope's sums for a run of days.

`pingan.analytics.selectors.sums` reads counters that are sums over cases; a figure's list of cases
(pingan.assessment.behind) needs the terms of that sum. Each candidate case's events are replayed from
its first (track.replay, as the receiver and `rollups rebuild` do) and the moves that fall in the scope
and the days are summed per case, with exactly the rules `sums` reads the counters by. The candidates are
the cases open now and those with an event on or after the first day: a case open at the end of the
period and closed now was closed by such an event, so no case that counts is left out.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import Q

from pingan.cases.clocks import LOCAL
from pingan.cases.models import Case, CaseEvent
from pingan.cases.models.case import OPEN_STATUSES
from pingan.regions.models import Unit

from .rollups import Codes, _Event, first_facts, registered_as
from .selectors import Sums, Where, local_units
from .track import Dims, replay

CHUNK = 2000


def _candidates(where: Where, since: datetime) -> list[int]:
    recent = CaseEvent.objects.filter(at__gte=since).values("case_id")
    qs = Case.objects.filter(Q(status__in=OPEN_STATUSES) | Q(pk__in=recent))
    if where.region:
        # Where a case lies now, or any case an `update` has moved: it may have lain there before.
        moved = CaseEvent.objects.filter(action="update", data__changed__has_key="region").values("case_id")
        qs = qs.filter(Q(region__code__startswith=where.region) | Q(pk__in=moved))
    if where.unit is not None:
        code = Unit.objects.filter(pk=where.unit).values_list("code", flat=True).first()
        led = CaseEvent.objects.filter(action="dispatch", data__lead_unit=code).values("case_id")
        qs = qs.filter(Q(lead_unit_id=where.unit) | Q(pk__in=led))
    if where.stream:
        qs = qs.filter(stream=where.stream)
    return list(qs.order_by("pk").values_list("pk", flat=True))


def _inside(where: Where, dims: Dims) -> bool:
    region, unit, stream, _, _ = dims
    return (
        region.startswith(where.region)
        and (where.unit is None or unit == where.unit)
        and (not where.stream or stream == where.stream)
    )


def sums_by_case(where: Where, first: date, last: date) -> dict[int, Sums]:
    """Per case, its part of `sums(where, first, last)`; cases that add nothing are left out."""
    since = datetime.combine(first, time.min, LOCAL)
    until = datetime.combine(last + timedelta(days=1), time.min, LOCAL)  # events after the end count not
    ids = _candidates(where, since)
    codes = Codes((), every=True)
    out: dict[int, Sums] = defaultdict(Sums)
    closed_by: dict[int, list[int]] = defaultdict(list)  # disputes closed, by unit: 就地化解 needs the unit
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        was = registered_as(chunk)
        events: dict[int, list[_Event]] = defaultdict(list)
        rows = (
            CaseEvent.objects.filter(case_id__in=chunk, at__lt=until)
            .order_by("case_id", "id")
            .values_list("case_id", "action", "at", "from_status", "to_status", "data", "due")
        )
        for row in rows:
            events[row[0]].append(_Event(*row))
        cases = Case.objects.filter(pk__in=chunk).only("region_id", "stream", "category_id", "accept_due")
        for case in cases:
            facts = first_facts(case, was.get(case.pk, {}))
            for e in events.get(case.pk, ()):
                facts, moves = replay(facts, e, codes.units, codes.categories)
                _add(out, closed_by, case.pk, moves, where, first, last)
    local = local_units(set(closed_by))
    for unit, closed in closed_by.items():
        if unit in local:
            for pk in closed:
                out[pk].local_disputes_closed += 1
    return {pk: s for pk, s in out.items() if s.flows or s.stocks or s.local_disputes_closed}


def _add(out, closed_by, pk: int, moves, where: Where, first: date, last: date) -> None:
    for measure, day, dims in moves.flows:
        if first <= day <= last and _inside(where, dims):
            out[pk].flows[(measure, dims[2], dims[4])] += 1
            if measure == "closed" and dims[2] == "dispute":
                closed_by[dims[1]].append(pk)
    for measure, day, due_day, dims, n in moves.stocks:
        if not _inside(where, dims):
            continue
        overdue = measure == "overdue" and due_day <= last
        standing = overdue or (measure == "due" and first <= due_day <= last)
        if (standing and day <= last) or (measure == "backlog" and day < first):
            out[pk].stocks[(measure, dims[4])] += n
