"""包案 and 积案 follow-through (GOVERNANCE §7): the acceptance case on a petition, the leader's desk and
weekly digest, the ledger filters `backlog` and `leader=me`, the 积案 import page, and 积案化解率 on a
hand-built fixture worked out by hand."""

import io
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook

from pingan.assessment import selectors as kpis
from pingan.cases import actions as a
from pingan.cases.clocks import LOCAL
from pingan.cases.models import Case, LeaderAssignment
from pingan.notices.digest import send_leader_digests
from pingan.notices.models import Notification

from .conftest import Api, case_body
from .test_baoan_backlog import TODAY, accepted, assignment, closed, in_progress


def petition(county) -> str:
    d = Api(county.users["dispatcher"])
    body = case_body(county, stream="petition", category="P03", title="村道拓宽征地补偿款未到位")
    number = d.post("/cases", body)[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {"lead_unit": county.town_unit(county.towns[0], "centre").code})
    Api(county.users["handler"]).act(number, "sign")
    return number


def make_late(number, position=1, days=2):
    """A plan step whose due has passed (assign_leader refuses a plan with one)."""
    LeaderAssignment.objects.get(case__number=number, ended_at__isnull=True).steps.filter(
        position=position
    ).update(due=TODAY - timedelta(days=days))


# ---------------------------------------------------------------- the acceptance


def test_a_petition_under_baoan_with_a_three_step_plan_is_archived_only_after_sign_off(county):
    number = petition(county)
    d, leader = Api(county.users["dispatcher"]), Api(county.users["leader"])
    data = d.act(number, "assign_leader", assignment(county, days=(2, 7, 14)))
    assert data["stream"] == "petition" and data["responsible_leader"] == "leader"
    assert LeaderAssignment.objects.get(case__number=number).steps.count() == 3
    for step in (1, 2, 3):
        leader.act(number, "complete_plan_step", {"step": step, "note": f"第{step}步已完成"})
    closed(county, number)
    status, body = d.post(f"/cases/{number}/actions/archive", {})
    assert (status, body["error"]["code"]) == (409, "leader_sign_off_required")
    assert Case.objects.get(number=number).status == "closed"
    leader.act(number, "leader_sign_off", {"note": "诉求已解决，同意销号"})
    assert d.act(number, "archive")["status"] == "archived"


# ---------------------------------------------------------------- the desk and the digest


def test_the_desk_shows_each_steps_state_and_the_cases_state(county, web):
    number = in_progress(county)
    Api(county.users["dispatcher"]).act(number, "assign_leader", assignment(county, days=(0, 5, 9)))
    make_late(number, 1)
    Api(county.users["handler"]).act(number, "complete_plan_step", {"step": 2})
    html = web("leader").get("/").content.decode()
    row = html.split(f'data-case="{number}"')[1].split("</ol>")[0]
    assert "办理中" in row
    assert 'data-state="late">第1步工作' in row and "已逾期" in row
    assert 'data-state="done">第2步工作' in row and "已完成" in row
    assert 'data-state="due">第3步工作' in row and "待完成" in row
    assert 'href="/cases/?leader=me"' in html


def test_the_desk_reads_the_same_few_queries_for_one_case_or_four(county, web):
    client = web("leader")
    first = in_progress(county)
    Api(county.users["dispatcher"]).act(first, "assign_leader", assignment(county))
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for _ in range(3):
        number = in_progress(county)
        Api(county.users["dispatcher"]).act(number, "assign_leader", assignment(county))
    with CaptureQueriesContext(connection) as four:
        html = client.get("/").content.decode()
    assert html.count("data-case=") == 4
    assert len(four) == len(one)


def _monday(hour: int) -> datetime:
    today = timezone.now().astimezone(LOCAL).date()
    monday = today - timedelta(days=today.weekday())
    return datetime(monday.year, monday.month, monday.day, hour, tzinfo=LOCAL)


