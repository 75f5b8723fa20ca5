"""The reporter's side after filing (issue 10): the closing answer, the promised response time, the
county's name, and a 矛盾纠纷 choice that files where the public may file."""

import json
import re
from datetime import datetime

import pytest
from django.core.cache import cache
from django.test import Client

from pingan.cases.models import Case, Category, FollowUp, TimeLimitRule
from pingan.cases.rules import suggest_lead_unit
from pingan.cases.views.forms import FOR_REPORTER_HINT

from .conftest import case_body
from .test_public import post

SHANGHAI = datetime.fromisoformat("2026-06-01T09:00:00+08:00").tzinfo


@pytest.fixture
def visitor():
    cache.clear()
    return Client(REMOTE_ADDR="198.51.100.30")


def submit(visitor, **fields):
    body = {"stream": "request", "description": "小区门口的路灯坏了一个月没人修", "anonymous": True, **fields}
    status, out, _ = post(visitor, "", body)
    assert status == 201, out
    return out["receipt"], Case.objects.order_by("-id").first().number


def at(value: str | datetime) -> datetime:
    """A moment to the millisecond, as the API writes it."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def lookup(visitor, code):
    status, body, _ = post(visitor, "/lookup", {"receipt": code})
    assert status == 200, body
    return body


def test_the_result_appears_when_the_case_is_resolved_and_leaks_nothing_internal(county, visitor, api):
    code, number = submit(visitor, anonymous=False, name="李小四", phone="13912345678")
    d, h, sup = api("dispatcher"), api("handler"), api("supervisor")
    assert "result" not in lookup(visitor, code)
    d.act(number, "accept", {"note": "内部意见：先核实"})
    d.act(number, "dispatch", {"lead_unit": county.town_unit(county.towns[0], "centre").code})
    h.act(number, "sign")
    h.act(number, "record_work", {"kind": "visit", "content": "走访记录：物业经理称线路老化"})
    assert "result" not in lookup(visitor, code)

    summary = "已更换路灯灯杆和线路，李小四反映的路段夜间照明已恢复；如有问题请联系 13912345678。"
    h.act(number, "resolve", {"outcome": "resolved", "summary": summary})
    body = lookup(visitor, code)
    assert body["status_label"] == "已办结" and body["can_rate"]
    result = body["result"]
    assert (result["outcome"], result["outcome_label"]) == ("resolved", "问题已解决")
    assert (
        result["summary"]
        == "已更换路灯灯杆和线路，李**反映的路段夜间照明已恢复；如有问题请联系 139****5678。"
    )
    assert at(result["finished_at"]) == at(Case.objects.get(number=number).resolved_at)

    # A failed check takes the answer back with the case; the one that passes shows it again.
    sup.act(number, "check_fail", {"reason": "现场核查灯仍不亮"})
    assert "result" not in lookup(visitor, code)
    h.act(number, "resolve", {"outcome": "partly", "summary": summary})
    sup.act(number, "check_pass", {"note": "核查意见：基本到位"})
    body = lookup(visitor, code)
    assert body["status"] == "closed" and body["result"]["outcome_label"] == "问题部分解决"
    text = json.dumps(body, ensure_ascii=False)
    for internal in (number, "内部意见", "走访记录", "核查意见", "现场核查", "handler", "吴承办", "周受理",
                     "李小四", "13912345678", "check_due", "resolve_due"):  # fmt: skip
        assert internal not in text, internal


def test_an_on_the_spot_answer_is_the_result_the_reporter_reads_and_rates(county, visitor, api):
    code, number = submit(visitor)
    d = api("dispatcher")
    d.act(number, "reply", {"text": "已收到，预计 3 个工作日内答复。"})
    d.act(number, "accept")
    assert "result" not in lookup(visitor, code)
    d.act(number, "answer", {"summary": "该路段路灯已由城管所当天修复。", "outcome": "resolved"})
    body = lookup(visitor, code)
    assert body["result"]["summary"] == "该路段路灯已由城管所当天修复。"
    assert body["result"]["outcome"] == "resolved" and body["can_rate"]
    assert [m["text"] for m in body["messages"]] == ["已收到，预计 3 个工作日内答复。"]
    status, body, _ = post(
        visitor, "/feedback", {"receipt": code, "satisfaction": "satisfied", "resolved": True, "note": "很快"}
    )
    assert status == 200 and body["rated"] and body["result"]["outcome"] == "resolved"
    follow_ups = d.get(f"/cases/{number}")[1]["follow_ups"]
    assert [(f["satisfaction"], f["resolved"], f["note"], f["by_public"]) for f in follow_ups] == [
        ("satisfied", True, "很快", True)
    ]
    assert FollowUp.objects.get(case__number=number).by is None


def test_a_rejection_tells_the_reason_and_the_proper_channel(county, visitor, api):
    code, number = submit(visitor, description="单位拖欠我三个月工资，已经申请劳动仲裁了")
    api("dispatcher").act(
        number,
        "reject",
        {
            "reason": "该事项已进入劳动仲裁程序。",
            "channel_advice": "请等待仲裁委员会的裁决，或拨打 12333 咨询。",
        },
    )
    result = lookup(visitor, code)["result"]
    assert (result["outcome"], result["outcome_label"]) == ("rejected", "不予受理")
    assert result["summary"] == "该事项已进入劳动仲裁程序。"
    assert result["advice"] == "请等待仲裁委员会的裁决，或拨打 12333 咨询。"
    assert at(result["finished_at"]) == at(Case.objects.get(number=number).closed_at)


def test_a_withdrawn_report_has_no_result(county, visitor, api):
    code, number = submit(visitor)
    api("dispatcher").act(number, "withdraw", {"reason": "反映人来电表示已自行解决"})
    body = lookup(visitor, code)
    assert body["status_label"] == "已撤回" and "result" not in body


def test_a_merged_report_reads_the_answer_of_the_case_it_joined(county, visitor, api):
    d = api("dispatcher")
    _, master = d.post("/cases", case_body(county, reporter={"name": "张三丰", "phone": "13812341234"}))
    code, number = submit(visitor)
    d.act(number, "merge", {"into": master["number"], "reason": "同一路灯"})
    assert "result" not in lookup(visitor, code)
    d.act(master["number"], "accept")
    d.act(master["number"], "answer", {"summary": "张三丰反映的路灯已修好。", "outcome": "resolved"})
    body = lookup(visitor, code)
    assert body["status_label"] == "已与同一事项合并办理"
    assert body["result"]["summary"] == "张**反映的路灯已修好。"
    assert master["number"] not in json.dumps(body, ensure_ascii=False)


# ---------------------------------------------------------------- the receipt page


def receipt_page(visitor, choice, **form):
    r = visitor.post(
        f"/portal/new/{choice}/", {"anonymous": "yes", "description": "楼道里堆满了纸箱，很危险", **form}
    )
    assert r.status_code == 200 and "data-receipt" in r.content.decode(), r.content.decode()[:2000]
    return r.content.decode()


def promise(html):
    return re.sub(r"<[^>]+>", "", re.search(r"<p class=\"promise\" data-response>(.*?)</p>", html).group(1))


def test_the_receipt_names_the_county_and_the_accept_limit_of_the_category(county, visitor):
    html = receipt_page(visitor, "hazard", category="H01")
    assert '<h1 id="h-receipt">示范县综治中心已收到您的反映</h1>' in html
    assert "<title>已提交 · 示范县综治中心</title>" in html
    case = Case.objects.get()
    due = case.accept_due.astimezone(SHANGHAI)
    assert promise(html) == (
        f"我们将在 1 个工作日内受理（最迟 {due.month}月{due.day}日 {due:%H:%M} 前），"
        "受理后您可以凭查询码查看办理进度和答复。"
    )
    # No category chosen: the stream's limit, the one the dispatcher's classification runs on.
    assert promise(receipt_page(visitor, "request")).startswith("我们将在 2 个工作小时内受理")
    # A category's own rule wins over its stream's.
    TimeLimitRule.objects.create(
        stream="hazard",
        category=Category.objects.get(code="H02"),
        step="accept",
        amount=3,
        unit="natural_days",
    )
    assert promise(receipt_page(visitor, "hazard", category="H02")).startswith("我们将在 3 天内受理")


def test_a_configured_county_name_is_used_on_every_portal_page(county, visitor, settings):
    settings.COUNTY_NAME = "平安县"
    for url in ("/portal/", "/portal/new/hazard/", "/portal/r/"):
        html = visitor.get(url).content.decode()
        assert "平安县综治中心 · 群众反映" in html and "示范县" not in html, url
    assert "平安县综治中心已收到您的反映" in receipt_page(visitor, "hazard")


# ---------------------------------------------------------------- 矛盾纠纷 on the portal


def test_a_dispute_is_filed_as_a_request_under_the_dispute_categories(county, visitor, api):
    home = visitor.get("/portal/").content.decode()
    assert "矛盾纠纷、咨询求助和投诉建议、安全隐患、违法犯罪线索，都可以在这里向示范县综治中心反映" in home
    assert 'href="/portal/new/dispute/"' in home
    form = visitor.get("/portal/new/dispute/").content.decode()
    assert "邻里纠纷" in form and "劳资纠纷（含欠薪）" in form and ">咨询<" not in form
    assert re.search(r'value="no" checked', form)  # mediation needs a contact: 实名 first
    assert "邻里纠纷" not in visitor.get("/portal/new/request/").content.decode()

    town = county.towns[0]
    receipt_page(
        visitor,
        "dispute",
        category="R0601",
        region=town.code,
        description="邻居把围墙砌到了我家地里，协商不成",
    )
    receipt_page(visitor, "dispute", description="和老板因为工伤赔偿谈不拢，想请人调解")
    cases = list(Case.objects.order_by("id").values_list("stream", "category__code", "channel"))
    assert cases == [("request", "R0601", "portal"), ("request", "R06", "portal")]
    # The town's 司法所 is suggested to mediate it; once accepted it runs on the dispute stream's
    # resolve limit, not the request's 5 work days.
    case = Case.objects.get(category__code="R0601")
    suggested = suggest_lead_unit(case.category, case.region_id, case.reported_at.date())
    assert suggested == county.town_unit(town, "judicial")
    number = case.number
    api("dispatcher").act(number, "accept")
    limit = Case.objects.get(number=number).resolve_limit
    assert (limit["amount"], limit["unit"]) == (30, "natural_days")


def test_a_dispute_report_takes_only_dispute_categories(county, visitor):
    r = visitor.post(
        "/portal/new/dispute/", {"anonymous": "yes", "category": "R01", "description": "邻居占了我家的地"}
    )
    assert r.status_code == 400 and "请从列表中选择类别" in r.content.decode()
    assert not Case.objects.exists()


def test_without_the_dispute_category_the_portal_neither_offers_nor_promises_disputes(county, visitor):
    Category.objects.filter(code="R06").update(active=False)
    home = visitor.get("/portal/").content.decode()
    assert "矛盾纠纷" not in home and "/portal/new/dispute/" not in home
    assert visitor.get("/portal/new/dispute/").status_code == 404


def test_the_staff_form_says_which_text_the_reporter_reads(county, visitor, web, api):
    _, number = submit(visitor)
    page = web("dispatcher").get(f"/cases/{number}/").content.decode()
    assert page.count(FOR_REPORTER_HINT) == 2  # 不予受理: reason and proper channel
    _, staff_case = api("dispatcher").post("/cases", case_body(county))
    assert FOR_REPORTER_HINT not in web("dispatcher").get(f"/cases/{staff_case['number']}/").content.decode()
