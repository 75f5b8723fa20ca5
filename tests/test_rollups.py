"""The rollups: kept by the event writer in its transaction, and rebuilt from events to the same counters."""

import importlib
import random
from collections import Counter
from datetime import date, datetime, timedelta

from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pingan.analytics.models import (
    DIMENSIONS,
    MONTH_DIMENSIONS,
    CaseTrack,
    DailyCount,
    MonthlyCount,
    StockChange,
    StockNet,
)
from pingan.analytics.rollups import keep_rollups
from pingan.cases import events as writer
from pingan.cases.clocks import LOCAL
from pingan.cases.models import Case, CaseEvent, Category
from pingan.cases.models.case import ended_step

MIDNIGHT = datetime(2025, 3, 31, 0, 0, tzinfo=LOCAL)  # 2025-03-30 16:00 UTC
EDGES = (timedelta(0), timedelta(seconds=-1), timedelta(seconds=1), timedelta(hours=16))


def months_from_days() -> list:
    """The daily counters summed by month, as the monthly counters should hold them."""
    summed: Counter = Counter()
    for day, measure, region, unit, stream, supervised, n in DailyCount.objects.values_list(
        "day", "measure", "region", "unit", "stream", "supervised", "n"
    ):
        summed[(day.replace(day=1), measure, region, unit, stream, supervised)] += n
    return sorted((*k, n) for k, n in summed.items() if n)


def months() -> list:
    return sorted(MonthlyCount.objects.exclude(n=0).values_list("month", "measure", *MONTH_DIMENSIONS, "n"))


def counters() -> tuple[list, list, list, list, dict]:
    flows = sorted(
        DailyCount.objects.exclude(n=0).values_list(
            "day", "measure", "region", "unit", "stream", "category", "supervised", "n"
        )
    )
    stocks = sorted(
        StockChange.objects.exclude(n=0).values_list(
            "measure", "due_day", "day", "region", "unit", "stream", "category", "supervised", "n"
        )
    )
    net = sorted(StockNet.objects.values_list("measure", "due_day", *DIMENSIONS, "n"))
    return flows, stocks, net, months(), dict(CaseTrack.objects.values_list("case_id", "facts"))


# ---------------------------------------------------------------- random histories

# The moves of the walk: from a state, an action, the state it leads to, and the data it carries.
MOVES = {
    "reported": ["accept", "reject", "merge", "withdraw", "update", "supervise"],
    "accepted": ["dispatch", "answer", "merge", "withdraw", "update"],
    "dispatched": ["sign", "return", "extend", "withdraw", "supervise"],
    "in_progress": ["resolve", "suspend", "extend", "withdraw", "return"],
    "suspended": ["resume"],
    "resolved": ["check_pass", "check_fail"],
    "closed": ["follow_up", "reopen", "archive"],
}
TARGET = {
    "accept": ("accept", "accepted"),
    "reject": ("reject", "rejected"),
    "merge": ("merge", "merged"),
    "withdraw": ("withdraw", "withdrawn"),
    "update": ("update", None),
    "supervise": ("supervise", None),
    "dispatch": ("dispatch", "dispatched"),
    "answer": ("answer", "closed"),
    "sign": ("sign", "in_progress"),
    "return": ("decide_return", "accepted"),
    "extend": ("decide_extension", None),
    "resolve": ("resolve", "resolved"),
    "suspend": ("decide_suspension", "suspended"),
    "resume": ("resume", "in_progress"),
    "check_pass": ("check_pass", "closed"),
    "check_fail": ("check_fail", "in_progress"),
    "follow_up": ("follow_up", None),
    "reopen": ("reopen", "in_progress"),
    "archive": ("archive", "archived"),
}


def moment(rng: random.Random, around: datetime) -> datetime:
    """A time near a local midnight: 23:59:59 and 00:00:00 fall on different days (and UTC days)."""
    days = timedelta(days=rng.randint(-3, 6))
    return around.replace(hour=0, minute=0, second=0) + days + rng.choice(EDGES)


