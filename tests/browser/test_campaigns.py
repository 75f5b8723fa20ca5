"""专项整治 in the browser: a supervisor creates a campaign of three phases with the form, issues four tasks
(a fifth is back-dated), sees the late one in red on the 挂图作战 timeline, lists a finding (a
rectification case), watches 清零率 rise when the case is closed, draws a 回头看 round; the centre's
dispatcher fails the item and it counts as 反弹.
The page also fits a 360 px phone."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from pingan.campaigns import actions
from pingan.campaigns.models import Campaign

from ..conftest import JPEG, Api
from .conftest import PHONE, login, open_details, snap


def _close(county, number: str) -> None:
    d, h = Api(county.users["dispatcher"]), Api(county.users["handler"])
    d.act(number, "accept")
    d.act(number, "dispatch", {"lead_unit": county.town_unit(county.towns[0], "centre").code})
    h.act(number, "sign")
    att = h.upload(number, JPEG)[1]
    h.act(number, "resolve", {"outcome": "resolved", "summary": "已整改", "evidence": [att["id"]]})
    Api(county.users["supervisor"]).act(number, "check_pass")


def test_create_late_task_finding_clearance_and_review(new_page, live_server, live_county):
    county = live_county
    town, village = county.towns[0], county.villages[county.towns[0].code][0]
    sup = new_page()
    login(sup, live_server, "supervisor")
    sup.get_by_role("link", name="专项整治").click()
    sup.get_by_role("link", name="新建专项整治").click()
    sup.get_by_label("名称", exact=True).fill("电动车安全隐患专项整治")
    sup.get_by_label("示范县", exact=True).check()
    sup.get_by_label("牵头单位").select_option(county.units["ZZZX"].code)
    sup.get_by_label("指标名称").first.fill("整改事项办结率")
    sup.get_by_label("数据来源").first.fill("closed_rate")
    # Three phases: the form offers four; clearing the last one's name and dates leaves it out.
    for field in ("#p-name-4", "#p-start-4", "#p-end-4"):
        sup.locator(field).fill("")
    sup.get_by_role("button", name="创建").click()
    expect(sup.get_by_role("heading", level=1)).to_have_text("电动车安全隐患专项整治")
    expect(sup.locator("ol.phases li")).to_have_count(3)
    expect(sup.locator("ol.phases li.current")).to_contain_text("动员部署")
    campaign = Campaign.objects.get()
    assert campaign.phases.count() == 3

    # Four tasks issued with the form, to the town's centre and the county's units.
    for i, (title, unit) in enumerate([
        ("全面排查小区电动车违规充电", county.town_unit(town, "centre").code),
        ("清理楼道电动车停放", county.town_unit(town, "centre").code),
        ("开展电动车消防安全宣传", county.units["ZZZX"].code),
        ("检查电动车销售维修门店", county.units["ZZZX"].code),
    ]):  # fmt: skip
        open_details(sup, "下达任务")
        sup.get_by_label("任务", exact=True).fill(title)
        sup.locator("#t-unit").select_option(unit)
        sup.get_by_label("完成时限").fill(str(timezone.localdate() + timedelta(days=20 + i)))
        sup.get_by_label("每隔几日报告进展").fill("7")
        sup.get_by_role("button", name="下达", exact=True).click()
        expect(sup.locator("[data-task]")).to_have_count(i + 1)
    expect(sup.locator('[data-task][data-late="true"]')).to_have_count(0)
    timeline = sup.locator("#campaign-timeline")
    expect(timeline).to_have_attribute("data-drawn", "true")
    red = timeline.locator('svg path[fill="#b3261e"], svg path[fill="rgb(179,38,30)"]')
    red_before = red.count()  # the legend's 逾期 key, and no bar

    # The fifth task, issued three weeks ago, whose weekly report never came: late, red on the timeline.
    late = actions.add_task(
        campaign, by=county.users["supervisor"], today=timezone.localdate() - timedelta(days=21),
        payload={"title": "建设集中充电车棚", "unit": county.town_unit(town, "centre").code,
                 "due": str(timezone.localdate() - timedelta(days=1)), "report_every_days": 7},
    )  # fmt: skip
    sup.reload()
    row = sup.locator(f'[data-task="{late.pk}"]')
    expect(row).to_have_attribute("data-late", "true")
    expect(row.locator("[data-late-marker]")).to_have_text("逾期")
    expect(sup.locator("[data-task]")).to_have_count(5)
    expect(sup.locator("[data-late-count]")).to_have_text("1")
    expect(timeline).to_have_attribute("data-late", "1")
    expect(timeline).to_have_attribute("data-drawn", "true")
    expect(timeline.locator("svg text", has_text="逾期").first).to_be_visible()  # the legend entry
    assert red.count() == red_before + 1  # the late task's bar

    sup.get_by_text("登记问题", exact=True).click()
    sup.get_by_label("问题", exact=True).fill("车棚私拉电线为电动车充电")
    sup.get_by_label("所在区划").select_option(village.code)
    sup.get_by_role("button", name="登记", exact=True).click()
    clearance = sup.locator(f'[data-town="{town.code}"] [data-rate]')
    expect(clearance).to_have_text("0.0%")
    number = sup.locator("ul.findings a").first.inner_text()
    _close(county, number)
    sup.reload()
    expect(clearance).to_have_text("100.0%")
    expect(sup.locator("[data-clearance]")).to_have_text("100.0%")
    expect(sup.locator("#campaign-map")).to_be_visible()

    sup.get_by_role("button", name="抽取一轮回头看").click()
    expect(sup.locator('[data-round="1"] [data-result="pending"]')).to_have_count(1)
    snap(sup, "campaign-page")

    centre = new_page()
    login(centre, live_server, "dispatcher")
    centre.get_by_role("link", name="专项整治").click()
    centre.get_by_role("link", name="电动车安全隐患专项整治").click()
    centre.get_by_label("复查情况").fill("复查发现又有私拉电线")
    centre.get_by_role("button", name="不合格，重新办理").click()
    expect(centre.locator('[data-round="1"] [data-result="failed"]')).to_have_count(1)
    expect(centre.locator("[data-rebound]")).to_have_text("1")
    expect(centre.locator(f'[data-town="{town.code}"] [data-rate]')).to_have_text("0.0%")

    phone = new_page(viewport=PHONE)
    login(phone, live_server, "leader")
    phone.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    expect(phone.locator("#campaign-timeline")).to_have_attribute("data-drawn", "true")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    snap(phone, "campaign-phone")
