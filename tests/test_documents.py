"""Printable case documents (GOVERNANCE §11): a Word file per kind, for those who may see the case."""

import io
from datetime import date

import pypdfium2
import pytest
from docx import Document

from pingan.cases import actions

from .conftest import case_body
from .printing import assert_cjk_font, pdf_text, save_pages, to_pdfs

KINDS = {
    "register": ["案件登记表", "当事人", "反映人"],
    "assignment": ["案件交办单", "牵头单位", "办结时限"],
    "supervision": ["督办通知单", "督办要求", "三日内上报处置进展"],
    "agreement": ["调解协议书", "经调解，自愿达成如下协议", "李四承担维修费用 200 元", "2027年01月31日"],
    "follow_up": ["案件回访单", "回访记录", "满意"],
}


def _perform(county, username, number, action, payload=None):
    return actions.perform(county.users[username], number, action, payload or {})


@pytest.fixture
def mediated(county, api):
    """A dispute walked to its follow-up, with a party, a 督办 in force and a signed agreement."""
    body = case_body(
        county, parties=[{"name": "李四", "phone": "13900001111", "address": "幸福小区 3 栋 201"}]
    )
    number = api("dispatcher").post("/cases", body)[1]["number"]
    _perform(county, "dispatcher", number, "accept")
    unit = county.town_unit(county.towns[0], "centre").code
    _perform(county, "dispatcher", number, "dispatch", {"lead_unit": unit})
    _perform(county, "handler", number, "sign")
    requirement = {"level": "routine", "requirement": "三日内上报处置进展", "report_every_days": 3}
    _perform(county, "leader", number, "supervise", requirement)
    agreement = {
        "terms": "李四承担维修费用 200 元",
        "performance_due": "2027-01-31",
        "judicial_confirmation": True,
    }
    resolved = {"outcome": "resolved", "summary": "双方达成调解协议", "agreement": agreement}
    _perform(county, "handler", number, "resolve", resolved)
    _perform(county, "supervisor", number, "check_pass", {"note": "现场核实"})
    _perform(
        county,
        "dispatcher",
        number,
        "follow_up",
        {"satisfaction": "satisfied", "resolved": True, "note": "满意"},
    )
    return number


def _text(raw: bytes) -> str:
    doc = Document(io.BytesIO(raw))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def _get(client, number, kind):
    return client.get(f"/cases/{number}/documents/{kind}.docx")


def test_each_document_opens_in_word_with_the_case_number_and_its_headings(web, mediated):
    client = web("handler")
    page = client.get(f"/cases/{mediated}/").content.decode()
    for kind, expected in KINDS.items():
        assert f"/cases/{mediated}/documents/{kind}.docx" in page, f"the case page links the {kind}"
        r = _get(client, mediated, kind)
        assert r.status_code == 200, (kind, r.status_code)
        assert r["Content-Type"].startswith("application/vnd.openxmlformats")
        assert "attachment" in r["Content-Disposition"]
        text = _text(r.content)
        assert mediated in text, kind
        for words in expected:
            assert words in text, (kind, words)


def test_the_case_page_shows_the_agreement(web, mediated):
    page = web("supervisor").get(f"/cases/{mediated}/").content.decode()
    section = page.split('id="h-agreement"')[1].split("</section>")[0]
    assert "调解协议" in section and "李四承担维修费用 200 元" in section
    assert "2027-01-31" in section and "已申请" in section


def test_documents_show_party_data_masked(web, mediated):
    client = web("handler")
    for kind in ("register", "agreement"):
        raw = _get(client, mediated, kind).content
        tables = "\n".join(
            c.text for t in Document(io.BytesIO(raw)).tables for row in t.rows for c in row.cells
        )
        assert "李*" in tables and "139****1111" in tables, kind
        assert "李四" not in tables, "the party's name is masked (the agreement's own terms may name them)"
        text = _text(raw)
        assert "13900001111" not in text and "张三丰" not in text and "13812341234" not in text
        assert "遮蔽显示" in text, "the document says so"


def test_the_agreement_says_whether_judicial_confirmation_was_sought(web, county, api):
    number = api("dispatcher").post("/cases", case_body(county))[1]["number"]
    _perform(county, "dispatcher", number, "accept")
    _perform(
        county,
        "dispatcher",
        number,
        "dispatch",
        {"lead_unit": county.town_unit(county.towns[0], "centre").code},
    )
    _perform(county, "handler", number, "sign")
    resolved = {"outcome": "resolved", "summary": "调解成功", "agreement": {"terms": "双方各让一步"}}
    _perform(county, "handler", number, "resolve", resolved)
    text = _text(_get(web("handler"), number, "agreement").content)
    assert "当事人未申请司法确认" in text and "协议生效后即时履行" in text and "双方各让一步" in text


def test_documents_a_case_lacks_are_not_offered_and_answer_404(web, county, api):
    number = api("dispatcher").post("/cases", case_body(county))[1]["number"]
    client = web("dispatcher")
    page = client.get(f"/cases/{number}/").content.decode()
    assert f"/cases/{number}/documents/register.docx" in page
    for kind in ("supervision", "agreement"):
        assert f"/documents/{kind}.docx" not in page
        r = _get(client, number, kind)
        assert r.status_code == 404 and "没有" in r.content.decode()
    assert _get(client, number, "nonsense").status_code == 404


def test_an_outsider_gets_404_for_every_document(web, mediated):
    outsider = web("handler2")  # a handler of another town
    for kind in KINDS:
        r = _get(outsider, mediated, kind)
        assert r.status_code == 404, kind
        assert mediated.encode() not in r.content
    assert web("handler").get(f"/cases/{mediated}/documents/register.docx").status_code == 200


def test_every_document_prints_through_libreoffice_with_chinese_text(web, mediated, tmp_path):
    client = web("handler")
    sources = []
    for kind in KINDS:
        source = tmp_path / f"{kind}.docx"
        source.write_bytes(_get(client, mediated, kind).content)
        sources.append(source)
    for (kind, words), path in zip(KINDS.items(), to_pdfs(sources, tmp_path), strict=True):
        assert_cjk_font(path)
        pdf = pypdfium2.PdfDocument(str(path))
        flat = "".join(pdf_text(pdf).split())
        assert words[0] in flat and mediated in flat, kind
        save_pages(pdf, "documents", kind)


def test_date_helpers_write_chinese_dates():
    from pingan.documents.content import _day

    assert _day(date(2027, 1, 31)) == "2027年01月31日" and _day(None) == ""
