"""A report as a Word document (python-docx): title, sections, tables with a header row, charts as
images, the commentary. East-Asian text is set in 仿宋/宋体 as official documents are; LibreOffice
and WPS substitute an installed CJK font where those are missing."""

import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import _Cell

from .charts import chart_png

BODY_FONT, HEADING_FONT = "仿宋", "黑体"


def _east_asian(run, font: str) -> None:
    run.font.name = font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def _paragraph(doc, text: str, *, size: float = 14, font: str = BODY_FONT, bold=False, centre=False):
    p = doc.add_paragraph()
    run = p.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)
    _east_asian(run, font)
    if centre:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return p


def _table(doc, block: dict) -> None:
    if block.get("title"):
        _paragraph(doc, block["title"], size=12, font=HEADING_FONT, centre=True)
    columns, rows = block["columns"], block["rows"]
    table = doc.add_table(rows=1 + len(rows), cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    # Cells straight from each row's XML: table.cell(r, c) walks the whole table every time.
    for r, (tr, values) in enumerate(zip(table._tbl.tr_lst, [columns, *rows], strict=True)):
        for tc, value in zip(tr.tc_lst, values, strict=True):
            run = _Cell(tc, table).paragraphs[0].add_run("" if value is None else str(value))
            run.font.size = Pt(10.5)
            run.bold = r == 0
            _east_asian(run, HEADING_FONT if r == 0 else BODY_FONT)
    if block.get("note"):
        _paragraph(doc, block["note"], size=10.5)
    if not rows:
        _paragraph(doc, "（无）", size=10.5, centre=True)
    doc.add_paragraph()  # air between a table and what follows


def render_docx(document: dict, commentary: str = "") -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.left_margin = section.right_margin = Cm(2.6)
    _paragraph(doc, document["title"], size=20, font="方正小标宋简体", bold=True, centre=True)
    if document.get("subtitle"):
        _paragraph(doc, document["subtitle"], size=14, centre=True)
    for part in document["sections"]:
        _paragraph(doc, part["heading"], size=15, font=HEADING_FONT, bold=True)
        for block in part["blocks"]:
            kind = block["type"]
            if kind == "text":
                _paragraph(doc, block["text"])
            elif kind == "table":
                _table(doc, block)
            elif kind == "chart":
                doc.add_picture(io.BytesIO(chart_png(block)), width=Cm(15.5))
                doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif kind == "commentary":
                for line in (commentary or "（暂无按语）").splitlines():
                    if line.strip():
                        _paragraph(doc, line.strip())
    if document.get("footer"):
        _paragraph(doc, document["footer"], size=12)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
