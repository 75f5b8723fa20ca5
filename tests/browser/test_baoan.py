"""包案 in the browser (GOVERNANCE §7): the leader finds his case on his desk with its late step marked,
on a desktop and on a phone, and follows the desk's link to his cases in the ledger."""

from datetime import timedelta

from playwright.sync_api import expect

from pingan.cases.models import LeaderAssignment

from ..conftest import Api, case_body
from ..test_baoan_backlog import TODAY, plan
from .conftest import PHONE, login, snap


def test_the_leader_sees_his_baoan_case_with_a_late_step_on_his_desk(new_page, live_server, live_county):
    c = live_county
    d = Api(c.users["dispatcher"])
    number = d.post("/cases", case_body(c, stream="petition", category="P03", title="征地补偿款迟迟未发放"))[
        1
    ]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {"lead_unit": c.town_unit(c.towns[0], "centre").code})
    Api(c.users["handler"]).act(number, "sign")
    team = [c.town_unit(c.towns[0], "centre").code]
    d.act(number, "assign_leader", {"leader": "leader", "team_units": team, "plan": plan(1, 7, 20)})
    Api(c.users["leader"]).act(number, "complete_plan_step", {"step": 1, "note": "已约谈信访人"})
    LeaderAssignment.objects.get(case__number=number).steps.filter(position=2).update(
        due=TODAY - timedelta(days=3)
    )  # the second step's day has passed undone

    for viewport, name in ((None, "baoan-desk"), (PHONE, "baoan-desk-phone")):
        page = new_page(viewport=viewport) if viewport else new_page()
        login(page, live_server, "leader")
        desk = page.locator("section[aria-labelledby=h-baoan]")
        expect(desk.get_by_role("heading", name="我包案的案件")).to_be_visible()
        row = desk.locator(f"li[data-case='{number}']")
        expect(row.get_by_role("link")).to_contain_text("征地补偿款迟迟未发放")
        expect(row).to_contain_text("办理中")
        expect(row.locator("li[data-state=done]")).to_contain_text("已完成")
        late = row.locator("li[data-state=late]")
        expect(late).to_have_count(1)
        expect(late).to_contain_text("第2步工作")
        expect(late).to_contain_text("已逾期")
        expect(row.locator("li[data-state=due]")).to_contain_text("待完成")
        snap(page, name)
    desk.get_by_role("link", name="在台账中查看我包案的全部案件").click()
    expect(page).to_have_url(f"{live_server.url}/cases/?leader=me")
    expect(page.get_by_role("main")).to_contain_text(number)
