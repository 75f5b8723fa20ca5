"""Reading an uploaded workbook into raw rows: a bad file is one clear error."""

from collections.abc import Iterable
from typing import IO, Any

from pingan.core.workbook import bad_file, read_rows

from .columns import COLUMNS, HEADERS, MAX_COLUMNS, MAX_ROWS


def read_sheet(upload: IO[bytes], size: int) -> list[tuple[int, dict[str, Any]]]:
    """The data rows of the first sheet as (Excel row number, {column key: cell value}).

    Raises `bad_file` for anything that is not a readable workbook made from the template."""
    header, lines = read_rows(upload, size, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
    keys = _header_keys(header)
    rows = [(n, {key: values[i] for i, key in keys.items() if i < len(values)}) for n, values in lines]
    if not rows:
        raise bad_file("文件中没有案件数据：请从第 2 行起逐行填写，每行一件。")
    return rows


def _header_keys(values: Iterable[Any]) -> dict[int, str]:
    keys: dict[int, str] = {}
    unknown, seen = [], set()
    for i, header in enumerate(values):
        if not header:
            continue
        column = HEADERS.get(header)
        if column is None:
            unknown.append(header)
        elif header in seen:
            raise bad_file(f"表头“{header}”出现了两次，请使用模板的表头。")
        else:
            seen.add(header)
            keys[i] = column.key
    if not seen:
        raise bad_file("第 1 行应为模板的表头（业务类型、标题、区划代码、登记时间……），请下载模板填写。")
    missing = [c.header for c in COLUMNS if c.required and c.header not in seen]
    if missing:
        raise bad_file(f"表头缺少必需的列：{'、'.join(missing)}。请使用模板的表头。")
    if unknown:
        raise bad_file(f"表头中有模板以外的列：{'、'.join(unknown)}。请删除这些列或改用模板的表头。")
    return keys
