"""KPI figures (GOVERNANCE §2) on a hand-built county, worked out by hand, as of each period's end."""

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from pingan.accounts.models import RoleGrant, User
from pingan.assessment import selectors
from pingan.cases import actions as a
from pingan.cases.clocks import LOCAL
from pingan.cases.models import Case
from pingan.supervision.actions import supervise
from tests.conftest import PASSWORD, case_body


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=LOCAL)


class World:
    def __init__(self, county):
        self.c = county
        u = county.users
        self.dispatcher, self.handler, self.leader = u["dispatcher"], u["handler"], u["leader"]
        self.supervisor = u["supervisor"]
        self.town_a, self.town_b = county.towns[0], county.towns[1]
        self.centre_a = county.town_unit(self.town_a, "centre")
        self.sfj = county.units["SFJ"]
        self.sfj_handler = User.objects.create_user("sfj", password=PASSWORD)
        RoleGrant.objects.create(user=self.sfj_handler, role="handler", unit=self.sfj)

    def new(self, town, when, stream="dispute", category="D01"):
        village = self.c.villages[town.code][0]
        body = case_body(self.c, stream=stream, category=category, region=village.code)
        return a.create_case(self.dispatcher, body, now=when)

    def through(
        self, case, unit, handler, *, accepted, due, signed, resolved=None, closed=None, outcome=None
    ):
        d = self.dispatcher
        case = a.accept_case(case, by=d, now=accepted)
        case = a.dispatch_case(case, by=d, lead_unit=unit, due=due, now=accepted.replace(minute=50))
        case = a.sign_case(case, by=handler, now=signed)
        if resolved:
            case = a.resolve_case(case, by=handler, outcome=outcome, summary="已办", now=resolved)
        if closed:
            case = a.check_pass(case, by=self.supervisor, now=closed)
        return case


@pytest.fixture
def world(county):
    """c1–c4 and c6 of the comments below, through the real actions at the times given (Asia/Shanghai)."""
    w = World(county)
    d = w.dispatcher
    # c1 town A dispute: accepted on time, led by A's 综治中心 (a town unit), resolved 03-11 before its
    # 交办时限 03-12 17:00, closed 03-11; 回访 satisfied 03-12.
    c1 = w.new(w.town_a, at(3, 3))
    c1 = w.through(
        c1,
        w.centre_a,
        w.handler,
        accepted=at(3, 3, 9, 30),
        due=at(3, 12, 17),
        signed=at(3, 3, 11),
        resolved=at(3, 11, 10),
        closed=at(3, 11, 15),
        outcome="resolved",
    )
    a.follow_up(c1, by=d, satisfaction="satisfied", resolved=True, now=at(3, 12))
    # c2 town A dispute: reported 03-03 09:00, accept due 2 work days later (03-05 09:00), accepted
    # 03-06 (late); due 03-13 17:00, never resolved; 日常督办 from 03-07.
    c2 = w.new(w.town_a, at(3, 3))
    c2 = w.through(c2, w.centre_a, w.handler, accepted=at(3, 6, 10), due=at(3, 13, 17), signed=at(3, 6, 11))
    supervise(c2, by=w.leader, level="routine", requirement="按期报告进展", report_every_days=7, now=at(3, 7))
    # c3 town B dispute: led by 县司法局 (a county unit), resolved 03-19 before its due 03-20, closed
    # 03-24 with outcome "partly"; 回访 dissatisfied 03-25.
    c3 = w.new(w.town_b, at(3, 5))
    c3 = w.through(
        c3,
        w.sfj,
        w.sfj_handler,
        accepted=at(3, 5, 10),
        due=at(3, 20, 17),
        signed=at(3, 5, 11),
        resolved=at(3, 19),
        closed=at(3, 24),
        outcome="partly",
    )
    a.follow_up(c3, by=d, satisfaction="dissatisfied", resolved=False, now=at(3, 25))
    # c4 town B request in February: led by 县司法局, due 02-14 17:00, resolved 02-18 (late), closed 02-19.
    c4 = w.new(w.town_b, at(2, 10), stream="request", category="R02")
    w.through(
        c4,
        w.sfj,
        w.sfj_handler,
        accepted=at(2, 10, 9, 30),
        due=at(2, 14, 17),
        signed=at(2, 10, 11),
        resolved=at(2, 18),
        closed=at(2, 19),
        outcome="resolved",
    )
    # c6 town A request 03-11: a duplicate, merged into c2 the same day.
    c6 = w.new(w.town_a, at(3, 11), stream="request", category="R02")
    a.merge_case(c6, by=d, into=c2.number, now=at(3, 11, 10))
    return w


def figures(user, period, **scope):
    return selectors.kpis(user, period=period, **scope)["values"]


