"""The 督办 page, its export, the API list and the case page's 督办 panel: filters, pages and scope."""

import io
import re
from datetime import timedelta

import openpyxl
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pingan.audit.models import AuditEntry
from pingan.cases.actions import perform
from pingan.cases.sweep import sweep
from pingan.supervision import views
from pingan.supervision.models import Supervision

from .conftest import Api, case_body
from .test_supervision import LISTED, in_progress

ROUTINE = {"level": "routine", "requirement": "加快办理", "report_every_days": 14}


def _case_in_second_town(county) -> str:
    d = Api(county.users["dispatcher"])
    village = county.villages[county.towns[1].code][0]
    number = d.post("/cases", case_body(county, region=village.code, title="第二镇的纠纷"))[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {"lead_unit": county.town_unit(county.towns[1], "centre").code})
    return number


def _supervised(county) -> dict[str, str]:
    """Four records: listed and late, routine, listed in the second town, and one lifted."""
    leader = Api(county.users["leader"])
    late, routine, lifted = in_progress(county), in_progress(county), in_progress(county)
    second = _case_in_second_town(county)
    for number in (late, second):
        leader.act(number, "supervise", LISTED)
    leader.act(routine, "supervise", ROUTINE)
    leader.act(lifted, "supervise", LISTED)
    leader.act(lifted, "lift_supervision", {"note": "已化解"})
    Supervision.objects.filter(case__number=late).update(next_report_due=timezone.now() - timedelta(hours=1))
    return {"late": late, "routine": routine, "second": second, "lifted": lifted}


def _numbers(html: str) -> set[str]:
    return set(re.findall(r"PA-\d{6}-\d{4}-\d{6}", html))


def _total(html: str) -> int:
    return int(re.search(r"<strong[^>]*data-total[^>]*>(\d+)</strong>", html).group(1))


def test_the_page_shows_issuer_date_requirement_and_next_report_due(county, web):
    cases = _supervised(county)
    html = web("leader").get("/supervision/").content.decode()
    assert _numbers(html) == {cases["late"], cases["routine"], cases["second"]} and _total(html) == 3
    assert "陈县长" in html and "两周内化解到位，每周报告进展" in html and "每 7 日报告一次" in html
    assert html.count("逾期未报</span>") == 1  # the late one, in red
    assert timezone.localdate().isoformat() in html  # the date it was issued


def test_the_page_filters_by_level_late_state_town_and_unit(county, web):
    cases = _supervised(county)
    page = web("leader")

    def shown(**query) -> set[str]:
        html = page.get("/supervision/", query).content.decode()
        assert _total(html) == len(_numbers(html)), query
        return _numbers(html)

    assert shown(level="listed") == {cases["late"], cases["second"]}
    assert shown(level="routine") == {cases["routine"]}
    assert shown(late="true") == {cases["late"]}
    assert shown(state="ended") == {cases["lifted"]}
    assert shown(state="all") == set(cases.values())
    assert shown(region=county.towns[1].code) == {cases["second"]}
    assert shown(unit=county.town_unit(county.towns[0], "centre").code) == {
        cases["late"], cases["routine"]
    }  # fmt: skip
    r = page.get("/supervision/", {"level": "urgent"})
    assert r.status_code == 400 and "可选" in r.content.decode()


def test_the_page_goes_page_by_page(county, web, monkeypatch):
    cases = _supervised(county)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    page = web("leader")
    first = page.get("/supervision/").content.decode()
    next_url = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = page.get(next_url).content.decode()
    assert len(_numbers(first)) == 2 and len(_numbers(second)) == 1 and 'rel="next"' not in second
    assert _numbers(first) | _numbers(second) == {cases["late"], cases["routine"], cases["second"]}


def test_the_page_and_its_queries_stay_few_however_many_rows(county, web):
    _supervised(county)
    page = web("leader")
    page.get("/supervision/")
    with CaptureQueriesContext(connection) as few:
        page.get("/supervision/")
    for _ in range(3):
        Api(county.users["leader"]).act(in_progress(county), "supervise", LISTED)
    with CaptureQueriesContext(connection) as more:
        page.get("/supervision/")
    assert len(more) == len(few)


def test_a_handler_sees_the_supervision_of_his_units_cases_only(county, web, api):
    cases = _supervised(county)
    assert _numbers(web("handler2").get("/supervision/").content.decode()) == {cases["second"]}
    assert _numbers(web("handler").get("/supervision/").content.decode()) == {cases["late"], cases["routine"]}
    status, body = api("handler2").get("/supervision", state="all", with_total="true")
    assert status == 200 and body["total"] == 1 and body["items"][0]["case_number"] == cases["second"]


