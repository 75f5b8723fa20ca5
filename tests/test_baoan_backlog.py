"""包案 and 积案 (GOVERNANCE §7): assign_leader, plan steps, leader_sign_off before archive, mark_backlog,
the import of a list of numbers, the leader's desk and 积案化解率."""

from datetime import timedelta

from django.utils import timezone

from pingan.accounts.models import RoleGrant, User
from pingan.cases.clocks import LOCAL
from pingan.cases.models import Case, CaseEvent, LeaderAssignment

from .conftest import JPEG, Api, case_body

TODAY = timezone.now().astimezone(LOCAL).date()


def plan(*days):
    return [{"step": f"第{i}步工作", "due": str(TODAY + timedelta(days=d))} for i, d in enumerate(days, 1)]


def assignment(county, days=(3, 10, 20)):
    return {
        "leader": "leader",
        "team_units": [county.town_unit(county.towns[0], "centre").code],
        "plan": plan(*days),
    }


def accepted(county) -> str:
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county))[1]["number"]
    d.act(number, "accept")
    return number


def in_progress(county) -> str:
    number = accepted(county)
    Api(county.users["dispatcher"]).act(number, "dispatch", {})
    Api(county.users["handler"]).act(number, "sign")
    return number


def closed(county, number):
    h = Api(county.users["handler"])
    att = h.upload(number, JPEG)[1]
    h.act(number, "resolve", {"outcome": "resolved", "summary": "已修复", "evidence": [att["id"]]})
    Api(county.users["supervisor"]).act(number, "check_pass")


def test_a_leader_takes_a_case_with_team_and_three_step_plan(county):
    number = in_progress(county)
    data = Api(county.users["dispatcher"]).act(number, "assign_leader", assignment(county))
    assert data["responsible_leader"] == "leader" and data["leader_signed_off_at"] is None
    a = LeaderAssignment.objects.get(case__number=number)
    assert [(s.position, s.text, s.due) for s in a.steps.all()] == [
        (1, "第1步工作", TODAY + timedelta(days=3)),
        (2, "第2步工作", TODAY + timedelta(days=10)),
        (3, "第3步工作", TODAY + timedelta(days=20)),
    ]
    assert [u.code for u in a.team_units.all()] == [county.town_unit(county.towns[0], "centre").code]
    e = CaseEvent.objects.get(case__number=number, action="assign_leader")
    assert e.actor == "dispatcher" and e.data["leader"] == "leader" and len(e.data["plan"]) == 3
    assert Case.objects.get(number=number).responsible_leader.username == "leader"


def test_who_may_assign_and_who_may_be_assigned(county):
    number = in_progress(county)
    for username in ("handler", "leader", "unit_head"):
        status, body = Api(county.users[username]).post(
            f"/cases/{number}/actions/assign_leader", assignment(county)
        )
        assert (status, body["error"]["code"]) == (403, "forbidden"), username
    sup = Api(county.users["supervisor"])
    url = f"/cases/{number}/actions/assign_leader"
    # The leader must hold the leader role over the case's region: a leader of another town does not.
    other = User.objects.create_user("town2_leader", full_name="李镇长")
    RoleGrant.objects.create(user=other, role="leader", region=county.towns[1])
    status, body = sup.post(url, {**assignment(county), "leader": "town2_leader"})
    assert (status, body["error"]["code"]) == (400, "not_a_leader") and "李镇长" in body["error"]["message"]
    status, body = sup.post(url, {**assignment(county), "leader": "handler"})
    assert body["error"]["code"] == "not_a_leader"
    status, body = sup.post(url, {**assignment(county), "leader": "nobody"})
    assert (status, body["error"]["code"]) == (400, "invalid") and "nobody" in body["error"]["fields"][
        "leader"
    ]
    status, body = sup.post(url, assignment(county, days=(-1, 5)))
    assert (status, body["error"]["code"]) == (400, "plan_due_passed")
    assert body["error"]["fields"] == {"plan.0.due": "不能早于今天"}
    status, body = sup.post(url, {**assignment(county), "plan": []})
    assert (status, body["error"]["code"]) == (400, "invalid") and "plan" in body["error"]["fields"]
    status, body = sup.post(url, {**assignment(county), "team_units": ["NOPE"]})
    assert status == 400 and "NOPE" in body["error"]["fields"]["team_units"]
    assert not LeaderAssignment.objects.exists()  # no half-written record
    assert sup.act(number, "assign_leader", assignment(county))["responsible_leader"] == "leader"