def test_county_month(world):
    v = figures(world.leader, "2025-03")
    assert v == {
        "reported": 4,  # c1 03-03, c2 03-03, c3 03-05, c6 03-11 (c4 is February's)
        "accepted": 3,  # c1, c2, c3
        "accepted_on_time_rate": 0.6667,  # 2 / 3: c2 was accepted after its accept due
        "due": 3,  # closed c1, c3 + c2 open at 03-31 with its due 03-13 in March
        "closed": 2,  # c1 03-11, c3 03-24
        "closed_rate": 0.6667,  # 2 / 3
        "closed_on_time_rate": 0.6667,  # c1, c3 resolved by their dues: 2 / 3
        "overdue_open": 1,  # c2, due 03-13, still in handling on 03-31
        "rework_rate": 0.0,  # 0 check_fail / 2 resolves
        "return_rate": 0.0,  # 0 / 3 dispatches
        "extension_rate": 0.0,
        "satisfaction_rate": 0.5,  # c1 satisfied, c3 dissatisfied: 1 / 2
        "rating_rate": 1.0,  # 2 rated / 2 closed
        "resolution_rate": 0.5,  # disputes closed c1 resolved, c3 partly: 1 / 2
        "local_resolution_rate": 0.5,  # c1 by a town unit, c3 by a county one: 1 / 2
        "backlog_resolution_rate": None,  # no 积案
        "duplicate_rate": 0.25,  # c6 merged / 4 reported
        "supervised_on_time_rate": 0.0,  # c2 supervised and due, not closed: 0 / 1
        "progress_report_rate": None,
    }


def test_town_subtree_week_and_month(world):
    a_code = world.town_a.code
    week = figures(world.leader, "2025-W11", region=a_code)  # 03-10 … 03-16
    assert week == {
        "reported": 1,  # c6 03-11
        "accepted": 0,
        "accepted_on_time_rate": None,
        "due": 2,  # c1 closed 03-11 + c2 open, due 03-13
        "closed": 1,
        "closed_rate": 0.5,
        "closed_on_time_rate": 0.5,
        "overdue_open": 1,  # c2 at the end of 03-16
        "rework_rate": 0.0,  # c1 resolved 03-11, no check_fail
        "return_rate": None,  # no dispatch in the week
        "extension_rate": None,
        "satisfaction_rate": 1.0,  # c1's 回访 03-12
        "rating_rate": 1.0,
        "resolution_rate": 1.0,
        "local_resolution_rate": 1.0,
        "backlog_resolution_rate": None,
        "duplicate_rate": 1.0,  # c6 merged / c6 reported
        "supervised_on_time_rate": 0.0,  # c2
        "progress_report_rate": None,
    }
    month = figures(world.leader, "2025-03", region=a_code)
    assert (month["reported"], month["accepted"], month["accepted_on_time_rate"]) == (3, 2, 0.5)
    assert (month["due"], month["closed"], month["closed_rate"], month["overdue_open"]) == (2, 1, 0.5, 1)
    assert month["duplicate_rate"] == 0.3333  # 1 / 3


def test_unit_quarter(world):
    v = figures(world.leader, "2025-Q1", unit=world.sfj.code)
    assert v == {
        "reported": 0,  # a unit counts what it led: registration comes before dispatch
        "accepted": 0,
        "accepted_on_time_rate": None,
        "due": 2,  # c3, c4 closed in the quarter
        "closed": 2,
        "closed_rate": 1.0,
        "closed_on_time_rate": 0.5,  # c4 was resolved 02-18, after its due 02-14
        "overdue_open": 0,
        "rework_rate": 0.0,
        "return_rate": 0.0,  # 0 / 2 dispatches
        "extension_rate": 0.0,
        "satisfaction_rate": 0.0,  # c3 dissatisfied
        "rating_rate": 0.5,  # 1 rated / 2 closed
        "resolution_rate": 0.0,  # c3 partly (c4 is a request)
        "local_resolution_rate": 0.0,  # a county unit
        "backlog_resolution_rate": None,
        "duplicate_rate": None,
        "supervised_on_time_rate": None,
        "progress_report_rate": None,
    }


def test_an_event_after_the_period_leaves_it_unchanged(world):
    """c2 resolved and closed in April: March still shows it open, due and overdue; April counts it."""
    march = selectors.kpis(world.leader, period="2025-03")
    c2 = Case.objects.get(merged_cases__isnull=False)
    c2 = a.resolve_case(c2, by=world.handler, outcome="resolved", summary="已办", now=at(4, 2))
    a.check_pass(c2, by=world.supervisor, now=at(4, 3))
    assert selectors.kpis(world.leader, period="2025-03") == march
    april = figures(world.leader, "2025-04")
    assert (april["closed"], april["due"], april["closed_on_time_rate"], april["overdue_open"]) == (
        1,
        1,
        0.0,
        0,
    )


