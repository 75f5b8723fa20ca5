"""A dispute from intake to follow-up, an extension and a return decided in the inbox, and a grid
worker's report on a phone: every step clicked through in the browser, as the people who use it do."""

import re
import struct
import zlib

from django.utils import timezone
from playwright.sync_api import Page, expect

from pingan.cases.models import Case, CaseRequest
from pingan.demo.county import town_centre

from .conftest import PHONE, login, snap


def tiny_png(tmp_path, name="现场照片.png"):
    """A real 2×2 PNG file, so that the page shows a decodable thumbnail."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xb4\x23\x18" * 2 for _ in range(2))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path = tmp_path / name
    path.write_bytes(png)
    return path


def act(page: Page, label: str, fields: dict | None = None, files: dict | None = None) -> None:
    """Open the action's form on the case page, fill it, submit, and wait for the confirmation."""
    form = page.locator("details.action").filter(
        has=page.locator("summary", has_text=re.compile(f"^{label}$"))
    )
    form.locator("summary").click()
    for selector, value in (fields or {}).items():
        target = form.locator(selector)
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        elif target.get_attribute("type") in ("radio", "checkbox"):
            target.check()
        else:
            target.fill(value)
    for selector, path in (files or {}).items():
        form.locator(selector).set_input_files(path)
    form.get_by_role("button", name=label, exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"已{label}")


def open_case(page: Page, live_server, number: str) -> None:
    page.goto(f"{live_server.url}/cases/{number}/")
    expect(page.locator(".case-number")).to_contain_text(number)


def register_dispute(page: Page, live_server, county, title: str) -> str:
    page.get_by_role("link", name="登记案件").first.click()
    page.locator("#i-stream").select_option("dispute")
    page.get_by_placeholder("输入关键字筛选分类").fill("邻里")
    page.locator("#i-category").select_option("D02")
    page.get_by_label("标题").fill(title)
    page.get_by_label("事项描述").fill("两户因排水沟渠走向发生争执，双方情绪激动，请求调解。")
    page.get_by_label("乡镇（街道）").select_option(county.towns[0].code)
    village = county.villages[county.towns[0].code][0].code
    expect(page.locator(f"#i-village option[value='{village}']")).to_be_attached()
    page.get_by_label("村（社区）").select_option(village)
    page.locator("#i-rname").fill("李四")
    page.locator("#i-rphone").fill("13912345678")
    page.locator("#p0-name").fill("张三")
    page.get_by_text("添加更多当事人").click()
    page.locator("#p1-role").select_option("respondent")
    page.locator("#p1-name").fill("王五")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("已登记")
    number = re.search(r"PA-\d{6}-\d{4}-\d{6}", page.locator(".case-number").inner_text()).group(0)
    return number


def test_a_dispute_from_intake_to_follow_up(new_page, live_server, live_county, tmp_path):
    dispatcher = new_page()
    login(dispatcher, live_server, "dispatcher")
    number = register_dispute(dispatcher, live_server, live_county, "邻里排水沟渠纠纷")
    act(dispatcher, "受理", {"textarea[name=note]": "属人民调解受案范围"})
    # The routing rule's unit is pre-selected; the dispatcher only confirms.
    expect(dispatcher.locator("select[name=lead_unit] option:checked")).to_contain_text("（建议）")
    act(dispatcher, "分派")
    expect(dispatcher.locator(".case-head .badge").first).to_have_text("已分派")

    leader = new_page()
    login(leader, live_server, "leader")
    open_case(leader, live_server, number)
    act(
        leader,
        "督办",
        {
            "input[name=level][value=listed]": "",
            "textarea[name=requirement]": "请于一周内化解",
            "input[name=report_every_days]": "7",
        },
    )
    leader.get_by_role("link", name="督办案件").click()
    expect(leader.get_by_role("link", name="邻里排水沟渠纠纷")).to_be_visible()

    handler = new_page()
    login(handler, live_server, "handler")
    handler.get_by_role("link", name=re.compile("待签收")).click()
    handler.get_by_role("link", name=number).click()
    act(handler, "签收")
    act(
        handler,
        "记录工作",
        {"select[name=kind]": "mediation", "textarea[name=content]": "组织双方现场调解，初步达成共识。"},
    )
    act(
        handler,
        "办结反馈",
        {"select[name=outcome]": "resolved", "textarea[name=summary]": "双方签订调解协议，沟渠改道。"},
        files={"input[name=evidence_files]": tiny_png(tmp_path)},
    )
    expect(handler.locator(".thumbs img")).to_have_count(1)
    expect(handler.locator(".thumbs img")).to_have_js_property("naturalWidth", 2)
    snap(handler, "detail-resolved")

    supervisor = new_page()
    login(supervisor, live_server, "supervisor")
    open_case(supervisor, live_server, number)
    act(supervisor, "核查通过")

    open_case(dispatcher, live_server, number)
    act(
        dispatcher,
        "回访",
        {"input[name=satisfaction][value=satisfied]": "", "input[name=resolved][value=true]": ""},
    )
    expect(dispatcher.locator(".case-head .badge").first).to_have_text("已结案")
    timeline = dispatcher.locator("#h-events + ol.timeline")
    for step in ("登记", "受理", "分派", "督办", "签收", "记录工作", "办结反馈", "核查通过", "回访"):
        expect(timeline).to_contain_text(step)
    assert Case.objects.get(number=number).follow_ups.get().satisfaction == "satisfied"

    dispatcher.get_by_role("link", name="案件台账").click()
    expect(dispatcher.get_by_role("link", name=number)).to_be_visible()
    snap(dispatcher, "ledger")
    dispatcher.get_by_role("link", name="工作台").click()
    snap(dispatcher, "home")