def test_archive_is_refused_until_the_leader_signs_off(county):
    number = in_progress(county)
    Api(county.users["dispatcher"]).act(number, "assign_leader", assignment(county))
    leader, handler = Api(county.users["leader"]), Api(county.users["handler"])
    assert leader.act(number, "complete_plan_step", {"step": 1, "note": "已约谈"})["status"] == "in_progress"
    handler.act(number, "complete_plan_step", {"step": 2})
    status, body = handler.post(f"/cases/{number}/actions/complete_plan_step", {"step": 2})
    assert (status, body["error"]["code"]) == (409, "step_done")
    status, body = handler.post(f"/cases/{number}/actions/complete_plan_step", {"step": 9})
    assert status == 400 and "第 9 步" in body["error"]["fields"]["step"]
    closed(county, number)
    d = Api(county.users["dispatcher"])
    status, body = d.post(f"/cases/{number}/actions/archive", {})
    assert (status, body["error"]["code"]) == (409, "leader_sign_off_required")
    assert "包案领导签字销号" in body["error"]["message"]
    assert "archive" not in d.get(f"/cases/{number}")[1]["allowed_actions"]
    # Only the case's own 包案 leader signs off; another county leader may not.
    other = User.objects.create_user("deputy", full_name="副县长")
    RoleGrant.objects.create(user=other, role="leader", region_id=county.code)
    status, body = Api(other).post(f"/cases/{number}/actions/leader_sign_off", {"note": "同意"})
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = leader.post(f"/cases/{number}/actions/leader_sign_off", {"note": ""})
    assert status == 400 and "note" in body["error"]["fields"]
    data = leader.act(number, "leader_sign_off", {"note": "问题已化解，同意销号"})
    assert data["leader_signed_off_at"] is not None
    assert CaseEvent.objects.get(case__number=number, action="leader_sign_off").data["open_steps"] == [3]
    status, body = leader.post(f"/cases/{number}/actions/leader_sign_off", {"note": "再签"})
    assert (status, body["error"]["code"]) == (409, "invalid_transition")
    assert d.act(number, "archive")["status"] == "archived"


def test_a_case_without_baoan_archives_as_before(county):
    number = in_progress(county)
    closed(county, number)
    assert Api(county.users["dispatcher"]).act(number, "archive")["status"] == "archived"


def test_reopening_needs_a_new_sign_off(county):
    number = in_progress(county)
    Api(county.users["dispatcher"]).act(number, "assign_leader", assignment(county))
    closed(county, number)
    Api(county.users["leader"]).act(number, "leader_sign_off", {"note": "同意"})
    data = Api(county.users["dispatcher"]).act(number, "reopen", {"reason": "群众不满意"})
    assert data["leader_signed_off_at"] is None
    assert LeaderAssignment.objects.get(case__number=number).signed_off_at is None


