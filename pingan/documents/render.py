"""A case document as a Word file (python-docx), in the house style of official forms: 小标宋 title,
仿宋 body, 黑体 headings; LibreOffice and WPS substitute an installed CJK font where those are missing."""

import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

BODY, HEADING, TITLE = "仿宋", "黑体", "方正小标宋简体"


def _run(paragraph, text: str, *, font: str = BODY, size: float = 14, bold: bool = False):
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)
    run.font.name = font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    return run


def _paragraph(doc, text: str, **style):
    centre = style.pop("centre", False)
    p = doc.add_paragraph()
    _run(p, text, **style)
    if centre:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return p


def _table(doc, rows: list[list[str]], *, header: bool, label_column: bool = False) -> None:
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            strong = (header and r == 0) or (label_column and c == 0)
            font = HEADING if strong else BODY
            _run(table.cell(r, c).paragraphs[0], str(value or ""), font=font, size=12, bold=strong)
    if label_column:  # a narrow label column; LibreOffice reads the grid, Word the cells
        table.autofit = False
        for column, width in zip(table.columns, (Cm(3.5), Cm(12.3)), strict=True):
            column.width = width
            for cell in column.cells:
                cell.width = width
    doc.add_paragraph()


def render_docx(document: dict) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.left_margin = section.right_margin = Cm(2.6)
    _paragraph(doc, document["title"], font=TITLE, size=22, bold=True, centre=True)
    for kind, *rest in document["parts"]:
        if kind == "facts":
            _table(doc, [[label, value] for label, value in rest[0]], header=False, label_column=True)
        elif kind == "table":
            columns, rows = rest
            _table(doc, [columns, *rows], header=True)
        elif kind == "heading":
            _paragraph(doc, rest[0], font=HEADING, size=15, bold=True)
        elif kind == "text":
            for line in rest[0].splitlines() or [""]:
                _paragraph(doc, line)
        elif kind == "sign":
            for label in rest[0]:  # one line each, with room to sign
                p = doc.add_paragraph()
                p.paragraph_format.space_before = Pt(14)
                p.paragraph_format.left_indent = Cm(8)
                _run(p, f"{label}：", size=12)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