def test_the_weekly_digest_goes_to_each_baoan_leader_once_a_week(county):
    late, on_time = in_progress(county), in_progress(county)
    d = Api(county.users["dispatcher"])
    d.act(late, "assign_leader", assignment(county, days=(1, 5)))
    d.act(on_time, "assign_leader", assignment(county, days=(3,)))
    make_late(late, 1, days=9)  # late on this week's Monday, whatever today is
    monday = _monday(9)
    assert send_leader_digests(_monday(7)) == 0  # before 08:00 on Monday: last week's went out
    assert send_leader_digests(monday) == 1
    assert send_leader_digests(monday + timedelta(days=2)) == 0  # once a week
    [notice] = Notification.objects.filter(kind="leader_digest")
    assert notice.recipient.username == "leader" and notice.link == "/cases/?leader=me"
    assert "您包案的案件 2 件" in notice.message
    assert f"逾期未完成的工作步骤 1 个：{late} 第1步“第1步工作”" in notice.message
    # Next week again, now with one case signed off (no longer on his desk).
    closed(county, on_time)
    Api(county.users["leader"]).act(on_time, "leader_sign_off", {"note": "同意"})
    assert send_leader_digests(monday + timedelta(days=7)) == 1
    newest = Notification.objects.filter(kind="leader_digest").order_by("-id").first()
    assert "您包案的案件 1 件" in newest.message
    # Nothing to tell a leader without a case under 包案, nor anyone else.
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"leader"}


def test_the_sweep_sends_the_digest(county):
    from pingan.cases.sweep import sweep

    number = in_progress(county)
    Api(county.users["dispatcher"]).act(number, "assign_leader", assignment(county))
    assert sweep(now=_monday(10))["leader_digest"] == 1
    assert sweep(now=_monday(11))["leader_digest"] == 0


# ---------------------------------------------------------------- ledger filters


def test_ledger_filters_backlog_and_my_baoan_cases_alike_in_ui_and_api(county, web):
    d = Api(county.users["dispatcher"])
    backlog, mine, plain = accepted(county), in_progress(county), accepted(county)
    d.act(backlog, "mark_backlog", {"source": "县排查"})
    d.act(mine, "assign_leader", assignment(county))

    def api_numbers(user, **params):
        return {c["number"] for c in Api(county.users[user]).get("/cases", **params)[1]["items"]}

    assert api_numbers("dispatcher", backlog="true") == {backlog}
    assert api_numbers("dispatcher", backlog="1") == {backlog}
    assert api_numbers("dispatcher", backlog="false") == {mine, plain}
    assert api_numbers("leader", leader="me") == {mine}
    assert api_numbers("dispatcher", leader="me") == set()  # not his 包案
    assert api_numbers("dispatcher", open="true") == {backlog, mine, plain}
    status, body = Api(county.users["leader"]).get("/cases", leader="someone")
    assert status == 400 and "leader" in body["error"]["fields"]
    page = web("dispatcher").get("/cases/", {"backlog": "1"}).content.decode()
    assert backlog in page and plain not in page and 'name="backlog" value="true" checked' in page
    page = web("leader").get("/cases/", {"leader": "me"}).content.decode()
    assert mine in page and backlog not in page


# ---------------------------------------------------------------- the import page


def _xlsx(rows) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "积案清单.xlsx"
    return out


def test_the_import_page_marks_pasted_numbers_all_or_nothing(county, web):
    client = web("supervisor")
    a1, a2 = accepted(county), accepted(county)
    Api(county.users["dispatcher"]).act(a2, "mark_backlog", {"source": "县排查"})
    r = client.post("/cases/backlog/import/", {"numbers": f"{a1}\n{a2}，PA-NOPE\n{a1}", "source": "市交办"})
    html = r.content.decode()
    assert r.status_code == 400 and "本次导入未做任何更改" in html
    assert "第 2 行" in html and "该案件已标记为积案" in html and "PA-NOPE" in html
    assert "第 3 行" in html and "编号重复" in html
    assert not Case.objects.get(number=a1).backlog
    r = client.post("/cases/backlog/import/", {"numbers": a1, "source": ""})
    assert r.status_code == 400 and "积案来源" in r.content.decode()
    r = client.post("/cases/backlog/import/", {"numbers": a1, "source": "市信访联席办交办"})
    assert r.status_code == 200 and "已标记 1 件积案" in r.content.decode()
    assert Case.objects.get(number=a1).backlog


