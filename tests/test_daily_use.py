"""What staff meet in a working day: people by name, totals that agree with their tiles, plain wording."""

import re
from datetime import timedelta

from pingan.cases.clocks import clear_calendar_cache
from pingan.cases.models import CalendarDay, Case
from pingan.cases.serializers import clause

from .conftest import Api, case_body


def _text(response) -> str:
    return response.content.decode()


def _in_progress(county, number):
    d, h = Api(county.users["dispatcher"]), Api(county.users["handler"])
    d.act(number, "accept")
    d.act(number, "dispatch", {})
    h.act(number, "sign")


def _new(county, **overrides) -> str:
    return Api(county.users["dispatcher"]).post("/cases", case_body(county, **overrides))[1]["number"]


# ---------------------------------------------------------------- names


def test_case_page_and_api_name_staff_by_display_name_not_username(county, web):
    number = _new(county)
    _in_progress(county, number)
    h = Api(county.users["handler"])
    h.act(number, "record_work", {"kind": "site", "content": "到现场查看路灯"})
    html = _text(web("dispatcher").get(f"/cases/{number}/"))
    timeline = html.split('id="h-events"')[1]
    assert "周受理" in timeline and "吴承办" in timeline
    assert not re.search(r"· (dispatcher|handler)\b", html)
    assert "<dd>吴承办</dd>" in html  # 承办人
    events = h.get(f"/cases/{number}/events")[1]["items"]
    assert {e["actor_name"] for e in events} >= {"周受理", "吴承办"}
    detail = h.get(f"/cases/{number}")[1]
    assert detail["handler"] == "handler" and detail["handler_name"] == "吴承办"
    assert detail["work_records"][0]["author_name"] == "吴承办"


def test_system_actor_is_named_in_chinese(county):
    from pingan.accounts.names import display_names

    assert display_names(["system", "public", "handler", "nobody"]) == {
        "system": "系统",
        "public": "反映人",
        "handler": "吴承办",
        "nobody": "nobody",
    }


# ---------------------------------------------------------------- wording


def test_decided_request_reads_agreed_or_not_and_reasons_are_not_double_punctuated(county, web):
    number = _new(county)
    _in_progress(county, number)
    due = (Case.objects.get(number=number).resolve_due + timedelta(days=3)).isoformat()
    Api(county.users["handler"]).act(
        number, "request_extension", {"reason": "需协调住建部门。", "new_due": due}
    )
    head = Api(county.users["unit_head"])
    head.act(number, "decide_extension", {"decision": "deny", "note": "时限内办结！"})
    html = _text(web("dispatcher").get(f"/cases/{number}/"))
    assert "审批延期</b> · 不同意：时限内办结" in html
    assert "延期申请</b> · 不同意（郑主任）" in html
    assert "需协调住建部门；申请延至" in html
    assert "。；" not in html and "！；" not in html
    requests = Api(county.users["handler"]).get(f"/cases/{number}")[1]["requests"]
    assert requests[0]["decision_label"] == "不同意"


def test_clause_strips_trailing_punctuation_only():
    assert clause(" 需协调。 ") == "需协调"
    assert clause("甲，乙。；") == "甲，乙"
    assert clause("") == ""


def test_holiday_warning_is_for_admins_only(county, web):
    CalendarDay.objects.all().delete()
    clear_calendar_cache()
    assert "节假日安排尚未录入" in _text(web("admin").get("/"))
    for username in ("dispatcher", "handler", "leader"):
        assert "节假日安排尚未录入" not in _text(web(username).get("/"))


# ---------------------------------------------------------------- totals


def _tiles(html: str) -> list[tuple[str, int, str]]:
    return [
        (label, int(count), href.replace("&amp;", "&"))
        for href, count, label in re.findall(
            r'<a class="tile[^"]*" href="([^"]+)"><b>(\d+)</b><span>([^<]+)</span></a>', html
        )
    ]


def _total(html: str) -> int:
    found = re.search(r"<strong[^>]*data-total[^>]*>(\d+)</strong>", html)
    assert found, "page shows no total"
    return int(found.group(1))


def _busy_county(county):
    """Cases in several states, one listed and open, one listed and closed, one supervised routinely."""
    d, leader = Api(county.users["dispatcher"]), Api(county.users["leader"])
    open_listed, closed_listed, routine = _new(county), _new(county), _new(county)
    _new(county, title="待受理的案件")
    for n in (open_listed, closed_listed, routine):
        d.act(n, "accept")
    leader.act(open_listed, "supervise", {"level": "listed", "requirement": "挂牌", "report_every_days": 7})
    leader.act(closed_listed, "supervise", {"level": "listed", "requirement": "挂牌", "report_every_days": 7})
    leader.act(routine, "supervise", {"level": "routine", "requirement": "督办", "report_every_days": 14})
    d.act(closed_listed, "answer", {"summary": "已当场答复"})
    d.act(open_listed, "dispatch", {})
    tip = _new(county, stream="tip", category="T01", title="有人在河道非法采砂")
    d.act(tip, "accept")
    return open_listed


def test_every_tile_count_equals_the_total_of_the_list_it_links_to(county, web):
    _busy_county(county)
    seen = set()
    for username in county.users:
        client = web(username)
        for label, count, href in _tiles(_text(client.get("/"))):
            seen.add(label)
            assert _total(_text(client.get(href))) == count, (username, label, href)
    assert {"待受理", "待签收", "已超期", "挂牌督办", "待审批"} <= seen


def test_listed_tile_counts_open_listed_cases_only(county, web):
    open_listed = _busy_county(county)
    html = _text(web("leader").get("/"))
    listed = next(t for t in _tiles(html) if t[0] == "挂牌督办")
    assert listed[1] == 1
    ledger = _text(web("leader").get(listed[2]))
    assert open_listed in ledger and _total(ledger) == 1


def test_list_api_gives_a_total_on_request_and_filters_by_channel_and_backlog(county):
    _busy_county(county)
    d = Api(county.users["dispatcher"])
    status, page = d.get("/cases", with_total="true", limit=2)
    assert status == 200 and page["total"] == 5 and len(page["items"]) == 2
    assert "total" not in d.get("/cases")[1]
    assert d.get("/cases", with_total="true", channel="hotline")[1]["total"] == 5
    assert d.get("/cases", with_total="true", channel="portal")[1]["total"] == 0
    assert d.get("/cases", with_total="true", open="true")[1]["total"] == 4
    assert d.get("/cases", with_total="true", supervised="listed")[1]["total"] == 2
    assert d.get("/cases", with_total="true", supervised="routine")[1]["total"] == 1
    status, body = d.get("/cases", supervised="sometimes")
    assert status == 400 and "supervised" in body["error"]["fields"]


def test_counts_that_leave_out_tips_say_so(county, web):
    _busy_county(county)
    leader, dispatcher = _text(web("leader").get("/cases/")), _text(web("dispatcher").get("/cases/"))
    assert "不含举报线索" in leader and "不含举报线索" not in dispatcher
    assert _total(dispatcher) == _total(leader) + 1
    assert "不含举报线索" in _text(web("leader").get("/"))


def test_ledger_offers_channel_and_only_the_chosen_streams_categories(county, web):
    html = _text(web("dispatcher").get("/cases/?stream=tip"))
    assert 'name="channel"' in html and "网格上报" in html
    categories = html.split('id="f-category"')[1].split("</select>")[0]
    assert "举报线索" in categories and "矛盾纠纷" not in categories
