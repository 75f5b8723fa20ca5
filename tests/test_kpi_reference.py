"""The KPI engine reads rollups; here the same figures come from a plain scan of every case's events,
on a seeded demo county, for several scopes and periods, and must agree."""

from collections import Counter
from datetime import date, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from pingan.accounts.models import User
from pingan.analytics import selectors as rollups
from pingan.analytics.selectors import Sums
from pingan.assessment.kpis import values
from pingan.assessment.selectors import kpis
from pingan.cases.clocks import LOCAL
from pingan.cases.models import Case, CaseEvent
from pingan.core.periods import parse_period
from pingan.regions.models import Unit

RESOLVE_STATES = ("accepted", "dispatched", "in_progress")
CLOCK = {"reported": "accept", "dispatched": "sign", "resolved": "check"}


def _dt(value):
    return None if not value else value if isinstance(value, datetime) else datetime.fromisoformat(value)


def lives(case, events, codes):
    """(event, state before, state after) for each event, where a state holds the lead unit, 督办, the
    status, the clocks' dues, and the last resolve's lateness and outcome."""
    st = {
        "unit": 0,
        "sup": False,
        "status": "",
        "accept": case.accept_due,
        "sign": None,
        "resolve": None,
        "check": None,
        "limit": None,
        "late": False,
        "outcome": "",
        "backlog": False,
    }
    for e in events:
        before = dict(st)
        d = e.data
        st["status"] = e.to_status if e.to_status != e.from_status else st["status"]
        if e.action == "accept":
            st["resolve"] = _dt(d.get("resolve_due"))
            st["sup"] = st["sup"] or bool(d.get("supervision"))
        if e.action == "dispatch":
            st["unit"], st["sign"] = codes.get(d.get("lead_unit") or "", 0), _dt(d.get("sign_due"))
            st["limit"] = _dt(d.get("limit_due")) if d.get("due") else None
            st["resolve"] = _dt(d["due"]) if d.get("due") else st["resolve"]
        if e.action == "decide_return" and e.to_status == "accepted":
            st["unit"] = 0
            if st["limit"]:
                st["resolve"] = max(st["limit"], st["resolve"] or st["limit"])
        if e.action == "decide_extension" and d.get("decision") == "approve":
            st["resolve"] = _dt(d["new_due"])
        if e.action in ("resume", "reopen") and d.get("resolve_due"):
            st["resolve"] = _dt(d["resolve_due"])
        if e.action == "resolve":
            st["check"] = _dt(d.get("check_due"))
        if e.action in ("resolve", "answer"):
            st["late"], st["outcome"] = bool(e.due and e.at > e.due), d.get("outcome")
        if e.action == "supervise":
            st["sup"] = bool(d.get("level"))
        if e.action == "mark_backlog":
            st["backlog"] = True
        yield e, before, dict(st)


OPEN = ("reported", "accepted", "dispatched", "in_progress", "suspended", "resolved")


def open_backlog(state) -> bool:
    """积案 still open: what 积案化解率 counts at a period's start and as it enters one."""
    return bool(state and state["backlog"] and state["status"] in OPEN)


def histories():
    """Every case with its events replayed, once for all the scopes and periods."""
    codes = dict(Unit.objects.values_list("code", "pk"))
    events: dict[int, list] = {}
    for e in CaseEvent.objects.order_by("id"):
        events.setdefault(e.case_id, []).append(e)
    return [
        (case, events.get(case.pk, []), list(lives(case, events.get(case.pk, []), codes)), codes)
        for case in Case.objects.all()
    ]


