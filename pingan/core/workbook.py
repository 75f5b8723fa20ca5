"""Reading an uploaded .xlsx made from one of our templates (back-fill of cases, imported statistics):
a bad file is one clear error, bad rows are all listed by Excel row and column, and nothing is imported
unless every row is good."""

import re
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from openpyxl import load_workbook

from .errors import DomainError

MAX_BYTES = 10 * 1024 * 1024
ENVELOPE_BYTES = 64 * 1024  # the multipart wrapping around an uploaded file
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # a 10 MB .xlsx unpacks to far less; more is a zip bomb


@dataclass
class RowError:
    row: int  # the Excel row number, as the user sees it
    column: str  # a header of the template, or "" for the whole row
    message: str


class RowsRejected(DomainError):
    """Some rows are not valid: nothing is imported, every problem is listed."""

    def __init__(self, errors: list[RowError], what: str = "案件"):
        rows = len({e.row for e in errors})
        super().__init__("import_rows_invalid", f"有 {rows} 行数据有误，本次未导入任何{what}。", status=400)
        self.errors = errors

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        body["error"]["rows"] = [
            {"row": e.row, "column": e.column, "message": e.message} for e in self.errors
        ]
        return body


def bad_file(message: str) -> DomainError:
    return DomainError("import_file_invalid", message, status=400)


def read_rows(
    upload: IO[bytes], size: int, *, max_rows: int, max_columns: int
) -> tuple[list[str], list[tuple[int, tuple]]]:
    """The first sheet's header (spaces and a required-mark * removed) and its non-blank data rows as
    (Excel row number, values). Raises `bad_file` for anything that is not a readable .xlsx."""
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
        return _rows_of(upload, max_rows, max_columns)
    except DomainError:
        raise
    except Exception:  # openpyxl signals a damaged or foreign file with many kinds of error
        raise bad_file("文件已损坏或不是 Excel 工作簿（.xlsx），请用模板重新填写后上传。") from None


def _rows_of(upload: IO[bytes], max_rows: int, max_columns: int) -> tuple[list[str], list[tuple[int, tuple]]]:
    wb = load_workbook(upload, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # other tools write unreliable sheet dimensions
        lines = ws.iter_rows(max_col=max_columns, values_only=True)
        header = [re.sub(r"\s+", "", str(v or "")).rstrip("*＊") for v in next(lines, ())]
        rows: list[tuple[int, tuple]] = []
        for number, values in enumerate(lines, start=2):
            if all(blank(v) for v in values):
                continue
            if len(rows) == max_rows:
                raise bad_file(f"一次最多导入 {max_rows} 行，本文件超过了这个数量，请分批导入。")
            rows.append((number, values))
    finally:
        wb.close()
    return header, rows


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
