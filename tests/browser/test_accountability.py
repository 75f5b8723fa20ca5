"""The 问责台账 in the browser: a supervisor confirms what the rule proposed and puts a town under 挂牌;
the town's handler and the county leader find it on their dashboards, the leader clicks through to it;
once the supervisor lifts it, the dashboards no longer show it."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from pingan.accountability.rules import run_rules
from pingan.cases.models import Case

from ..conftest import Api, case_body
from .conftest import login, snap

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _listed_overdue_case(county) -> str:
    body = case_body(county, region=county.villages[county.towns[0].code][0].code)
    number = Api(county.users["dispatcher"]).post("/cases", body)[1]["number"]
    Case.objects.filter(number=number).update(
        supervision_level="listed",
        accept_due=timezone.now() - timedelta(days=40),
        lead_unit=county.town_unit(county.towns[0], "centre"),
    )
    return number


def test_a_supervisor_confirms_lists_and_lifts_and_dashboards_follow(new_page, live_server, live_county):
    number = _listed_overdue_case(live_county)
    assert run_rules() == 1
    town = live_county.towns[0]
    sup = new_page()
    login(sup, live_server, "supervisor")
    sup.get_by_role("link", name="问责台账").click()
    expect(sup.get_by_role("status")).to_contain_text("共 1 条")
    sup.get_by_role("link", name=f"{town.name}综治中心").click()
    expect(sup.get_by_text(number)).to_have_count(2)  # in the trigger and among the linked cases
    confirm = sup.locator("form", has=sup.get_by_role("heading", name="确认问责"))
    confirm.get_by_label("参加人员（职务）").fill("县委政法委副书记、城关街道党工委书记")
    confirm.get_by_role("button", name="确认生效").click()
    expect(sup.locator("[data-status]")).to_have_text("生效")
    sup.get_by_label("约谈记录、通报文件等（PDF 或图片）").set_input_files(
        {"name": "通报文件.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    sup.get_by_role("button", name="上传").click()
    expect(sup.get_by_role("link", name="通报文件.pdf")).to_be_visible()

    sup.get_by_role("link", name="返回问责台账").click()
    new = sup.locator("form", has=sup.get_by_role("heading", name="登记问责"))
    new.get_by_label("问责对象").select_option(f"region:{town.code}")
    new.get_by_label("问责方式").select_option("listing")
    new.get_by_label("触发原因").fill("矛盾纠纷化解率连续两月全县末位")
    new.get_by_label("整改要求").fill("一个月内完成整改并报县平安办验收")
    new.get_by_role("button", name="登记").click()
    expect(sup.get_by_role("heading", level=1)).to_have_text(f"{town.name} · 挂牌")
    entry_url = sup.url
    snap(sup, "accountability-entry")

    leader = new_page()
    login(leader, live_server, "leader")
    panel = leader.locator("section", has=leader.get_by_role("heading", name="问责事项"))
    expect(panel.get_by_role("listitem")).to_have_count(2)  # the 挂牌 first, then the 通报批评 in its term
    expect(panel.get_by_role("listitem").first.locator(".badge")).to_have_text("挂牌")
    snap(leader, "accountability-dashboard")
    panel.get_by_role("link", name=town.name, exact=True).click()
    expect(leader.get_by_text("矛盾纠纷化解率连续两月全县末位")).to_be_visible()
    expect(leader.get_by_role("button", name="解除")).to_have_count(0)  # leaders read

    handler = new_page()
    login(handler, live_server, "handler")  # a handler of the town's 综治中心
    expect(handler.get_by_role("heading", name="问责事项")).to_be_visible()

    sup.goto(entry_url)
    sup.get_by_label("解除说明（整改完成情况）").fill("整改完成，经县平安办验收合格")
    sup.get_by_role("button", name="解除", exact=True).click()
    expect(sup.locator("[data-status]")).to_have_text("已解除")
    leader.goto(live_server.url + "/")
    panel = leader.locator("section", has=leader.get_by_role("heading", name="问责事项"))
    expect(panel.get_by_role("listitem")).to_have_count(1)
    expect(panel.locator(".badge")).to_have_text("通报批评")
