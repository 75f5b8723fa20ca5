"""Reading an uploaded workbook into raw rows: a bad file is one clear error."""

import re
import zipfile
from collections.abc import Iterable
from typing import IO, Any

from openpyxl import load_workbook

from pingan.core.errors import DomainError

from .columns import COLUMNS, HEADERS, MAX_BYTES, MAX_COLUMNS, MAX_ROWS, MAX_UNPACKED_BYTES, bad_file


def read_sheet(upload: IO[bytes], size: int) -> list[tuple[int, dict[str, Any]]]:
    """The data rows of the first sheet as (Excel row number, {column key: cell value}).

    Raises `bad_file` for anything that is not a readable workbook made from the template."""
    if size > MAX_BYTES:
        raise bad_file(f"文件超过 {MAX_BYTES // 1024 // 1024} MB，请分批导入。")
    magic = upload.read(4)
    upload.seek(0)
    if magic == b"\xd0\xcf\x11\xe0":
        raise bad_file(
            "这是旧版 Excel（.xls）文件或加了密码的工作簿，"
            "请在 Excel 或 WPS 中“另存为”不加密的 .xlsx 文件后再上传。"
        )
    if magic != b"PK\x03\x04":
        raise bad_file("无法识别该文件，请上传用模板填写的 Excel 文件（.xlsx）。")
    try:
        with zipfile.ZipFile(upload) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise bad_file("文件内容过大，请分批导入。")
        upload.seek(0)
        return _rows_of(upload)
    except DomainError:
        raise
    except Exception:  # openpyxl signals a damaged or foreign file with many kinds of error
        raise bad_file("文件已损坏或不是 Excel 工作簿（.xlsx），请用模板重新填写后上传。") from None


def _rows_of(upload: IO[bytes]) -> list[tuple[int, dict[str, Any]]]:
    wb = load_workbook(upload, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # other tools write unreliable sheet dimensions
        lines = ws.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        keys = _header_keys(next(lines, ()))
        rows: list[tuple[int, dict[str, Any]]] = []
        for number, values in enumerate(lines, start=2):
            if all(_blank(v) for v in values):
                continue
            if len(rows) == MAX_ROWS:
                raise bad_file(f"一次最多导入 {MAX_ROWS} 行，本文件超过了这个数量，请分批导入。")
            rows.append((number, {key: values[i] for i, key in keys.items() if i < len(values)}))
    finally:
        wb.close()
    if not rows:
        raise bad_file("文件中没有案件数据：请从第 2 行起逐行填写，每行一件。")
    return rows


def _header_keys(values: Iterable[Any]) -> dict[int, str]:
    keys: dict[int, str] = {}
    unknown, seen = [], set()
    for i, value in enumerate(values):
        header = re.sub(r"\s+", "", str(value or "")).rstrip("*＊")
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


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