def _dispatched_dispute(page: Page, live_server, county, title: str) -> str:
    number = register_dispute(page, live_server, county, title)
    act(page, "受理")
    act(page, "分派")
    return number


def test_extension_and_return_are_decided_in_the_inbox(new_page, live_server, live_county):
    dispatcher = new_page()
    login(dispatcher, live_server, "dispatcher")
    extended = _dispatched_dispute(dispatcher, live_server, live_county, "宅基地界址争议")
    returned = _dispatched_dispute(dispatcher, live_server, live_county, "劳务费结算争议")

    handler = new_page()
    login(handler, live_server, "handler")
    open_case(handler, live_server, extended)
    act(handler, "签收")
    old_due = Case.objects.get(number=extended).resolve_due
    act(
        handler,
        "申请延期",
        {"textarea[name=reason]": "需等待土地确权结果", "input[name=new_due]": "2030-06-30T17:30"},
    )

    head = new_page()
    login(head, live_server, "unit_head")
    head.get_by_role("link", name=re.compile("待审批")).click()
    card = head.locator("section.card").filter(has_text=extended)
    expect(card).to_contain_text("需等待土地确权结果")
    card.get_by_label("同意", exact=True).check()
    card.get_by_role("button", name="提交审批").click()
    expect(head.locator(".messages")).to_contain_text("已审批延期")
    assert Case.objects.get(number=extended).resolve_due > old_due

    open_case(head, live_server, returned)
    act(head, "申请退单", {"textarea[name=reason]": "不属本所职责，应由县人社局办理"})
    dispatcher.get_by_role("link", name="审批事项").click()
    card = dispatcher.locator("section.card").filter(has_text=returned)
    card.get_by_label("同意", exact=True).check()
    card.get_by_role("button", name="提交审批").click()
    expect(dispatcher.locator(".messages")).to_contain_text("已审批退单")
    assert Case.objects.get(number=returned).status == "accepted"
    assert CaseRequest.objects.get(case__number=returned).decision == "approved"


def test_grid_worker_reports_from_a_phone(new_page, live_server, live_county, tmp_path):
    lat, lng = town_centre(0)  # a spot in the worker's town, which the test county outlines
    phone = new_page(
        viewport=PHONE, permissions=["geolocation"], geolocation={"latitude": lat, "longitude": lng}
    )
    login(phone, live_server, "grid_worker")
    first_tab = phone.locator("nav.side a").first
    expect(first_tab).to_have_text("网格上报")  # the report is the first tab
    first_tab.click()
    phone.get_by_label("事项类型").select_option("hazard")
    phone.get_by_label("分类").select_option("H02")
    phone.get_by_label("紧急", exact=True).check()
    phone.get_by_label("标题").fill("楼道内闻到燃气味")
    phone.get_by_label("情况描述").fill("3 栋 2 单元楼道燃气味明显，已提醒住户开窗、勿用明火。")
    phone.get_by_role("button", name="获取当前位置").click()
    expect(phone.locator("#g-geo-status")).to_contain_text("已定位")
    phone.get_by_label("现场照片").set_input_files(tiny_png(tmp_path))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    snap(phone, "grid-form")
    phone.get_by_role("button", name="上报", exact=True).click()
    expect(phone.locator(".messages")).to_contain_text("已上报")
    reports = phone.locator("ul.reports")
    expect(reports).to_contain_text("楼道内闻到燃气味")
    case = Case.objects.get(title="楼道内闻到燃气味")
    expect(reports).to_contain_text(f"{timezone.localtime(case.reported_at):%Y-%m-%d %H:%M} · {case.number}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    snap(phone, "grid")
    assert case.channel == "grid" and case.attachments.get().kind == "photo"
    assert case.severity == "major" and case.category.code == "H02"

    reports.get_by_role("link", name="楼道内闻到燃气味").click()
    expect(phone.locator(".case-number")).to_contain_text(case.number)
    expect(phone.locator(".coords")).to_have_text(f"纬度 {lat:.5f}，经度 {lng:.5f}")
    locator = phone.get_by_role("img", name=re.compile(f"位置示意：{live_county.towns[0].name}"))
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None and box["width"] > 100 and box["x"] + box["width"] <= 360
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    snap(phone, "grid-case")
