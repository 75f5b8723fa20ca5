"""隐患排查 clicked through on a phone: a town handler records an inspection with a finding and sees the
hazard case it opened on the place's page; the dispatcher, who reads the case, follows the link from
the place to the case and back."""

from playwright.sync_api import expect

from pingan.inspections import actions
from pingan.inspections.models import Finding

from .conftest import login, snap


def test_a_handler_records_a_finding_and_sees_its_hazard_case_on_the_place(
    phone_page, new_page, live_server, live_county
):
    handler = live_county.users["handler"]
    village = live_county.villages[live_county.towns[0].code][0]
    place = actions.register_place(
        handler,
        {"kind": "restaurant", "name": "柳岸小吃店", "region": village.code, "address": "幸福路 8 号",
         "grade": "high", "responsible_unit": "柳岸小吃店"},
    )  # fmt: skip
    items = actions.checklist(place)
    page = phone_page
    login(page, live_server, "handler")
    page.get_by_role("link", name="隐患排查").first.click()
    page.get_by_role("link", name="柳岸小吃店").click()
    expect(page.get_by_role("heading", name="柳岸小吃店")).to_be_visible()
    page.get_by_role("link", name="记录检查").click()
    for item in items:
        value = "failed" if item == items[0] else "passed"
        page.locator(f'input[name="result_{item.pk}"][value="{value}"]').check()
    page.fill(f"#f-{items[0].pk}", "灭火器压力不足，已过检验期")
    snap(page, "inspection-form-phone")
    page.get_by_role("button", name="提交检查记录").click()
    number = Finding.objects.get(inspection__place=place).case.number
    expect(page.locator(".messages")).to_contain_text(number)
    history = page.locator("section[aria-labelledby=h-history]")
    expect(history).to_contain_text("灭火器压力不足，已过检验期")
    expect(history.locator("td.case-number")).to_have_text(number)
    expect(history).to_contain_text("登记")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360 + 1, f"the place page fits a 360 px phone ({width} px)"
    snap(page, "inspection-place-phone")

    dispatcher = new_page()
    login(dispatcher, live_server, "dispatcher")
    dispatcher.goto(f"{live_server.url}/inspections/places/{place.pk}/")
    dispatcher.locator("section[aria-labelledby=h-history]").get_by_role("link", name=number).click()
    panel = dispatcher.locator("section[aria-labelledby=h-inspection]")
    expect(panel).to_contain_text("灭火器压力不足，已过检验期")
    panel.get_by_role("link", name="柳岸小吃店").click()
    expect(dispatcher.get_by_role("heading", name="柳岸小吃店")).to_be_visible()
