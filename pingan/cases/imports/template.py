"""The import template: the columns with one example row, then the codes the columns accept."""

from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

from django.db.models import Q
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pingan.accounts.models import User
from pingan.accounts.scope import scope_of
from pingan.regions.models import Region

from ..clocks import LOCAL
from ..models import Case, Category, Status, Stream
from .columns import (
    CHANNELS,
    COLUMNS,
    EXAMPLE_MARK,
    IMPORT_STATUSES,
    MAX_BYTES,
    MAX_ROWS,
    OUTCOMES,
    SEVERITIES,
    STREAMS,
)


def template_workbook(user: User, out: IO[bytes]) -> None:
    """The import template: the columns with one example row, then the codes the columns accept."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101  (a new workbook always has its first sheet)
    ws.title = "补录案件"
    _template_sheet(ws, user)
    _codes_sheet(wb.create_sheet("填写说明与代码表"))
    _regions_sheet(wb.create_sheet("区划代码"), user)
    wb.save(out)


def _template_sheet(ws, user: User) -> None:
    required, optional = PatternFill("solid", fgColor="F4CCCC"), PatternFill("solid", fgColor="DDE6F0")
    for i, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = required if column.required else optional
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = column.width
        if column.key in ("category", "region", "reporter_phone"):
            ws.column_dimensions[letter].number_format = "@"  # codes and phone numbers stay text
    ws.freeze_panes = "A2"
    example = _example(user)
    for i, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=2, column=i, value=example.get(column.key))
        if isinstance(cell.value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
    lists = {
        "stream": STREAMS.values(),
        "channel": CHANNELS.values(),
        "severity": SEVERITIES.values(),
        "is_group": ("是", "否"),
        "status": IMPORT_STATUSES.values(),
        "outcome": OUTCOMES.values(),
    }
    for i, column in enumerate(COLUMNS, start=1):
        if column.key in lists:
            # A drop-down that still accepts a typed code: a warning, not a refusal.
            choices = ",".join(lists[column.key])
            dv = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True, errorStyle="warning")
            dv.add(f"{get_column_letter(i)}2:{get_column_letter(i)}{MAX_ROWS + 1}")
            ws.add_data_validation(dv)


def _example(user: User) -> dict[str, Any]:
    scope = scope_of(user)
    home = next(iter(scope.regions_for("dispatcher")), "")
    village = (
        Region.objects.filter(code__startswith=home, level=Region.Level.VILLAGE).order_by("code").first()
        if home
        else None
    )
    category = Category.objects.filter(stream=Stream.DISPUTE, active=True).order_by("sort", "code").first()
    year = timezone.now().astimezone(LOCAL).year - 1
    return {
        "stream": Stream.DISPUTE.label,
        "category": category.code if category else "",
        "title": f"{EXAMPLE_MARK}两户因宅前排水沟渠发生争执",
        "description": "双方因排水沟渠占地发生口角，请求村调委会调解。（示例行，导入前请删除）",
        "channel": Case.Channel.WALK_IN.label,
        "region": village.code if village else home,
        "address": "某组 12 号附近",
        "occurred_at": datetime(year, 3, 4, 16, 0),
        "reported_at": datetime(year, 3, 5, 9, 30),
        "severity": Case.Severity.NORMAL.label,
        "people_involved": 2,
        "is_group": "否",
        "reporter_name": "张某某",
        "reporter_phone": "13800000000",
        "status": Status.CLOSED.label,
        "resolved_at": datetime(year, 3, 20, 15, 0),
        "outcome": Case.Outcome.RESOLVED.label,
        "outcome_summary": "经村调委会调解，双方达成口头协议，已履行完毕。",
    }


def _codes_sheet(ws) -> None:
    bold = Font(bold=True)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 30
    ws.column_dimensions["C"].width = 60

    def section(title: str, head: tuple[str, ...], rows: Iterable[tuple]) -> None:
        ws.append(())
        ws.append((title,))
        ws.cell(row=ws.max_row, column=1).font = bold
        ws.append(head)
        for cell in ws[ws.max_row]:
            cell.font = bold
        for row in rows:
            ws.append(row)

    ws.append(("填写说明：每行一件案件，从第 2 行开始填写；红色表头为必填列。",))
    ws.append(("导入前系统会逐行检查，只要有一行有误，整批都不导入，并列出每一行的问题。",))
    ws.append((f"一次最多 {MAX_ROWS} 行、文件不超过 {MAX_BYTES // 1024 // 1024} MB。",))
    section(
        "各列说明",
        ("列名", "是否必填", "说明"),
        ((c.header, "必填" if c.required else "", c.note) for c in COLUMNS),
    )
    section("业务类型", ("代码", "名称"), STREAMS.items())
    section("当前状态", ("代码", "名称"), IMPORT_STATUSES.items())
    section("来源渠道", ("代码", "名称"), CHANNELS.items())
    section("严重程度", ("代码", "名称"), SEVERITIES.items())
    section("办理结果", ("代码", "名称"), OUTCOMES.items())
    categories = Category.objects.filter(active=True).order_by("stream", "sort", "code")
    section(
        "分类代码",
        ("分类代码", "分类名称", "所属业务类型"),
        ((c.code, c.name, STREAMS.get(c.stream, c.stream)) for c in categories),
    )


def _regions_sheet(ws, user: User) -> None:
    ws.append(("区划代码", "名称", "层级"))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 28
    levels = dict(Region.Level.choices)
    q = Q()
    for code in scope_of(user).regions_for("dispatcher"):
        q |= Q(code__startswith=code)
    regions = Region.objects.filter(q).order_by("code") if q else Region.objects.none()
    for code, name, level in regions.values_list("code", "name", "level").iterator(chunk_size=2000):
        ws.append((code, name, levels.get(level, level)))
        ws.cell(row=ws.max_row, column=1).number_format = "@"
