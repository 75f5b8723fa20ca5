"""The auditor's day in the browser: his desk, 审计日志 from the menu, a filter, the chain's state."""

import re
from io import StringIO

from django.core.management import call_command
from playwright.sync_api import expect

from pingan.audit.models import ChainVerification
from pingan.audit.verification import run_check

from ..conftest import Api, case_body
from .conftest import login, snap


def test_auditor_filters_the_log_and_checks_the_chain(page, live_server, live_county):
    d = Api(live_county.users["dispatcher"])
    number = d.post("/cases", case_body(live_county))[1]["number"]
    d.act(number, "accept")
    call_command("audit", "verify", stdout=StringIO())

    login(page, live_server, "auditor")
    expect(page.get_by_role("link", name=re.compile("审计链校验"))).to_contain_text("正常")
    menu = page.get_by_role("navigation", name="主菜单")
    expect(menu.get_by_role("link")).to_have_text(["工作台", "审计日志"])
    snap(page, "home-auditor")

    menu.get_by_role("link", name="审计日志").click()
    expect(page.get_by_role("heading", level=1, name="审计日志")).to_be_visible()
    expect(page.locator("#chain")).to_contain_text("审计链校验：正常")
    page.get_by_label("操作", exact=True).select_option(label="受理案件")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"action=case\.accept"))
    expect(page.locator("p.total")).to_have_text("共 1 条")
    row = page.locator("table.audit-log tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("受理案件")
    expect(row).to_contain_text("周受理")
    expect(row).to_contain_text(number)
    snap(page, "audit-log-filtered")

    # A check asked for on the page runs in the background; the page picks up its result by itself.
    page.get_by_role("button", name="立即校验").click()
    expect(page.locator("#chain")).to_contain_text("已排队")
    run_check.call(ChainVerification.objects.first().pk)
    expect(page.locator("#chain")).not_to_contain_text("已排队", timeout=10_000)
    expect(page.get_by_role("button", name="立即校验")).to_be_visible()
    expect(page.locator("#chain")).to_contain_text("审计链校验：正常")
