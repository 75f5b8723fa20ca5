"""重点地区 in the browser: the supervisor opens the ranking from the menu, lists the village at its top
as 重点整治地区, and finds it among the listed areas, marked in the ranking and on his dashboard."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from pingan.cases.actions import create_case
from pingan.regions.models import Region

from ..conftest import case_body
from .conftest import PHONE, login, snap


def _county_with_a_worst_village(county) -> Region:
    """Every village has 1,000 residents and one case; the second village of the second town has four."""
    villages = [v for t in county.towns for v in county.villages[t.code]]
    Region.objects.filter(code__in=[v.code for v in villages]).update(population=1000)
    worst = county.villages[county.towns[1].code][1]
    at = timezone.now() - timedelta(days=40)
    for village in villages:
        for i in range(4 if village == worst else 1):
            body = case_body(county, region=village.code, title=f"路灯损坏{i}")
            create_case(county.users["dispatcher"], body, now=at)
    return worst


def test_a_supervisor_lists_the_top_village_and_it_shows_as_listed(new_page, live_server, live_county):
    worst = _county_with_a_worst_village(live_county)
    page = new_page()
    login(page, live_server, "supervisor")
    page.get_by_role("link", name="重点地区").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("重点地区")
    top = page.locator("#ranking tbody tr").first
    expect(top).to_have_attribute("data-village", worst.code)
    expect(top.locator("td").nth(4)).to_have_text("4.0")  # 4 cases ÷ 1,000 residents × 1,000
    top.get_by_text("列为重点整治地区").click()
    expect(top.get_by_label("列入理由")).to_contain_text("居")
    top.get_by_role("button", name="列入").click()

    listed = page.locator("#listed")
    expect(listed.locator(f'[data-area="{worst.code}"]')).to_contain_text(worst.name)
    expect(page.locator(f'#ranking tr[data-village="{worst.code}"] [data-listed]')).to_have_text("重点整治")
    expect(page.locator(f'#ranking tr[data-village="{worst.code}"]')).not_to_contain_text("列为重点整治地区")
    snap(page, "focus-areas")

    page.get_by_role("link", name="工作台").click()
    expect(page.locator(f'[data-focus-area="{worst.code}"]')).to_contain_text(worst.name)

    phone = new_page(viewport=PHONE)
    login(phone, live_server, "leader")
    phone.goto(live_server.url + "/focus-areas/")
    expect(phone.locator(f'#listed [data-area="{worst.code}"]')).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # the tables scroll inside their frames, not the page
    snap(phone, "focus-areas-phone")