def test_mark_backlog_roles_fields_and_once(county):
    number = in_progress(county)
    for username in ("handler", "leader"):
        status, body = Api(county.users[username]).post(
            f"/cases/{number}/actions/mark_backlog", {"source": "县排查"}
        )
        assert (status, body["error"]["code"]) == (403, "forbidden"), username
    d = Api(county.users["dispatcher"])
    status, body = d.post(f"/cases/{number}/actions/mark_backlog", {"note": "无来源"})
    assert status == 400 and "source" in body["error"]["fields"]
    assert d.act(number, "mark_backlog", {"source": "市信访联席办交办", "note": "三年未化解"})["backlog"]
    e = CaseEvent.objects.get(case__number=number, action="mark_backlog")
    assert e.data == {"source": "市信访联席办交办", "note": "三年未化解"}
    status, body = d.post(f"/cases/{number}/actions/mark_backlog", {"source": "再标"})
    assert (status, body["error"]["code"]) == (409, "already_backlog")


def test_backlog_resolution_rate_matches_a_hand_count(county):
    """Three accepted cases; two marked 积案 this month, one of them answered: 1 ÷ (0 + 2) = 0.5."""
    d = Api(county.users["dispatcher"])
    a, b, c = accepted(county), accepted(county), accepted(county)
    d.act(a, "mark_backlog", {"source": "县排查"})
    d.act(b, "mark_backlog", {"source": "县排查"})
    d.act(a, "answer", {"summary": "已当面答复并化解", "outcome": "resolved"})
    d.act(c, "answer", {"summary": "已答复", "outcome": "explained"})  # not a 积案: not counted
    period = timezone.now().astimezone(LOCAL).strftime("%Y-%m")
    status, body = Api(county.users["leader"]).get("/kpis", period=period)
    assert status == 200 and body["values"]["backlog_resolution_rate"] == 0.5


def test_import_is_all_or_nothing_with_a_reason_per_number(county):
    d = Api(county.users["dispatcher"])
    a, b = accepted(county), accepted(county)
    d.act(b, "mark_backlog", {"source": "县排查"})
    status, body = d.post("/backlog/import", {"numbers": [a, b, "PA-NOPE", a], "source": "市交办"})
    assert (status, body["error"]["code"]) == (400, "import_failed")
    assert body["error"]["fields"] == {
        f"numbers.{b}": "该案件已标记为积案。",
        "numbers.PA-NOPE": "未找到该记录，或您无权查看。",
        f"numbers.{a}": "编号重复",
    }
    assert not Case.objects.get(number=a).backlog  # nothing of the list was marked
    assert not CaseEvent.objects.filter(case__number=a, action="mark_backlog").exists()
    status, body = Api(county.users["handler"]).post("/backlog/import", {"numbers": [a], "source": "x"})
    assert status == 400 and "您无权" in body["error"]["fields"][f"numbers.{a}"]
    c = accepted(county)
    status, body = d.post("/backlog/import", {"numbers": [a, c], "source": "市信访联席办交办"})
    assert status == 200 and body == {"marked": [a, c]}
    assert set(Case.objects.filter(backlog=True).values_list("number", flat=True)) == {a, b, c}
    status, body = d.post("/backlog/import", {"numbers": [], "source": "x"})
    assert status == 400 and body["error"]["code"] == "invalid"


def test_the_leader_sees_his_baoan_cases_with_late_steps_red(county, web):
    number = in_progress(county)
    Api(county.users["dispatcher"]).act(number, "assign_leader", assignment(county, days=(0, 5)))
    LeaderAssignment.objects.filter(case__number=number).first().steps.filter(position=1).update(
        due=TODAY - timedelta(days=2)
    )  # a step whose due has passed (a plan cannot be set with one)
    Api(county.users["handler"]).act(number, "complete_plan_step", {"step": 2})
    html = web("leader").get("/").content.decode()
    assert "我包案的案件" in html and number in html
    assert 'class="step-late error" data-state="late">第1步工作' in html and "已逾期" in html
    assert 'data-state="done">第2步工作' in html
    assert "我包案的案件" not in web("supervisor").get("/").content.decode()
    page = web("leader").get(f"/cases/{number}/").content.decode()
    assert "领导包案" in page and "尚未签字销号" in page and "完成包案步骤" in page
