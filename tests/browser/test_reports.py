"""A supervisor makes the month's 通报 in the browser: generates the draft (built by `pingan worker`), sees
its tables and chart, writes the commentary, publishes it and downloads the Word file; a leader then reads
it, frozen."""

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from pingan.core.periods import period_of
from pingan.demo.generator import generate_cases

from .conftest import login, snap


def test_a_supervisor_generates_annotates_and_publishes_the_monthly_report(
    new_page, live_server, live_county
):
    generate_cases(live_county, 60)
    month = period_of("month", timezone.localdate().replace(day=1) - timedelta(days=1))
    page = new_page()
    login(page, live_server, "supervisor")
    page.get_by_role("link", name="调度通报").click()
    page.get_by_label("类型").select_option("monthly")
    page.get_by_label("期间").fill(month.key)
    page.get_by_role("button", name="生成", exact=True).click()
    # The worker builds the draft; the page, polling on its own, shows it once it is written.
    expect(page.get_by_role("status")).to_contain_text("正在按最新数据生成报告")
    snap(page, "report-generating")
    call_command("worker", "--batch")
    expect(page.get_by_text("示范县平安建设工作月通报")).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("本月登记")
    chart = page.get_by_role("img", name="本月登记与办结")
    expect(chart.locator("svg")).to_be_visible()  # drawn by ECharts
    page.get_by_label("按语（可编辑，发布时一并定稿）").fill("请各乡镇对超期案件逐件销号。")
    page.get_by_role("button", name="保存按语").click()
    expect(page.get_by_label("按语（可编辑，发布时一并定稿）")).to_have_value("请各乡镇对超期案件逐件销号。")
    page.get_by_role("button", name="发布（定稿）").click()
    expect(page.get_by_text("数字和文件已定稿")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="下载 Word").click()
    assert info.value.suggested_filename == f"示范县平安建设工作月通报-{month.key}.docx"
    snap(page, "report-published")

    leader = new_page()
    login(leader, live_server, "leader")
    leader.get_by_role("link", name="调度通报").click()
    leader.get_by_role("link", name="示范县平安建设工作月通报").click()
    expect(leader.get_by_text("请各乡镇对超期案件逐件销号。")).to_be_visible()
    expect(leader.get_by_role("button", name="发布（定稿）")).to_have_count(0)
