"""A report as a workbook: a cover sheet with the title and the commentary, then one sheet per table
(text stays text, never a formula; numbers stay numbers), so figures can be worked on further."""

import io
import re

from pingan.core.spreadsheet import Sheet, write_sheets

MAX_SHEET_NAME = 31


def _sheet_name(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "", title)[: MAX_SHEET_NAME - 3] or "表"
    name, n = base, 2
    while name in used:
        name, n = f"{base}{n}", n + 1
    used.add(name)
    return name


def render_xlsx(document: dict, commentary: str = "") -> bytes:
    about = [["标题", document["title"]], ["期间", document.get("subtitle", "")]]
    if commentary:
        about.append(["按语", commentary])
    sheets: list[Sheet] = [("说明", [("项目", 14), ("内容", 90)], about)]
    used = {"说明"}
    for part in document["sections"]:
        for block in part["blocks"]:
            if block["type"] != "table":
                continue
            widths = [(c, max(10.0, min(40.0, len(str(c)) * 2.2))) for c in block["columns"]]
            sheets.append((_sheet_name(block.get("title") or part["heading"], used), widths, block["rows"]))
    out = io.BytesIO()
    write_sheets(out, sheets)
    return out.getvalue()