def history(rng: random.Random, case: Case, units: list[str], regions: list[str], categories: list[str]):
    """A legal random life of `case` as the event writer's NewEvents; some events back-dated (late)."""
    t, status, new = case.reported_at, "", []
    first_region, first_category = case.region_id, case.category.code if case.category else None
    region, category = first_region, first_category

    def add(action: str, to: str | None, data: dict | None = None, due: datetime | None = None) -> None:
        nonlocal status
        to = to or status
        step = ended_step(status, to)
        new.append(writer.NewEvent(case, action, "tester", t, status, to, data or {}, due if step else None))
        status = to

    add("create", "reported", {"stream": case.stream})
    for _ in range(rng.randint(0, 9)):
        if status not in MOVES:
            break
        move = rng.choice(MOVES[status])
        action, to = TARGET[move]
        # Mostly forward in time; one event in five back-dated by up to two days (a late entry).
        t = t - timedelta(days=rng.randint(0, 2)) if rng.random() < 0.2 else moment(rng, t)
        due = moment(rng, t)
        data: dict = {}
        if move == "accept":
            data = {
                "resolve_due": moment(rng, t),
                **({"supervision": "listed"} if rng.random() < 0.2 else {}),
            }
        elif move == "update":
            was = {"region": region, "category": category}
            region, category = rng.choice(regions), rng.choice(categories)
            data = {"changed": {"region": region, "category": category}, "was": was}
        elif move == "supervise":
            data = {"level": rng.choice(["routine", "listed"])}
        elif move == "dispatch":
            data = {"lead_unit": rng.choice(units), "sign_due": moment(rng, t)}
            if rng.random() < 0.4:
                data |= {"due": moment(rng, t), "limit_due": moment(rng, t)}
        elif move == "answer" or move == "resolve":
            data = {"outcome": rng.choice(["resolved", "partly", "explained"]), "check_due": moment(rng, t)}
        elif move == "return":
            data = {"decision": "approve"}
        elif move == "extend":
            data = {"decision": rng.choice(["approve", "deny"]), "new_due": moment(rng, t)}
        elif move in ("resume", "reopen"):
            data = {"resolve_due": moment(rng, t)}
        elif move == "follow_up":
            data = {"satisfaction": rng.choice(["satisfied", "basically", "dissatisfied"])}
        add(action, to, data, due)
    return new, region, category


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False))
def test_rebuild_equals_incremental_on_random_histories(county, rng):
    """Random legal histories, written in one to three transactions per case, some events back-dated,
    many at 23:59:59 or 00:00:00 local: `rollups rebuild` leaves exactly the counters the writer kept."""
    units = [u.code for u in county.units.values()][:4]
    villages = [county.villages[t.code][0].code for t in county.towns]
    regions = [*villages, county.grids[villages[0]][0].code]  # a grid counts under its village
    categories = list(Category.objects.filter(stream="dispute").values_list("code", flat=True)[:3])
    category = Category.objects.get(code=categories[0])
    for i in range(rng.randint(1, 4)):
        reported = moment(rng, MIDNIGHT)
        case = Case.objects.create(
            number=f"T-{Case.objects.count() + 1}-{i}",
            stream="dispute",
            category=category,
            title="t",
            region_id=rng.choice(regions),
            reported_at=reported,
            accept_due=moment(rng, reported),
        )
        new, region, cat = history(rng, case, units, regions, categories)
        cuts = sorted({len(new), *rng.sample(range(1, len(new) + 1), min(len(new), rng.randint(0, 2)))})
        start = 0
        for cut in cuts:
            with transaction.atomic():
                writer.write_many(new[start:cut])
            start = cut
        Case.objects.filter(pk=case.pk).update(region_id=region, category=Category.objects.get(code=cat))
    kept = counters()
    assert kept[3] == months_from_days()  # the months hold their days, summed over categories
    call_command("rollups", "rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert counters() == kept


def test_progress_reports_count_by_event_name(county):
    """督办 progress reports (the supervision records' events) count by name: on time ÷ owed."""
    village = county.villages[county.towns[0].code][0]
    case = Case.objects.create(number="T-1", stream="petition", title="t", region=village)
    t = MIDNIGHT

    def event(action, data=None, at=t):
        return CaseEvent(
            case=case, action=action, at=at, from_status="reported", to_status="reported", data=data or {}
        )

    keep_rollups(None, [event("create")])
    keep_rollups(
        None, [event("report_progress", {"on_time": True}), event("report_progress", {"on_time": False})]
    )
    keep_rollups(
        None, [event("progress_late"), event("report_progress", {"on_time": True}, t - timedelta(days=1))]
    )
    day = dict(DailyCount.objects.filter(day=t.date()).values_list("measure", "n"))
    # On time: owed and on time. Late: owed through its progress_late mark only, never twice.
    assert (day["progress_owed"], day["progress_on_time"]) == (2, 1)
    from pingan.assessment.selectors import kpis

    values = kpis(county.users["leader"], period="2025-03")["values"]
    assert values["progress_report_rate"] == 0.6667  # 2 on time ÷ 3 owed in March


def test_backlog_counts_open_and_closed_backlog_cases(county):
    """积案 are marked by `mark_backlog`: rate = closed in the period ÷ (open at its start + entered)."""
    village = county.villages[county.towns[0].code][0]
    cases = [
        Case.objects.create(number=f"T-{i}", stream="petition", title="t", region=village) for i in range(3)
    ]

    def e(case, action, at, frm, to):
        return CaseEvent(case=case, action=action, at=at, from_status=frm, to_status=to, data={})

    feb, mar = datetime(2025, 2, 3, 10, tzinfo=LOCAL), datetime(2025, 3, 3, 10, tzinfo=LOCAL)
    for case in cases:
        keep_rollups(
            None, [e(case, "create", feb, "", "reported"), e(case, "accept", feb, "reported", "accepted")]
        )
    keep_rollups(None, [e(cases[0], "mark_backlog", feb, "accepted", "accepted")])  # open 积案 from February
    keep_rollups(None, [e(cases[1], "mark_backlog", mar, "accepted", "accepted")])  # enters in March
    keep_rollups(None, [e(cases[0], "answer", mar, "accepted", "closed")])  # closed in March
    from pingan.assessment.selectors import kpis

    leader = county.users["leader"]
    assert kpis(leader, period="2025-02")["values"]["backlog_resolution_rate"] == 0.0  # 0 ÷ 1
    assert kpis(leader, period="2025-03")["values"]["backlog_resolution_rate"] == 0.5  # 1 ÷ (1 + 1)
    assert kpis(leader, period="2025-04")["values"]["backlog_resolution_rate"] == 0.0  # 0 ÷ 1 still open


def test_a_late_event_that_keeps_the_state_does_not_bring_back_an_old_one(county):
    """A 并入 noted late on a master case names the state of its day: the closed case stays closed."""
    village = county.villages[county.towns[0].code][0]
    case = Case.objects.create(number="T-1", stream="request", title="t", region=village)
    t = MIDNIGHT - timedelta(days=20)

    def e(action, frm, to, data=None, days=0):
        at = t + timedelta(days=days)
        return CaseEvent(case=case, action=action, at=at, from_status=frm, to_status=to, data=data or {})

    keep_rollups(None, [e("create", "", "reported"), e("accept", "reported", "accepted", {"resolve_due": t})])
    keep_rollups(None, [e("answer", "accepted", "closed", days=2)])
    keep_rollups(None, [e("merged_in", "accepted", "accepted", days=1)])
    assert CaseTrack.objects.get(case=case).facts["status"] == "closed"
    assert not StockNet.objects.exists()  # nothing open, nothing due, nothing overdue


def test_migrating_fills_the_monthly_counters_from_the_daily_ones(county):
    """A database kept before the monthly counters gets them from its daily counters on migrating,
    without a rebuild: two categories and two days of one month become one row."""
    from django.apps import apps

    migration = importlib.import_module("pingan.analytics.migrations.0002_monthly_counts")
    village = county.villages[county.towns[0].code][0].code
    for day, category, n in ((date(2025, 3, 1), 1, 2), (date(2025, 3, 31), 2, 3), (date(2025, 4, 1), 1, 4)):
        DailyCount.objects.create(
            day=day, measure="reported", region=village, unit=0, stream="dispute", category=category, n=n
        )
    migration.sum_daily_counts(apps, None)
    assert months() == [
        (date(2025, 3, 1), "reported", village, 0, "dispute", False, 5),
        (date(2025, 4, 1), "reported", village, 0, "dispute", False, 4),
    ]
