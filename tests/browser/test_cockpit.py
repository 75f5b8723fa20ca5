"""The leader cockpit in chromium: a leader clicks a town's bar and lands on the ledger whose total is
the bar's value; the page at 1366 × 768 and on a 360 px phone, its charts and town map drawn."""

import json

from playwright.sync_api import Page, expect

from ..test_cockpit import _case
from ..test_daily_use import _busy_county
from .conftest import PHONE, login, snap

LAPTOP = {"width": 1366, "height": 768}


def _county_with_cases(county) -> None:
    _busy_county(county)
    for town, overdue in ((0, 3), (0, 12), (0, None), (1, 40), (1, None), (2, 100)):
        _case(county, town, overdue_days=overdue)


def _charts_drawn(page: Page) -> None:
    for chart in ("#cockpit-bars", "#cockpit-map", "#cockpit-trend", "#cockpit-ageing"):
        expect(page.locator(f"{chart} svg")).to_have_count(1)
    # The map draws one outline per town.
    expect(page.locator("#cockpit-map svg path").first).to_be_visible()


def _click_bar(page: Page, index: int, value: int) -> None:
    """Click the middle of a town's bar, where ECharts drew it (once drawn and still)."""
    page.locator("#cockpit-bars").scroll_into_view_if_needed()
    expect(page.locator("#cockpit-bars[data-drawn]")).to_have_count(1)
    x, y = page.evaluate(
        """([i, v]) => {
            const el = document.getElementById("cockpit-bars");
            const [x, y] = echarts.getInstanceByDom(el).convertToPixel({seriesIndex: 0}, [i, v / 2]);
            const box = el.getBoundingClientRect();
            return [box.left + x, box.top + y];
        }""",
        [index, value],
    )
    page.mouse.click(x, y)


def test_a_leader_clicks_a_towns_bar_and_lands_on_a_ledger_of_that_total(new_page, live_server, live_county):
    _county_with_cases(live_county)
    page = new_page(viewport=LAPTOP)
    login(page, live_server, "leader")
    page.get_by_role("link", name="领导驾驶舱").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("领导驾驶舱 · " + _county_name(live_county))
    _charts_drawn(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    snap(page, "cockpit-1366")
    data = json.loads(page.locator("#cockpit-data").text_content())
    reported = data["bars"]["series"][0]
    index, value = _largest(reported["values"])
    assert value >= 3
    _click_bar(page, index, value)
    page.wait_for_url("**/cases/?*")
    expect(page.locator("#ledger-total")).to_have_text(str(value))
    expect(page.locator("#f-town")).to_have_value(live_county.towns[index].code)

    # 超期件数 by town: the choice redraws bars and map; the bar opens the overdue ledger of that town.
    page.go_back()
    page.get_by_label("指标").select_option(label="当前超期件数")
    index, value = _largest(data["bars"]["series"][2]["values"])
    assert value == 2  # the first town's two overdue cases
    _click_bar(page, index, value)
    page.wait_for_url("**/cases/?*overdue=true*")
    expect(page.locator("#ledger-total")).to_have_text(str(value))


def _largest(values: list[int]) -> tuple[int, int]:
    index = max(range(len(values)), key=lambda i: values[i])
    return index, values[index]


def _county_name(county) -> str:
    from pingan.regions.models import Region

    return Region.objects.get(code=county.code).name


def test_the_cockpit_fits_a_phone(new_page, live_server, live_county):
    _county_with_cases(live_county)
    page = new_page(viewport=PHONE)
    login(page, live_server, "supervisor")
    page.goto(live_server.url + "/cockpit/")
    _charts_drawn(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    width = page.locator("#cockpit-bars svg").evaluate("svg => svg.getBoundingClientRect().width")
    assert 0 < width <= PHONE["width"]
    snap(page, "cockpit-360")
    page.locator(".cockpit-ageing a.tile").last.click()
    page.wait_for_url("**/cases/?*overdue_days_min=90*")
    expect(page.locator("#ledger-total")).to_have_text("1")
