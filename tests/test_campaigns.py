"""专项整治 (GOVERNANCE §6): campaigns, phases, indicators, tasks and their lateness, the 问题清单 with
清零率 per town, and 回头看 rounds that reopen failed items as 反弹."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pingan.campaigns import actions, selectors
from pingan.campaigns.models import Campaign, Finding, ReviewItem, Task
from pingan.cases.models import Case, CaseEvent

from .conftest import JPEG, Api

TODAY = timezone.localdate()


def day(n: int) -> str:
    return str(TODAY + timedelta(days=n))


def body(county, **more):
    return {
        "name": "电动车安全隐患专项整治",
        "scope_regions": [county.code],
        "lead_unit": county.units["ZZZX"].code,
        "units": [county.town_unit(t, "centre").code for t in county.towns],
        "phases": [
            {"name": "动员部署", "starts_on": day(-20), "ends_on": day(-11)},
            {"name": "集中整治", "starts_on": day(-10), "ends_on": day(20)},
            {"name": "检查验收", "starts_on": day(21), "ends_on": day(40)},
        ],
        "indicators": [
            {"name": "隐患整改率", "unit": "%", "baseline": 60, "target": 95, "direction": "up",
             "source": "closed_rate"},
            {"name": "在办整改事项", "unit": "件", "target": 0, "direction": "down",
             "source": "cases:stream=rectification&status=accepted,dispatched,in_progress"},
        ],
        **more,
    }  # fmt: skip


def task_body(county, n=1, town=0, **more):
    return {
        "title": f"第{n}项任务：排查电动车违规充电点",
        "unit": county.town_unit(county.towns[town], "centre").code,
        "due": day(10 + n),
        **more,
    }


@pytest.fixture
def campaign(county, api):
    status, data = api("supervisor").post("/campaigns", body(county))
    assert status == 201, data
    return Campaign.objects.get(pk=data["id"])


def finding(county, campaign, town=0, severity="normal", title="车棚私拉电线充电") -> Finding:
    village = county.villages[county.towns[town].code][0]
    payload = {"title": title, "description": "检查发现车棚内私拉电线为电动车充电。", "region": village.code,
               "severity": severity}  # fmt: skip
    return actions.add_finding(campaign, by=county.users["supervisor"], payload=payload)


def close(county, number: str, town=0) -> None:
    d, handler = Api(county.users["dispatcher"]), Api(county.users["handler" if town == 0 else "handler2"])
    d.act(number, "accept")
    d.act(number, "dispatch", {"lead_unit": county.town_unit(county.towns[town], "centre").code})
    handler.act(number, "sign")
    att = handler.upload(number, JPEG)[1]
    handler.act(
        number, "resolve", {"outcome": "resolved", "summary": "已拆除私拉电线", "evidence": [att["id"]]}
    )
    Api(county.users["supervisor"]).act(number, "check_pass")


# ---------------------------------------------------------------- campaign, phases, tasks


def test_a_supervisor_creates_a_campaign_with_three_phases_and_five_tasks(county, api, campaign):
    sup = api("supervisor")
    for n in range(1, 6):
        status, data = sup.post(f"/campaigns/{campaign.pk}/tasks", task_body(county, n, report_every_days=7))
        assert status == 201, data
        assert data["late"] is False and data["state"] == "open" and data["due"] == day(10 + n)
    status, data = sup.get(f"/campaigns/{campaign.pk}")
    assert status == 200
    assert [p["name"] for p in data["phases"]] == ["动员部署", "集中整治", "检查验收"]
    assert [p["current"] for p in data["phases"]] == [False, True, False]
    assert len(data["tasks"]) == 5 and not any(t["late"] for t in data["tasks"])
    assert data["starts_on"] == day(-20) and data["ends_on"] == day(40)
    assert [i["source_label"] for i in data["indicators"]] == ["考核指标：办结率", "案件台账筛选"]
    assert data["indicators"][1]["current"] == 0
    assert api("leader").get("/campaigns")[1]["items"][0]["tasks"] == 5


def test_without_phases_the_four_default_phases_run_from_today(county, api):
    status, data = api("supervisor").post("/campaigns", body(county, phases=[]))
    assert status == 201
    assert [p["name"] for p in data["phases"]] == ["动员部署", "集中整治", "巩固提升", "检查验收"]
    assert data["phases"][0]["starts_on"] == str(TODAY) and data["phases"][0]["current"]


def test_who_may_create_and_who_reads(county, api, campaign):
    assert api("leader").post("/campaigns", body(county))[0] == 403
    assert api("handler").post("/campaigns", body(county))[0] == 403
    assert api("dispatcher").post("/campaigns", body(county))[0] == 201  # the county centre organises too
    assert api("leader").get(f"/campaigns/{campaign.pk}")[0] == 200
    assert api("grid_worker").get(f"/campaigns/{campaign.pk}")[0] == 404  # not a reader, not a unit in it
    assert api("auditor").get("/campaigns")[1]["items"] == []


def test_a_town_campaign_is_out_of_another_towns_reach(county, api):
    town = county.towns[0]
    scoped = body(
        county, scope_regions=[town.code], units=[], lead_unit=county.town_unit(town, "centre").code
    )
    status, data = api("supervisor").post("/campaigns", scoped)
    assert status == 201
    # handler2 works in the second town's units, which take no part: 404 as for a case out of scope
    assert api("handler2").get(f"/campaigns/{data['id']}")[0] == 404
    assert api("handler").get(f"/campaigns/{data['id']}")[0] == 200  # his unit leads it


def test_bad_indicator_sources_and_scope_are_refused(county, api):
    sup = api("supervisor")
    bad = body(county, indicators=[{"name": "x", "source": "no_such_kpi"}])
    status, data = sup.post("/campaigns", bad)
    assert status == 400 and "indicators.source" in data["error"]["fields"]
    bad = body(county, indicators=[{"name": "x", "source": "cases:colour=red"}])
    assert sup.post("/campaigns", bad)[0] == 400
    bad = body(county, indicators=[{"name": "x", "source": "statistic:NOPE"}])
    assert sup.post("/campaigns", bad)[0] == 400
    assert sup.post("/campaigns", body(county, scope_regions=["999999"]))[0] == 400
    assert sup.post("/campaigns", {**body(county), "colour": "red"})[0] == 400  # strict schema


def test_a_task_past_its_report_due_shows_late_in_the_api_and_list(county, api, campaign):
    sup = county.users["supervisor"]
    late = actions.add_task(campaign, by=sup, payload=task_body(county, 1, report_every_days=3),
                            today=TODAY - timedelta(days=10))  # fmt: skip
    overdue = actions.add_task(campaign, by=sup, payload={**task_body(county, 2), "due": day(-2)},
                               today=TODAY - timedelta(days=10))  # fmt: skip
    actions.add_task(campaign, by=sup, payload=task_body(county, 3))
    data = api("leader").get(f"/campaigns/{campaign.pk}")[1]
    by_id = {t["id"]: t for t in data["tasks"]}
    assert by_id[late.pk]["late"] and "进展报告逾期 7 天" in by_id[late.pk]["late_reason"]
    assert by_id[overdue.pk]["late"] and "逾期 2 天未完成" in by_id[overdue.pk]["late_reason"]
    assert sum(t["late"] for t in data["tasks"]) == 2
    assert api("leader").get("/campaigns")[1]["items"][0]["late_tasks"] == 2
    # Reporting progress clears the report part of lateness, and the report counts as late.
    h = api("handler")
    status, task = h.post(
        f"/campaigns/{campaign.pk}/tasks/{late.pk}/actions/report_progress", {"note": "已排查 30 处"}
    )
    assert status == 200 and task["late"] is False and task["reports"][-1]["on_time"] is False
    assert task["next_report_due"] == day(3)


def test_task_actions_follow_roles_and_states(county, api, campaign):
    task = actions.add_task(
        campaign, by=county.users["supervisor"], payload=task_body(county, 1, evidence_required=True)
    )
    url = f"/campaigns/{campaign.pk}/tasks/{task.pk}/actions"
    h, sup = api("handler"), api("supervisor")
    # handler2's unit takes part in the campaign (it reads it) but does not carry this task
    assert api("handler2").post(f"{url}/report_progress", {"note": "x"})[0] == 403
    assert sup.post(f"{url}/report_progress", {"note": "x"})[0] == 403  # not the responsible unit
    assert h.post(f"{url}/accept", {})[0] == 403
    assert sup.post(f"{url}/accept", {})[0] == 409  # not completed yet
    status, data = h.post(f"{url}/complete", {"note": "完成"})
    assert (status, data["error"]["code"]) == (400, "evidence_required")
    actions.report_progress(task, by=county.users["handler"], note="整改照片", files=[("a.jpg", JPEG)])
    status, data = h.post(f"{url}/complete", {"note": "完成"})
    assert status == 200 and data["state"] == "completed" and data["allowed_actions"] == []
    status, data = sup.post(f"{url}/reject", {"reason": "台账不全"})
    assert status == 200 and data["state"] == "rejected"
    assert h.post(f"{url}/complete", {})[1]["state"] == "completed"
    assert sup.post(f"{url}/accept", {"note": "验收合格"})[1]["state"] == "accepted"
    assert h.post(f"{url}/no_such_action", {})[0] == 404
    status, data = api("leader").post(f"{url}/supervise", {"level": "listed", "requirement": "x"})
    assert status == 409  # accepted: nothing left to supervise


def test_a_task_can_be_supervised_with_level_and_requirement(county, api, campaign):
    task = actions.add_task(campaign, by=county.users["supervisor"], payload=task_body(county, 1))
    url = f"/campaigns/{campaign.pk}/tasks/{task.pk}/actions/supervise"
    status, data = api("leader").post(url, {"level": "listed", "requirement": "三日内报送整改方案"})
    assert status == 200 and data["supervision_level"] == "listed"
    assert data["supervision_requirement"] == "三日内报送整改方案"
    assert api("handler").post(url, {"level": "listed", "requirement": "x"})[0] == 403


# ---------------------------------------------------------------- 问题清单 and 清零率


def test_a_finding_becomes_a_rectification_case_and_closing_it_raises_the_towns_clearance(
    county, api, campaign
):
    village = county.villages[county.towns[0].code][0]
    status, data = api("supervisor").post(
        f"/campaigns/{campaign.pk}/findings",
        {"title": "车棚私拉电线", "description": "车棚内私拉电线充电", "region": village.code},
    )
    assert status == 201, data
    assert data["stream"] == "rectification" and data["town"]["code"] == county.towns[0].code
    case = Case.objects.get(number=data["number"])
    assert case.category.name == "专项整治" and case.reported_by == county.users["supervisor"]
    assert CaseEvent.objects.filter(case=case, action="create").exists()
    other = finding(county, campaign, town=0, title="楼道停放电动车")
    finding(county, campaign, town=1)

    def town_rate():
        c = api("leader").get(f"/campaigns/{campaign.pk}")[1]["clearance"]
        return {t["code"]: (t["listed"], t["closed"], t["rate"]) for t in c["towns"]}, c["rate"]

    towns, overall = town_rate()
    assert towns[county.towns[0].code] == (2, 0, 0.0) and overall == 0.0
    close(county, data["number"])
    towns, overall = town_rate()
    assert towns[county.towns[0].code] == (2, 1, 0.5) and towns[county.towns[1].code] == (1, 0, 0.0)
    assert overall == round(1 / 3, 4)
    assert other.case.status == "reported"


def test_findings_take_regions_in_scope(county, api, campaign):
    sup = api("supervisor")
    url = f"/campaigns/{campaign.pk}/findings"
    village = county.villages[county.towns[0].code][0]
    assert sup.post(url, {"title": "x", "region": county.code})[0] == 400  # a county is no town
    assert sup.post(url, {"title": "x"})[0] == 400  # neither a region nor a place
    assert api("leader").post(url, {"title": "x", "region": village.code})[0] == 403
    assert api("grid_worker").post(url, {"title": "x", "region": village.code})[0] == 404


def test_a_finding_at_a_registered_place_lies_where_the_place_does(county, api, campaign):
    from .test_inspections import new_place

    place = new_place(county, user="handler2", town=1)
    sup = api("supervisor")
    url = f"/campaigns/{campaign.pk}/findings"
    status, data = sup.post(url, {"title": "楼道电动车充电", "place": place.pk, "severity": "major"})
    assert status == 201, data
    found = Finding.objects.get(case__number=data["number"])
    assert found.place == place and found.town_id == county.towns[1].code
    assert (found.case.region_id, found.case.address) == (place.region_id, place.address)
    assert list(place.campaign_findings.all()) == [found]
    elsewhere = county.villages[county.towns[0].code][0].code
    status, data = sup.post(url, {"title": "x", "place": place.pk, "region": elsewhere})
    assert status == 400 and "place" in data["error"]["fields"]
    status, data = sup.post(url, {"title": "x", "place": 999999})
    assert status == 400 and "place" in data["error"]["fields"]


# ---------------------------------------------------------------- 回头看


def test_a_review_round_reopens_a_failed_item_and_counts_it_as_rebound(county, api, campaign):
    items = [finding(county, campaign, town=0, title=f"问题{i}") for i in range(3)]
    major = finding(county, campaign, town=1, severity="major", title="重大隐患：加油站旁违规充电")
    for f in [*items, major]:
        close(county, f.case.number, town=0 if f.town_id == county.towns[0].code else 1)
    status, data = api("supervisor").post(f"/campaigns/{campaign.pk}/reviews", {})
    assert status == 201, data
    # town 0: ceil(10 % of 3) = 1 sampled; town 1: its major one, always
    assert sorted(i["reason"] for i in data["items"]) == ["major", "sample"]
    assert {i["number"] for i in data["items"] if i["reason"] == "major"} == {major.case.number}
    failed = next(i for i in data["items"] if i["reason"] == "sample")
    passed = next(i for i in data["items"] if i["reason"] == "major")
    url = f"/campaigns/{campaign.pk}/reviews/{data['id']}/items"
    assert api("supervisor").post(f"{url}/{failed['id']}", {"result": "failed"})[0] == 403  # reopen: centre
    status, data = api("dispatcher").post(
        f"{url}/{failed['id']}", {"result": "failed", "note": "又见私拉电线"}
    )
    assert status == 200
    assert api("dispatcher").post(f"{url}/{passed['id']}", {"result": "passed"})[0] == 200
    assert api("dispatcher").post(f"{url}/{passed['id']}", {"result": "failed"})[0] == 409  # once
    case = Case.objects.get(number=failed["number"])
    assert case.status == "in_progress" and case.reopen_count == 1
    reopen = CaseEvent.objects.get(case=case, action="reopen")
    assert reopen.data["reason"] == "回头看：又见私拉电线" and reopen.actor == "dispatcher"
    body_ = api("leader").get(f"/campaigns/{campaign.pk}")[1]
    assert body_["rebound"] == {"drawn": 2, "inspected": 2, "failed": 1, "rate": 0.5}
    assert body_["clearance"]["closed"] == 3  # the reopened one no longer counts as cleared


def test_a_second_round_skips_items_waiting_and_nothing_left_is_409(county, api, campaign):
    f = finding(county, campaign)
    close(county, f.case.number)
    sup = api("supervisor")
    assert sup.post(f"/campaigns/{campaign.pk}/reviews", {"share": 0.5})[0] == 201
    status, data = sup.post(f"/campaigns/{campaign.pk}/reviews", {})
    assert (status, data["error"]["code"]) == (409, "nothing_to_review")
    assert ReviewItem.objects.filter(finding=f).count() == 1


# ---------------------------------------------------------------- pages and their cost


def test_the_campaign_page_shows_phases_tasks_late_marker_and_clearance(county, web, campaign):
    sup = county.users["supervisor"]
    late = actions.add_task(campaign, by=sup, payload={**task_body(county, 1), "due": day(-1)},
                            today=TODAY - timedelta(days=5))  # fmt: skip
    f = finding(county, campaign)
    close(county, f.case.number)
    page = web("leader").get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "集中整治" in page and late.title in page and "逾期 1 天未完成" in page
    assert f'data-task="{late.pk}" data-late="true"' in page
    assert "100.0%" in page and f.case.number in page
    assert "campaign-data" in page and '"late": true' in page


def test_page_and_list_cost_a_fixed_number_of_queries(county, web, campaign):
    sup = county.users["supervisor"]

    def grow():
        t = actions.add_task(campaign, by=sup, payload=task_body(county, Task.objects.count() + 1))
        actions.report_progress(t, by=county.users["handler"], note="进展", files=[("a.jpg", JPEG)])
        town = Task.objects.count() % 2  # handler works in the first town, handler2 in the second
        close(county, finding(county, campaign, town=town).case.number, town=town)

    grow()
    client = web("supervisor")
    for url in (f"/campaigns/{campaign.pk}/", "/campaigns/", f"/api/v1/campaigns/{campaign.pk}"):
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        grow()
        grow()
        with CaptureQueriesContext(connection) as more:
            assert client.get(url).status_code == 200
        assert len(more) == len(few), url
        assert len(few) <= 40, (url, len(few))


def test_selectors_compute_late_from_a_given_day(county, campaign):
    t = actions.add_task(campaign, by=county.users["supervisor"], payload=task_body(county, 1))
    assert not selectors.is_late(t, TODAY)
    assert selectors.is_late(t, t.due + timedelta(days=1))


def test_the_demo_ships_one_campaign_in_its_concentrated_phase(county, api):
    from pingan.demo.campaigns import seed_campaigns

    assert seed_campaigns(county) == 1
    assert seed_campaigns(county) == 0  # once
    status, data = api("leader").get(f"/campaigns/{Campaign.objects.get().pk}")
    assert status == 200
    assert [p["name"] for p in data["phases"] if p["current"]] == ["集中整治"]
    late = [t for t in data["tasks"] if t["late"]]
    assert 1 <= len(late) < len(data["tasks"])
    assert {t["state"] for t in data["tasks"]} >= {"open", "accepted", "completed"}
    clearance = data["clearance"]
    assert 0 < clearance["closed"] < clearance["listed"]
    assert data["rebound"]["failed"] == 1 and data["rebound"]["inspected"] == 2


def test_the_weekly_sheet_reads_out_the_tasks_due_this_week_or_late(county, api, campaign):
    from pingan.core.periods import period_of
    from pingan.reports.actions import generate

    sup = county.users["supervisor"]
    week = period_of("week", TODAY)
    this_week = actions.add_task(
        campaign, by=sup, payload={**task_body(county, 1), "due": str(week.end - timedelta(days=1))}
    )
    late = actions.add_task(campaign, by=sup, payload={**task_body(county, 2), "due": day(-9)},
                            today=TODAY - timedelta(days=20))  # fmt: skip
    actions.add_task(campaign, by=sup, payload={**task_body(county, 3), "due": day(40)})  # not yet
    report = generate("weekly", week.key, county.code, by=sup)
    section = next(s for s in report.document["sections"] if s["heading"].endswith("专项整治任务"))
    table = next(b for b in section["blocks"] if b["type"] == "table")
    rows = {r[1]: r for r in table["rows"]}
    assert set(rows) == {this_week.title, late.title}
    assert rows[late.title][4] == "逾期 9 天未完成" and rows[this_week.title][4] == "本周到期"
    assert "其中逾期 1 项" in section["blocks"][0]["text"]


def test_the_cockpit_shows_each_campaign_under_way_with_its_late_tasks_and_clearance(county, api, campaign):
    import re

    sup = county.users["supervisor"]
    actions.add_task(campaign, by=sup, payload={**task_body(county, 1), "due": day(-3)},
                     today=TODAY - timedelta(days=10))  # fmt: skip
    actions.add_task(campaign, by=sup, payload=task_body(county, 2))
    closed = finding(county, campaign, 0)
    close(county, closed.case.number, 0)
    finding(county, campaign, 1)
    client = Client()
    client.force_login(county.users["leader"], backend="django.contrib.auth.backends.ModelBackend")
    html = client.get("/cockpit/").content.decode()
    row = re.search(rf'<tr data-campaign="{campaign.pk}">(.*?)</tr>', html, re.S)
    assert row, "the campaign under way is on the cockpit"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells[0].startswith("集中整治") and cells[1:3] == ["2", "1"]
    assert cells[3].startswith("1/2")  # one of the two findings closed
