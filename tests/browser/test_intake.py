"""登记案件 in the browser: the similar-case warning follows the form as it is filled (title first, as the
form asks), and an empty submit leads to the fields it names."""

from playwright.sync_api import expect

from ..conftest import Api, case_body
from .conftest import login, snap


def test_title_first_then_town_and_village_warns_of_a_similar_open_case(page, live_server, live_county):
    town = live_county.towns[0]
    village = live_county.villages[town.code][0]
    number = Api(live_county.users["dispatcher"]).post(
        "/cases", case_body(live_county, title="幸福小区路灯损坏", region=village.code)
    )[1]["number"]
    login(page, live_server, "dispatcher")
    page.goto(f"{live_server.url}/cases/new/")
    page.get_by_label("标题").fill("小区路灯又坏了")
    warning = page.locator("#similar")
    expect(warning).to_be_empty()  # no place yet: nothing to compare with
    page.get_by_label("乡镇（街道）").select_option(town.code)
    expect(warning).to_contain_text("同一乡镇（街道）")
    expect(page.locator(f"#i-village option[value='{village.code}']")).to_be_attached()
    page.get_by_label("村（社区）").select_option(village.code)
    expect(warning).to_contain_text("同一村（社区）")
    expect(warning.get_by_role("link", name=number)).to_be_visible()
    expect(warning).to_contain_text("幸福小区路灯损坏")
    expect(warning).to_contain_text("登记")
    snap(page, "intake-similar")

    # Another village of the town has no such case: the warning goes away.
    other = live_county.villages[town.code][1]
    page.get_by_label("村（社区）").select_option(other.code)
    expect(warning.get_by_role("link", name=number)).to_have_count(0)


def test_an_empty_submit_leads_to_the_fields_it_names(new_page, live_server, live_county):
    page = new_page(allow_errors=[r"status of 400 \(Bad Request\) .*/cases/new/"])
    login(page, live_server, "dispatcher")
    page.goto(f"{live_server.url}/cases/new/")
    page.get_by_role("button", name="登记", exact=True).click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("标题：此项必填")
    expect(summary).not_to_contain_text("地点")
    town = page.get_by_label("乡镇（街道）")
    expect(town).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#i-town-error")).to_have_text("此项必填")
    assert town.evaluate("e => getComputedStyle(e).borderLeftWidth") == "4px"  # the visible mark
    summary.get_by_role("link", name="乡镇（街道）：此项必填").click()
    expect(town).to_be_focused()
    snap(page, "intake-errors")


def test_the_case_pages_similar_panel_links_and_merges(page, live_server, live_county):
    d = Api(live_county.users["dispatcher"])
    base = d.post("/cases", case_body(live_county, address="幸福小区3栋"))[1]["number"]
    again = d.post("/cases", case_body(live_county, title="小区路灯坏了没人修", address="幸福小区3栋"))[1][
        "number"
    ]
    third = d.post("/cases", case_body(live_county, title="幸福小区路灯坏了"))[1]["number"]
    login(page, live_server, "dispatcher")
    page.goto(f"{live_server.url}/cases/{again}/")
    panel = page.locator("#similar-cases")
    item = panel.locator(f"li[data-number='{base}']")
    expect(item).to_contain_text("标题相近")
    expect(item).to_contain_text("同一地址或楼栋")
    snap(page, "case-similar-panel")
    item.get_by_role("button", name="关联此案").click()
    expect(page.locator(".messages")).to_contain_text("已关联案件")
    expect(page.locator("dl.facts").first.get_by_role("link", name=base)).to_be_visible()

    page.goto(f"{live_server.url}/cases/{third}/")
    item = page.locator(f"#similar-cases li[data-number='{base}']")
    item.get_by_text("将本案并入此案").click()
    item.get_by_role("button", name=f"并入 {base}").click()
    expect(page.locator(".case-head")).to_contain_text("已合并")
    expect(page.locator("dl.facts").first).to_contain_text(f"已并入{base}")
