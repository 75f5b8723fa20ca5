"""平安创建 in the browser: the town's handler scores a village's self-assessment and uploads its
evidence, the town's unit head reviews it, the county supervisor recognises it and finds it on the 公示
list; on a phone the application page reads without sideways scrolling."""

from playwright.sync_api import expect

from pingan.demo.creation import create_programmes

from .conftest import PHONE, login, snap

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_self_assessment_review_and_recognition_through_the_pages(new_page, live_server, live_county):
    create_programmes()
    village = live_county.villages[live_county.towns[0].code][0]
    handler = new_page()
    login(handler, live_server, "handler")
    handler.get_by_role("link", name="平安创建").click()
    expect(handler.get_by_role("heading", level=1, name="平安创建")).to_be_visible()
    handler.get_by_role("link", name="创建申报").click()
    new = handler.locator("form", has=handler.get_by_role("heading", name="开始自评"))
    new.get_by_label("创建项目").select_option("safe_village")
    new.get_by_label("创建村（社区）").select_option(village.code)
    new.get_by_role("button", name="开始自评").click()
    expect(handler.locator("h1")).to_contain_text(village.name)
    inputs = handler.locator("input[type=number]")
    for i in range(inputs.count()):
        box = inputs.nth(i)
        box.fill(box.get_attribute("max") or "0")
    handler.get_by_role("button", name="保存自评得分").click()
    expect(handler.locator(".page-head")).to_contain_text("自评 100 分")
    handler.get_by_label("佐证材料（PDF 或图片）").set_input_files(
        {"name": "平安创建台账.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    handler.get_by_role("button", name="上传").click()
    expect(handler.get_by_role("link", name="平安创建台账.pdf")).to_be_visible()
    handler.get_by_role("button", name="提交申报").click()
    expect(handler.locator("[data-status]").first).to_have_text("待乡镇审核")
    url = handler.url

    head = new_page()
    login(head, live_server, "unit_head")
    head.goto(url)
    head.get_by_label("审核意见").fill("经实地核查，台账齐全")
    head.get_by_role("button", name="乡镇审核通过").click()
    expect(head.locator("[data-status]").first).to_have_text("待县级认定")

    sup = new_page(viewport=PHONE)
    login(sup, live_server, "supervisor")
    sup.goto(url)
    sup.get_by_role("button", name="县级认定").click()
    expect(sup.locator("[data-status]").first).to_have_text("公示中")
    expect(sup.get_by_text("公示期：")).to_be_visible()
    width = sup.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, width
    snap(sup, "creation-application-phone")
    sup.goto(live_server.url + "/creation/notice/")
    expect(sup.get_by_role("link", name=village.name)).to_be_visible()