def scan(cases, where, first, last) -> Sums:
    """Counter sums by walking every case's events: what happened in [start, end), and where each case
    stood at `end` (its events dated before then, replayed: a 并入 noted later on a master case, say,
    dated before `end`, brings nothing of what happened to the master after `end`)."""
    start = datetime.combine(first, time(), LOCAL)
    end = datetime.combine(last + timedelta(days=1), time(), LOCAL)
    local = {pk for pk, region in Unit.objects.values_list("pk", "region_id") if len(region) >= 9}
    out = Sums(Counter(), Counter())

    def inside(unit):
        return (
            case.region_id.startswith(where.get("region", ""))
            and ("unit" not in where or unit == where["unit"])
            and case.stream == where.get("stream", case.stream)
        )

    for case, events, life, codes in cases:
        before_end = list(lives(case, [e for e in events if e.at < end], codes))
        standing = before_end[-1][2] if before_end else None
        before_start = [s for e, _, s in before_end if e.at < start]
        if open_backlog(before_start[-1] if before_start else None):
            at_start = before_start[-1]
            if inside(at_start["unit"]):
                out.stocks[("backlog", at_start["sup"])] += 1
        for e, b, a in life:
            if not (start <= e.at < end):
                continue
            k, unit = (case.stream, a["sup"]), a["unit"]
            names = {
                "create": ["reported"],
                "accept": ["accepted"] + ([] if e.due and e.at > e.due else ["accepted_on_time"]),
                "dispatch": ["dispatched"],
                "resolve": ["resolved"],
                "check_fail": ["reworked"],
                "merge": ["merged"],
                "progress_late": ["progress_owed"],
            }.get(e.action, [])
            if e.action == "report_progress" and e.data.get("on_time"):
                names = ["progress_owed", "progress_on_time"]
            if e.action == "decide_return" and e.to_status == "accepted":
                names, unit, k = ["returned"], b["unit"], (case.stream, b["sup"])
            if e.action == "decide_extension" and e.data.get("decision") == "approve":
                names = ["extended"]
            if e.action in ("check_pass", "answer"):
                names = ["closed"] + ([] if a["late"] else ["closed_on_time"])
                names += ["closed_resolved"] if a["outcome"] == "resolved" else []
                if case.stream == "dispute" and unit in local and inside(unit):
                    out.local_disputes_closed += 1
            satisfaction = e.data.get("satisfaction") if e.action == "follow_up" else None
            if satisfaction:
                names = ["rated"] + (["satisfied"] if satisfaction != "dissatisfied" else [])
            if open_backlog(a) and not open_backlog(b):
                names = [*names, "backlog_entered"]
            closing = e.action in ("check_pass", "answer")
            if closing and open_backlog(b) and not open_backlog(a) and inside(b["unit"]):
                out.flows[("backlog_closed", case.stream, b["sup"])] += 1
            if inside(unit):
                for name in names:
                    out.flows[(name, *k)] += 1
        if standing is None or standing["status"] not in (
            "reported",
            *RESOLVE_STATES,
            "resolved",
            "suspended",
        ):
            continue
        if not inside(standing["unit"]):
            continue
        status = standing["status"]
        running = [standing[CLOCK[status]]] if status in CLOCK else []
        running += [standing["resolve"]] if status in RESOLVE_STATES else []
        running = [d for d in running if d]
        if running and min(running) < end:
            out.stocks[("overdue", standing["sup"])] += 1
        if status != "suspended" and standing["resolve"] and start <= standing["resolve"] < end:
            out.stocks[("due", standing["sup"])] += 1
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_figures_equal_a_plain_event_scan_on_the_demo(db, seed):
    call_command("seed", "--cases", "600", "--towns", "3", "--seed", str(seed), stdout=StringIO())
    leader = User.objects.get(username="leader")
    this_year = timezone.localdate().year
    town = Case.objects.order_by("pk").first().region_id[:9]
    unit = Unit.objects.get(code=f"{town}-ZZZX")
    county_unit = Unit.objects.get(code="990122-SFJ")
    periods = [
        f"{this_year}",
        f"{this_year}-Q2",
        f"{this_year - 1}-11",
        f"{this_year}-W10",
        f"{this_year}-03",
    ]
    checked, cases = 0, histories()
    for period in periods:
        p = parse_period(period)
        for scope, where in (
            ({}, {"region": "990122"}),
            ({"region": town}, {"region": town}),
            ({"region": town, "stream": "dispute"}, {"region": town, "stream": "dispute"}),
            ({"unit": unit.code}, {"unit": unit.pk}),
            ({"unit": county_unit.code}, {"unit": county_unit.pk}),
        ):
            expected = values(scan(cases, where, p.first, p.last))
            assert kpis(leader, period=period, **scope)["values"] == expected, (period, scope)
            checked += expected["reported"] + expected["closed"] + expected["overdue_open"]
    assert checked > 500  # the scopes and periods hold real numbers, not empty ones
    # Spans that are not one period (the cockpit's quarter to date): whole months read from the monthly
    # counters, the days at either end from the daily ones, and the sum is the same.
    for first, last in (
        (date(this_year, 2, 10), date(this_year, 5, 20)),
        (date(this_year - 1, 12, 31), date(this_year, 2, 1)),
        (date(this_year - 1, 11, 1), date(this_year - 1, 12, 15)),
    ):
        found = rollups.sums(rollups.Where(region="990122"), first, last).get(None) or rollups.Sums()
        assert values(found) == values(scan(cases, {"region": "990122"}, first, last)), (first, last)
