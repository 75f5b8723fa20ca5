"""导入积案清单 (GOVERNANCE §7): the list of 积案 the upper level hands down, as numbers pasted or an .xlsx
with a 案件编号 column. All or nothing (actions.import_backlog): when one number cannot be marked, none
is, and the page lists the reason by line or Excel row."""

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, forbidden, invalid
from pingan.core.workbook import ENVELOPE_BYTES, MAX_BYTES, bad_file, blank, read_rows

from ..actions import import_backlog
from ..actions.leadership import MAX_IMPORT

IMPORTERS = ("dispatcher", "supervisor")
NUMBER_COLUMNS = ("案件编号", "编号", "number")
SEPARATORS = re.compile(r"[\s,，、;；]+")


@dataclass(frozen=True)
class Line:
    where: str  # 第 3 行 (the pasted list) or Excel 第 3 行
    number: str


def _importer_only(user) -> None:
    if not scope_of(user).roles.intersection(IMPORTERS):
        raise forbidden("导入积案清单仅限受理/分派员和督办人员使用。")


def pasted(text: str) -> list[Line]:
    """One number a line, or several separated by spaces, commas or 、."""
    return [
        Line(f"第 {i} 行", number)
        for i, line in enumerate(text.splitlines(), 1)
        for number in SEPARATORS.split(line.strip())
        if number
    ]


def from_workbook(upload, size: int) -> list[Line]:
    header, rows = read_rows(upload, size, max_rows=MAX_IMPORT, max_columns=30)
    column = next((header.index(name) for name in NUMBER_COLUMNS if name in header), None)
    if column is None:
        raise bad_file("表格第一行应有“案件编号”列。")
    lines = []
    for row, values in rows:
        value = values[column] if column < len(values) else None
        lines.append(Line(f"Excel 第 {row} 行", "" if blank(value) else str(value).strip()))
    return lines


@login_required
@require_http_methods(["GET", "POST"])
def backlog_import(request):
    _importer_only(request.user)
    context: dict[str, Any] = {"max_rows": MAX_IMPORT, "max_mb": MAX_BYTES // 1024 // 1024, "values": {}}
    if request.method == "GET":
        return render(request, "cases/backlog_import.html", context)
    context["values"] = request.POST
    lines: list[Line] = []
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BYTES + ENVELOPE_BYTES:
            raise bad_file(f"文件超过 {context['max_mb']} MB，请分批导入。")
        upload = request.FILES.get("file")
        lines = from_workbook(upload, upload.size) if upload else pasted(request.POST.get("numbers", ""))
        if not lines:
            raise invalid({"numbers": "请粘贴案件编号，或上传含“案件编号”列的 Excel 文件"})
        missing = [line for line in lines if not line.number]
        if missing:
            context["rows"] = [(line.where, "", "缺少案件编号") for line in missing]
            raise DomainError("import_failed", "有的行缺少案件编号，本次导入未做任何更改。")
        source = request.POST.get("source", "").strip()[:100]
        if not source:
            raise invalid({"source": "请填写积案来源，如“市信访联席办交办”"})
        marked = import_backlog(
            request.user,
            [line.number for line in lines],
            source=source,
            note=request.POST.get("note", "").strip()[:2000],
        )
        context["marked"] = marked
    except DomainError as error:
        if error.status == 403:
            raise
        context["error"] = error
        context.setdefault("rows", _rows(error, lines))
        return render(request, "cases/backlog_import.html", context, status=error.status)
    return render(request, "cases/backlog_import.html", context)


def _rows(error: DomainError, lines: list[Line]) -> list[tuple[str, str, str]]:
    """The import's reasons by number (fields `numbers.<number>`), put back on the lines they came from."""
    reasons = {k.removeprefix("numbers."): v for k, v in error.fields.items() if k.startswith("numbers.")}
    rows, told = [], set()
    for line in lines:
        if line.number in reasons and (line.number, line.where) not in told:
            told.add((line.number, line.where))
            # 编号重复 belongs to the second line that names a number, not to the first.
            first = next(x for x in lines if x.number == line.number)
            if reasons[line.number] == "编号重复" and line is first:
                continue
            rows.append((line.where, line.number, reasons[line.number]))
    return rows
