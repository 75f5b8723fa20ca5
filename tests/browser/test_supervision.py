"""挂牌督办 clicked through: a leader lists a case on its page, the handler files his progress report,
the leader finds it on the 督办 page and lifts it."""

from playwright.sync_api import expect

from ..conftest import Api, case_body
from .conftest import login, snap
from .test_lifecycle import act, open_case


def test_a_leader_lists_a_case_the_handler_reports_the_leader_lifts_it(new_page, live_server, live_county):
    d = Api(live_county.users["dispatcher"])
    number = d.post("/cases", case_body(live_county, title="两户因宅基地界址反复争执"))[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {"lead_unit": live_county.town_unit(live_county.towns[0], "centre").code})
    Api(live_county.users["handler"]).act(number, "sign")

    leader = new_page()
    login(leader, live_server, "leader")
    open_case(leader, live_server, number)
    act(
        leader,
        "督办",
        {
            'input[name="level"][value="listed"]': "",
            'textarea[name="requirement"]': "一周内拿出化解方案，每 7 日报告进展",
            'input[name="report_every_days"]': "7",
        },
    )
    panel = leader.locator("section[aria-labelledby=h-supervision]")
    expect(leader.locator(".case-head .badge.listed")).to_have_text("挂牌督办")
    expect(panel).to_contain_text("陈县长")
    expect(panel).to_contain_text("一周内拿出化解方案")
    expect(panel.locator("[data-next-report]")).to_be_visible()

    handler = new_page()
    login(handler, live_server, "handler")
    handler.get_by_role("link", name="督办案件").click()
    expect(handler.locator("[data-total]")).to_have_text("1")
    handler.get_by_role("link", name="两户因宅基地界址反复争执").click()
    act(handler, "报告督办进展", {'textarea[name="text"]': "已召集双方现场丈量，拟下周调解"})
    reports = handler.locator("section[aria-labelledby=h-supervision] ol.timeline")
    expect(reports).to_contain_text("已召集双方现场丈量")
    expect(reports).to_contain_text("按时")

    leader.goto(live_server.url + "/")
    leader.locator(".tiles a.tile", has_text="挂牌督办").click()
    expect(leader.locator("[data-total]")).to_have_text("1")
    row = leader.locator("table.grid tbody tr", has_text=number)
    expect(row).to_contain_text("一周内拿出化解方案")
    snap(leader, "supervision-list")
    row.get_by_role("link").first.click()
    act(leader, "解除督办", {'textarea[name="note"]': "方案已落实，双方签订调解协议"})
    expect(leader.locator("section[aria-labelledby=h-supervision]")).to_contain_text("督办已解除")
    expect(leader.locator(".case-head .badge.listed")).to_have_count(0)
    leader.goto(live_server.url + "/supervision/?state=ended")
    expect(leader.locator("table.grid tbody tr", has_text=number)).to_contain_text("由陈县长解除")