def test_an_extension_moves_the_due_to_its_new_period(world):
    """c2's due moved from 03-13 to 04-10 on 03-12: March no longer counts it due or overdue."""
    c2 = Case.objects.get(merged_cases__isnull=False)
    before = figures(world.leader, "2025-03")
    a.request_extension(c2, by=world.handler, reason="需要鉴定", new_due=at(4, 10, 17), now=at(3, 12))
    a.decide_extension(c2, by=world.c.users["unit_head"], approve=True, now=at(3, 12, 10))
    after = figures(world.leader, "2025-03")
    assert (before["due"], before["overdue_open"]) == (3, 1)
    assert (after["due"], after["overdue_open"], after["extension_rate"]) == (2, 0, 0.3333)
    assert figures(world.leader, "2025-04")["due"] == 1  # open, due 04-10


def test_the_sums_of_ended_months_are_kept_until_an_event_is_written_into_one(world):
    """A month that has ended is read from the counters once and then kept (pingan.analytics.kept); a
    back-dated event or a rebuild makes the kept sums stale; the month under way is never kept."""
    from pingan.analytics import selectors as rollups
    from pingan.analytics.models import DailyCount, MonthlyCount

    county = rollups.Where(region=world.c.code)
    first, last = at(3, 1).date(), at(3, 31).date()

    def reported() -> int:
        flows = rollups.sums(county, first, last)[None].flows
        return sum(n for (measure, _, _), n in flows.items() if measure == "reported")

    before = reported()
    assert before == 4  # c1, c2, c3 and c6
    row = MonthlyCount.objects.filter(month=first, measure="reported").first()
    MonthlyCount.objects.filter(pk=row.pk).update(n=F("n") + 10)  # behind the writer's back
    assert reported() == before  # kept, not read again
    world.new(world.town_b, at(3, 20))  # registered back-dated into March: kept sums are stale
    assert reported() == before + 10 + 1
    call_command("rollups", "rebuild", stdout=StringIO())
    assert reported() == before + 1  # the rebuilt counters, not a kept sum
    # Today is read afresh every time.
    today = timezone.localdate()
    this = today.replace(day=1)
    world.new(world.town_a, timezone.now())
    month = (this, (this + timedelta(days=32)).replace(day=1) - timedelta(days=1))
    now_month = rollups.sums(county, *month)
    row = DailyCount.objects.filter(day=today, measure="reported").first()
    DailyCount.objects.filter(pk=row.pk).update(n=F("n") + 5)
    assert rollups.sums(county, *month)[None].flows != now_month[None].flows


def test_a_period_under_way_keeps_the_sums_of_its_ended_days(world, monkeypatch):
    """In a month under way, the days before today are read once and kept; today and later are read on
    every request."""
    from pingan.analytics import kept
    from pingan.analytics import selectors as rollups
    from pingan.analytics.models import DailyCount

    world.new(world.town_a, at(4, 5))
    world.new(world.town_a, at(4, 12))
    monkeypatch.setattr(kept, "today", lambda: at(4, 10).date())
    county = rollups.Where(region=world.c.code)

    def reported() -> int:
        flows = rollups.sums(county, at(4, 1).date(), at(4, 30).date())[None].flows
        return sum(n for (measure, _, _), n in flows.items() if measure == "reported")

    before = reported()
    for day, change in ((5, 0), (12, 10)):  # behind the writer's back: a kept day, then one after today
        row = DailyCount.objects.filter(day=at(4, day).date(), measure="reported").first()
        DailyCount.objects.filter(pk=row.pk).update(n=F("n") + 10)
        assert reported() == before + change


def test_shared_reads_give_the_same_figures_in_fewer_queries(county):
    """The cockpit reads the week, month and quarter under way within `shared_reads`: today's counters
    and the standing stocks are read once for all three, with the same figures as read alone."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pingan.analytics.selectors import shared_reads
    from pingan.core.periods import period_of
    from pingan.demo.generator import generate_cases

    generate_cases(county, 200)
    w = World(county)
    w.new(w.town_a, timezone.now())  # one registered today at least
    leader, today = w.leader, timezone.localdate()
    keys = [period_of(kind, today).key for kind in ("week", "month", "quarter", "year")]
    keys += [period_of("month", today).previous().key]

    def read() -> list:
        alone = [selectors.kpis(leader, period=k, region=county.code) for k in keys]
        return alone + [
            selectors.breakdown(leader, period=k, by=by, region=county.code)
            for k in keys
            for by in ("town", "unit")
        ]

    read()  # what is kept of ended days and months is kept now, for both
    with CaptureQueriesContext(connection) as alone:
        figures = read()
    with CaptureQueriesContext(connection) as shared, shared_reads():
        assert read() == figures
    assert len(shared) < len(alone)
    assert any(f["values"]["reported"] for f in figures[:4])
