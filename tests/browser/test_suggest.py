"""智能建议 in the browser: the hint follows the title, and a click puts the suggestion into the field."""

import pytest
from playwright.sync_api import expect

from pingan.suggest.training import fit

from ..conftest import Api, case_body
from ..test_suggest import clear_rows
from .conftest import login, snap


@pytest.fixture
def trained(live_county, settings, tmp_path):
    settings.SUGGEST_MODEL = tmp_path / "suggest.npz"
    fit(clear_rows(live_county)).save(settings.SUGGEST_MODEL)


def test_a_click_on_a_suggestion_fills_category_and_lead_unit(page, live_server, live_county, trained):
    login(page, live_server, "dispatcher")
    page.goto(f"{live_server.url}/cases/new/")
    page.get_by_label("业务类型").select_option("dispute")
    page.get_by_placeholder("输入关键字筛选分类").fill("劳动")  # a filter that hides 邻里
    page.get_by_label("标题").fill("邻居深夜噪音影响休息")
    hint = page.locator("#category-hint")
    button = hint.get_by_role("button", name="邻里（置信度")
    expect(button).to_be_visible()
    expect(hint).to_contain_text("建议分类：")
    snap(page, "suggest-intake")
    button.click()
    expect(page.locator("#i-category")).to_have_value("D02")
    expect(page.get_by_placeholder("输入关键字筛选分类")).to_have_value("")
    expect(button).to_have_attribute("aria-pressed", "true")  # asked again with the category chosen

    village = live_county.villages[live_county.towns[0].code][0].code
    api = Api(live_county.users["dispatcher"])
    body = case_body(live_county, stream="dispute", category="D02", title="邻居噪音扰民", region=village)
    number = api.post("/cases", body)[1]["number"]
    api.act(number, "accept")
    page.goto(f"{live_server.url}/cases/{number}/")
    page.locator("summary", has_text="分派").click()
    unit = live_county.town_unit(live_county.towns[0], "judicial")
    page.get_by_label("牵头单位").select_option("")
    page.get_by_role("button", name=f"{unit.name}（置信度").click()
    expect(page.get_by_label("牵头单位")).to_have_value(unit.code)
