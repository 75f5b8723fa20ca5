"""The Excel template of one source department and its import: one row per region or unit and period,
one column per indicator (and its sample size for a survey). All or nothing: a file with one bad cell
imports no figure and names every bad cell by row and column."""

import io
from typing import IO

from django.db.models import QuerySet

from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError
from pingan.core.periods import parse_period
from pingan.core.spreadsheet import SheetWriter
from pingan.core.workbook import RowError, RowsRejected, bad_file, blank, read_rows
from pingan.regions.models import Region, Unit

from .access import may_enter, subject_region
from .actions import NewFigure, parse_value, sample_error, set_values, value_error
from .models import Indicator, StatisticValue

CODE, NAME, PERIOD = "区划或单位代码", "名称", "期间"
SAMPLE = "样本量"
MAX_ROWS = 2000


def indicators_of(source: str) -> QuerySet[Indicator]:
    found = Indicator.objects.filter(source=source, active=True)
    if not found.exists():
        raise DomainError("unknown_source", f"来源部门“{source}”没有在用的统计指标。")
    return found


def headers(indicators) -> list[tuple[str, Indicator, bool]]:
    """(header, indicator, is the sample-size column) for every indicator column."""
    out = []
    for i in indicators:
        out.append((str(i), i, False))
        if i.survey:
            out.append((f"{i.name}{SAMPLE}", i, True))
    return out


def template(source: str, subjects: list[Region], period: str) -> bytes:
    """The source's template, one row per region in the user's scope, filled with what is already
    entered for `period`, so a department corrects its figures in the same file."""
    columns = headers(indicators_of(source))
    out = io.BytesIO()
    sheet = SheetWriter(
        out, "统计数据", [(f"{CODE}*", 18), (NAME, 16), (f"{PERIOD}*", 10), *((h, 16) for h, _, _ in columns)]
    )
    known = {
        (v.indicator_id, v.region_id): v
        for v in StatisticValue.objects.filter(period=period, region__in=subjects, indicator__source=source)
    }
    rows = []
    for region in subjects:
        cells: list = [region.code, region.name, period]
        for _, indicator, sample in columns:
            v = known.get((indicator.pk, region.code))
            cells.append(None if v is None else (v.sample_size if sample else float(v.value)))
        rows.append(cells)
    sheet.write_rows(rows)
    sheet.close()
    return out.getvalue()


def import_file(upload: IO[bytes], size: int, source: str, *, by) -> list[StatisticValue]:
    columns = headers(indicators_of(source))
    header, lines = read_rows(upload, size, max_rows=MAX_ROWS, max_columns=3 + len(columns))
    at = _positions(header, columns)
    if not lines:
        raise bad_file("文件中没有数据：请从第 2 行起，每个区划或单位每个期间填写一行。")
    figures, errors = _check(lines, at, columns, scope_of(by))
    if errors:
        raise RowsRejected(errors, what="数据")
    return set_values(figures, by=by, via=StatisticValue.Via.IMPORT)


def _positions(header: list[str], columns) -> dict[str, int]:
    wanted = [CODE, NAME, PERIOD, *(h for h, _, _ in columns)]
    at: dict[str, int] = {}
    for i, h in enumerate(header):
        if not h:
            continue
        if h not in wanted:
            raise bad_file(f"表头“{h}”不是该模板的列，请下载该来源部门的模板填写。")
        if h in at:
            raise bad_file(f"表头“{h}”出现了两次，请使用模板的表头。")
        at[h] = i
    missing = [h for h in (CODE, PERIOD) if h not in at]
    if missing:
        raise bad_file(f"表头缺少必需的列：{'、'.join(missing)}。请使用模板的表头。")
    return at


def _check(lines, at: dict[str, int], columns, scope) -> tuple[list[NewFigure], list[RowError]]:
    regions = {r.code: r for r in Region.objects.all()}
    units = {u.code: u for u in Unit.objects.select_related("region")}
    figures: list[NewFigure] = []
    errors: list[RowError] = []
    seen: dict[tuple, int] = {}

    def cell(values, header):
        i = at.get(header)
        return values[i] if i is not None and i < len(values) else None

    for row, values in lines:
        code = str(cell(values, CODE) or "").strip()
        region, unit = regions.get(code), units.get(code)
        if not code:
            errors.append(RowError(row, CODE, "请填写区划代码或单位代码。"))
        elif region is None and unit is None:
            errors.append(RowError(row, CODE, f"“{code}”既不是区划代码也不是单位代码。"))
        elif not may_enter(scope, subject_region(region, unit)):
            errors.append(RowError(row, CODE, f"您无权填报“{code}”的统计数据。"))
        try:
            period = parse_period(cell(values, PERIOD))
        except DomainError as e:
            errors.append(RowError(row, PERIOD, e.message))
            continue
        if (code, period.key) in seen:
            errors.append(RowError(row, "", f"与第 {seen[code, period.key]} 行重复（同一代码、同一期间）。"))
        seen.setdefault((code, period.key), row)
        filled = 0
        by_indicator: dict[int, NewFigure] = {}
        for header, indicator, sample in columns:
            raw = cell(values, header)
            f = by_indicator.setdefault(indicator.pk, NewFigure(indicator, period, region, unit))
            if blank(raw):
                continue
            filled += not sample
            try:
                if sample:
                    f.sample_size = _count(raw)
                else:
                    f.value = parse_value(raw)
                    f.entered = True
            except ValueError:
                message = "样本量应为正整数。" if sample else value_error(indicator)
                errors.append(RowError(row, header, message))
        if not filled:
            errors.append(RowError(row, "", "该行没有填写任何指标数值。"))
        for f in by_indicator.values():
            if not f.entered:
                continue
            problem = sample_error(f.indicator, f.sample_size)
            if problem:
                errors.append(RowError(row, f"{f.indicator.name}{SAMPLE}", problem))
            figures.append(f)
    return figures, errors


def _count(raw) -> int:
    n = parse_value(raw)
    if n != n.to_integral_value() or n < 1:
        raise ValueError
    return int(n)
