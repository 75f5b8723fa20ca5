"""Printing a case: the page prints without the menu, header bar and forms (GOVERNANCE §11), and its
documents download as Word files from the case page."""

import io

import pypdfium2
from docx import Document
from playwright.sync_api import expect

from ..conftest import Api, case_body
from .conftest import login, snap
from .test_lifecycle import open_case


def test_the_case_page_prints_without_menu_header_and_forms_and_offers_its_documents(
    new_page, live_server, live_county, tmp_path
):
    d = Api(live_county.users["dispatcher"])
    number = d.post("/cases", case_body(live_county, title="两户因宅基地界址反复争执"))[1]["number"]
    d.act(number, "accept")
    page = new_page()
    login(page, live_server, "dispatcher")
    open_case(page, live_server, number)
    expect(page.locator("nav.side")).to_contain_text("案件台账")
    expect(page.locator("section[aria-labelledby=h-actions]")).to_be_visible()

    pdf = pypdfium2.PdfDocument(page.pdf(format="A4"))
    text = "".join("".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))).split())
    assert "两户因宅基地界址反复争执" in text and number in text and "基本信息" in text
    for gone in ("案件台账", "登记案件", "综治中心案件平台", "退出", "办理", "文书打印"):
        assert gone not in text, f"{gone} is not printed"
    assert text.count("查看") == text.count("查看原文"), "the reveal buttons (查看) are not printed"
    page.emulate_media(media="print")
    snap(page, "case-print")
    page.emulate_media(media="screen")

    panel = page.locator("section[aria-labelledby=h-documents]")
    expect(panel.get_by_role("link")).to_have_count(3)  # no 督办 in force, no agreement yet
    with page.expect_download() as download:
        panel.get_by_role("link", name="登记表（Word）").click()
    saved = tmp_path / "登记表.docx"
    download.value.save_as(saved)
    words = Document(io.BytesIO(saved.read_bytes()))
    assert words.paragraphs[0].text == "案件登记表"
    assert number in [c.text for c in words.tables[0].columns[1].cells]