def test_the_import_page_reads_an_xlsx_and_reports_by_excel_row(county, web):
    client = web("dispatcher")
    a1, a2 = accepted(county), accepted(county)
    bad = _xlsx([["序号", "案件编号"], [1, a1], [2, None], [3, a2]])
    r = client.post("/cases/backlog/import/", {"file": bad, "source": "市交办"})
    html = r.content.decode()
    assert r.status_code == 400 and "Excel 第 3 行" in html and "缺少案件编号" in html
    assert not Case.objects.filter(backlog=True).exists()
    r = client.post("/cases/backlog/import/", {"file": _xlsx([["编号"], [a1], [a2]]), "source": "市交办"})
    assert r.status_code == 200 and "已标记 2 件积案" in r.content.decode()
    no_column = _xlsx([["标题"], ["某事"]])
    r = client.post("/cases/backlog/import/", {"file": no_column, "source": "市交办"})
    assert r.status_code == 400 and "案件编号" in r.content.decode()


def test_only_dispatchers_and_supervisors_open_the_import_page(county, web):
    assert web("dispatcher").get("/cases/backlog/import/").status_code == 200
    assert web("supervisor").get("/cases/backlog/import/").status_code == 200
    for username in ("handler", "leader", "grid_worker"):
        assert web(username).get("/cases/backlog/import/").status_code == 403, username


# ---------------------------------------------------------------- 积案化解率 by hand


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=LOCAL)


@pytest.fixture
def backlog_world(county):
    """Six 积案 and one ordinary case in 2025, through the real actions at the times given:

    | case | marked 积案 | closed (answer) |
    |------|-------------|-----------------|
    | b1   | 02-10       | 03-05           |
    | b2   | 02-12       | still open      |
    | b5   | 02-06       | 02-20           |
    | b3   | 03-10       | 03-20           |
    | b4   | 03-15       | still open      |
    | b6   | 04-02       | 04-03           |
    | n1   | never       | 03-06           |
    """
    d = county.users["dispatcher"]
    village = county.villages[county.towns[0].code][0]

    def case(created, marked, answered):
        c = a.create_case(d, case_body(county, region=village.code), now=created)
        c = a.accept_case(c, by=d, now=created + timedelta(hours=1))
        if marked:
            c = a.mark_backlog(c, by=d, source="县信访联席会议认定", now=marked)
        if answered:
            c = a.answer_case(c, by=d, summary="已化解", outcome="resolved", now=answered)
        return c

    case(at(2, 3), at(2, 10), at(3, 5))  # b1
    case(at(2, 4), at(2, 12), None)  # b2
    case(at(2, 5), at(2, 6), at(2, 20))  # b5
    case(at(3, 2), at(3, 10), at(3, 20))  # b3
    case(at(3, 3), at(3, 15), None)  # b4
    case(at(3, 4), None, at(3, 6))  # n1
    case(at(4, 1), at(4, 2), at(4, 3))  # b6
    return county


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        # February: none open at its start; b1, b2, b5 became 积案; b5 closed → 1 ÷ (0 + 3).
        ("2025-02", 0.3333),
        # March: b1, b2 open at its start; b3, b4 became 积案; b1, b3 closed → 2 ÷ (2 + 2). n1 is no 积案.
        # b6 (April) leaves March as it was: figures are as of the period end.
        ("2025-03", 0.5),
        # The quarter: none at its start; b1, b2, b5, b3, b4 became 积案; b5, b1, b3 closed → 3 ÷ 5.
        ("2025-Q1", 0.6),
        # April: b2, b4 open at its start; b6 became 积案 and closed → 1 ÷ (2 + 1).
        ("2025-04", 0.3333),
        # January: no 积案 at all → null, never 0 %.
        ("2025-01", None),
    ],
)
def test_backlog_resolution_rate_on_a_hand_built_fixture(backlog_world, period, expected):
    values = kpis.kpis(backlog_world.users["leader"], period=period)["values"]
    assert values["backlog_resolution_rate"] == expected