def test_the_export_holds_the_pages_rows_and_is_audited(county, web):
    cases = _supervised(county)
    r = web("leader").post("/supervision/export/", {"level": "listed"})
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("案件编号", "案件标题", "案件状态") and "督办要求" in rows[0]
    assert {row[0] for row in rows[1:]} == {cases["late"], cases["second"]}
    late = next(row for row in rows[1:] if row[0] == cases["late"])
    assert late[5] == "挂牌督办" and late[6] == "陈县长" and late[13] == "是"
    entry = AuditEntry.objects.filter(action="supervision.export").get()
    assert entry.actor == "leader" and entry.data["rows"] == 2 and entry.data["filters"]["level"] == "listed"


def test_the_api_lists_records_with_their_fields_and_pages(county, api):
    cases = _supervised(county)
    leader = api("leader")
    status, body = leader.get("/supervision", limit=2, with_total="true")
    assert status == 200 and body["total"] == 3 and len(body["items"]) == 2 and body["next_cursor"]
    status, rest = leader.get("/supervision", limit=2, cursor=body["next_cursor"])
    items = body["items"] + rest["items"]
    assert rest["next_cursor"] is None and {i["case_number"] for i in items} == {
        cases["late"], cases["routine"], cases["second"]
    }  # fmt: skip
    late = next(i for i in items if i["case_number"] == cases["late"])
    assert late["level"] == "listed" and late["issuer_name"] == "陈县长" and late["issued_by"] == "leader"
    assert late["requirement"] == LISTED["requirement"] and late["report_every_days"] == 7
    assert (
        late["late"] is True and late["lifted_at"] is None and late["issued_at"] and late["next_report_due"]
    )
    status, body = leader.get("/supervision", state="ended")
    [lifted] = body["items"]
    assert (
        lifted["case_number"] == cases["lifted"] and lifted["lifted_at"] and lifted["lift_note"] == "已化解"
    )
    status, body = leader.get("/supervision", late="maybe")
    assert status == 400 and body["error"]["code"] == "invalid" and "late" in body["error"]["fields"]
    status, body = leader.get("/supervision", cursor="garbage")
    assert status == 400 and "cursor" in body["error"]["fields"]


def test_the_listed_tile_equals_the_total_of_the_supervision_page(county, web):
    cases = _supervised(county)
    Api(county.users["dispatcher"]).act(cases["second"], "withdraw", {"reason": "当事人撤回"})
    for username in ("leader", "supervisor", "dispatcher", "handler", "handler2", "unit_head"):
        client = web(username)
        home = client.get("/").content.decode()
        count, href = re.search(
            r'<a class="tile[^"]*" href="([^"]+)"><b>(\d+)</b><span>挂牌督办', home
        ).group(2, 1)
        assert href == "/supervision/?level=listed"
        assert _total(client.get(href).content.decode()) == int(count), username
    assert _total(web("leader").get("/supervision/?level=listed").content.decode()) == 1


def test_the_case_page_shows_the_supervision_in_force_and_its_reports(county, web):
    number = in_progress(county)
    t0 = timezone.now() - timedelta(minutes=5)
    perform(county.users["leader"], number, "supervise", LISTED, now=t0)
    perform(county.users["handler"], number, "report_progress", {"text": "已组织双方调解"})
    html = web("handler").get(f"/cases/{number}/").content.decode()
    assert 'id="h-supervision"' in html and "陈县长" in html and LISTED["requirement"] in html
    assert "下次报告截止" in html and "已组织双方调解" in html and "按时" in html
    assert "报告督办进展" in html  # the form of the action
    sweep(now=timezone.now() + timedelta(days=30))
    html = web("leader").get(f"/cases/{number}/").content.decode()
    assert "逾期未报" in html and "解除督办" in html


def test_the_case_page_takes_the_supervise_form(county, web):
    number = in_progress(county)
    r = web("leader").post(
        f"/cases/{number}/actions/supervise/",
        {"level": "listed", "requirement": "限期化解", "report_every_days": "5", "deadline": ""},
    )
    assert r.status_code == 302 and Supervision.objects.get().report_every_days == 5
    r = web("leader").post(
        f"/cases/{number}/actions/supervise/", {"level": "listed", "report_every_days": "x"}
    )
    html = r.content.decode()
    assert r.status_code == 400 and "此项必填" in html and "应为整数" in html
