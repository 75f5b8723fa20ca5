"""The 统计数据 page in the browser: a supervisor enters a town's figure, the page shows it against the
year before and the target, and a leader clicks through from the county to the town."""

from decimal import Decimal

from playwright.sync_api import expect

from pingan.statistics.models import Indicator

from .conftest import login, snap


def test_a_supervisor_enters_a_figure_and_a_leader_reads_it_by_town(new_page, live_server, live_county):
    Indicator.objects.create(
        code="fires", name="火灾起数", unit="起", source="县消防救援大队", target=Decimal(5)
    )
    town = live_county.towns[0]
    page = new_page(allow_errors=[r"status of 400 .*/statistics/enter/"])  # the refused value, on purpose
    login(page, live_server, "supervisor")
    page.get_by_role("link", name="统计数据").click()
    page.get_by_label("期间").first.fill("2026-10")
    page.get_by_role("button", name="查看").click()
    form = page.locator("form", has=page.get_by_role("heading", name="填报一个数值"))
    form.get_by_label("指标", exact=True).select_option("fires")  # not the 命案起数 the migrations add
    form.get_by_label("区划").select_option(town.code)
    form.get_by_label("数值").fill("七")
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").first).to_contain_text("应为不小于 0 的数字")
    form = page.locator("form", has=page.get_by_role("heading", name="填报一个数值"))
    form.get_by_label("指标", exact=True).select_option("fires")
    form.get_by_label("区划").select_option(town.code)
    form.get_by_label("期间").fill("2026-10")
    form.get_by_label("数值").fill("7")
    form.get_by_role("button", name="保存").click()
    figures = page.get_by_role("row", name="火灾起数（起）")
    expect(figures).to_contain_text("未达目标（差 2）")
    snap(page, "statistics-entered")

    leader = new_page()
    login(leader, live_server, "leader")
    leader.goto(f"{live_server.url}/statistics/?period=2026-10&source=县消防救援大队")
    by_town = leader.locator("section", has=leader.get_by_role("heading", name="分乡镇（街道）"))
    expect(by_town.get_by_role("row", name=town.name)).to_contain_text("7")
    by_town.get_by_role("link", name=town.name).click()
    expect(leader.get_by_role("heading", level=2).first).to_contain_text(f"{town.name} · 2026年10月")
    expect(leader.get_by_role("button", name="保存")).to_have_count(0)
    snap(leader, "statistics-town")
