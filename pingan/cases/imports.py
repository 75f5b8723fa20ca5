"""补录: historical cases from the Excel template, all or nothing.

`read_sheet` turns an upload into raw rows (a bad file is one clear error), `check_rows` validates every
row with the API's rules (CaseIn, and the category, region and scope checks of `create_case`) and
reports every problem by Excel row and column, and `import_cases` is the action that writes them in one
transaction, each case with its "import" event and audit entry.
"""

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError

from pingan.accounts.models import User
from pingan.accounts.scope import scope_of
from pingan.audit.log import record
from pingan.core.errors import DomainError, forbidden
from pingan.core.validation import field_errors
from pingan.regions.models import Region

from . import schemas as s
from .actions import build_case, log_event, reserve_numbers, resolve_category, resolve_region
from .clocks import LOCAL
from .models import Case, Category, Reporter, Status, Stream
from .rules import step_due

MAX_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # a 10 MB .xlsx unpacks to far less; more is a zip bomb
MAX_ROWS = 5000
MAX_COLUMNS = 40
EXAMPLE_MARK = "【示例】"
DUPLICATE_BATCH = 200
BULK_SIZE = 500


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    required: bool  # the header must be present (the value may still be optional, see `check_rows`)
    width: int
    note: str


COLUMNS = (
    Column("业务类型", "stream", True, 12, "必填。填中文名称或代码，见“代码表”"),
    Column("分类代码", "category", False, 10, "选填。须属于该业务类型，见“代码表”"),
    Column("标题", "title", True, 30, "必填，200 字以内"),
    Column("事项描述", "description", False, 40, "选填，5000 字以内"),
    Column("来源渠道", "channel", False, 10, "选填，默认“来访”"),
    Column(
        "区划代码",
        "region",
        True,
        17,
        "必填。乡镇、村（社区）或网格代码，须在您的管辖范围内",
    ),
    Column("详细地址", "address", False, 24, "选填"),
    Column("发生时间", "occurred_at", False, 17, "选填，如 2024-03-05 09:30，不得晚于登记时间"),
    Column("登记时间", "reported_at", True, 17, "必填，如 2024-03-05 09:30；案件编号的年份取自登记时间"),
    Column("严重程度", "severity", False, 9, "选填：一般 / 重大，默认一般"),
    Column("涉及人数", "people_involved", False, 9, "选填，正整数，默认 1"),
    Column("是否群体性", "is_group", False, 10, "选填：是 / 否，默认否"),
    Column("反映人姓名", "reporter_name", False, 11, "选填"),
    Column("反映人电话", "reporter_phone", False, 14, "选填，11 位手机号或带区号的固定电话"),
    Column("当前状态", "status", False, 10, "选填：登记 / 已结案，默认登记"),
    Column("办结时间", "resolved_at", False, 17, "已结案必填，不得早于登记时间"),
    Column("办理结果", "outcome", False, 16, "已结案必填，见“代码表”"),
    Column("办结说明", "outcome_summary", False, 30, "选填，2000 字以内"),
)
HEADERS = {c.header: c for c in COLUMNS}
BY_KEY = {c.key: c.header for c in COLUMNS}
# CaseIn field paths → the column they came from.
FIELD_HEADERS = {
    **BY_KEY,
    "reporter": BY_KEY["reporter_name"],
    "reporter.name": BY_KEY["reporter_name"],
    "reporter.phone": BY_KEY["reporter_phone"],
}

IMPORT_STATUSES = {Status.REPORTED.value: Status.REPORTED.label, Status.CLOSED.value: Status.CLOSED.label}
TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
    "%Y年%m月%d日",
)
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√"}
FALSE_WORDS = {"否", "n", "no", "false", "0", ""}


@dataclass
class RowError:
    row: int  # the Excel row number, as the user sees it
    column: str  # a header of COLUMNS, or "" for the whole row
    message: str


class RowsRejected(DomainError):
    """Some rows are not valid: nothing is imported, every problem is listed."""

    def __init__(self, errors: list[RowError]):
        rows = len({e.row for e in errors})
        super().__init__("import_rows_invalid", f"有 {rows} 行数据有误，本次未导入任何案件。", status=400)
        self.errors = errors


def bad_file(message: str) -> DomainError:
    return DomainError("import_file_invalid", message, status=400)


@dataclass
class HistoricalCase:
    row: int
    case: s.CaseIn
    reported_at: datetime
    status: str
    resolved_at: datetime | None = None
    outcome: str = ""
    outcome_summary: str = ""


# ---------------------------------------------------------------- reading the file


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


# ---------------------------------------------------------------- cell values


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code or phone number typed into a number cell
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value).strip()


def _time(value: Any) -> datetime | None:
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=LOCAL)
    if isinstance(value, date):
        return datetime.combine(value, time(), LOCAL)
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        found = from_excel(value)  # a date serial in a cell not formatted as a date
        if isinstance(found, datetime):
            return found.replace(tzinfo=LOCAL)
    if isinstance(value, str):
        text = value.strip().replace("T", " ")
        for fmt in TIME_FORMATS:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=LOCAL)
            except ValueError:
                continue
    raise ValueError("时间格式不正确，应如 2024-03-05 09:30 或 2024-03-05")


def _choice(value: Any, choices: dict[str, str], default: str | None = None) -> str | None:
    """A code or its Chinese label → the code."""
    text = _text(value)
    if not text:
        return default
    for code, label in choices.items():
        if text.lower() == code or text == label:
            return code
    raise ValueError(f"取值无效，应为：{'、'.join(choices.values())}")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError("应填“是”或“否”")


def _count(value: Any) -> int:
    if _blank(value):
        return 1
    if isinstance(value, bool):
        raise ValueError("应为正整数")
    if isinstance(value, int):
        return value
    text = _text(value)
    if text.isdigit():
        return int(text)
    raise ValueError("应为正整数")


# ---------------------------------------------------------------- checking the rows

STREAMS = dict(Stream.choices)
CHANNELS = dict(Case.Channel.choices)
SEVERITIES = dict(Case.Severity.choices)
OUTCOMES = dict(Case.Outcome.choices)
PARSERS = {
    "stream": lambda v: _choice(v, STREAMS),
    "category": _text,
    "title": _text,
    "description": _text,
    "channel": lambda v: _choice(v, CHANNELS, Case.Channel.WALK_IN.value),
    "region": _text,
    "address": _text,
    "occurred_at": _time,
    "reported_at": _time,
    "severity": lambda v: _choice(v, SEVERITIES, Case.Severity.NORMAL.value),
    "people_involved": _count,
    "is_group": _bool,
    "reporter_name": _text,
    "reporter_phone": _text,
    "status": lambda v: _choice(v, IMPORT_STATUSES, Status.REPORTED.value),
    "resolved_at": _time,
    "outcome": lambda v: _choice(v, OUTCOMES),
    "outcome_summary": _text,
}
CASE_FIELDS = (
    "stream", "category", "title", "description", "channel", "region", "address", "occurred_at", "severity",
    "people_involved", "is_group",
)  # fmt: skip


class _Lookups:
    """Category and region as `create_case` resolves them (existence, stream, the user's scope), asked
    once per code: a file of 5,000 rows names a few dozen of each."""

    def __init__(self, user: User):
        self.user = user
        self.found: dict[tuple[str, str], Category | Region | DomainError | None] = {}

    def _get(self, key: tuple[str, str], resolve) -> Any:
        if key not in self.found:
            try:
                self.found[key] = resolve()
            except DomainError as err:
                self.found[key] = err
        value = self.found[key]
        if isinstance(value, DomainError):
            raise value
        return value

    def category(self, stream: str, code: str | None) -> Category | None:
        return self._get(("category", f"{stream}:{code}"), lambda: resolve_category(stream, code))

    def region(self, code: str) -> Region:
        return self._get(("region", code), lambda: resolve_region(code, self.user, ("dispatcher",)))


class _Checker:
    """Validates rows with the API's rules and reports every problem of a row, not just the first."""

    def __init__(self, user: User):
        self.lookups = _Lookups(user)
        self.now = timezone.now()

    def check(self, number: int, raw: dict[str, Any]) -> tuple[HistoricalCase | None, list[RowError]]:
        errors: dict[str, str] = {}  # header → message, one per column
        values: dict[str, Any] = {}
        for key, parse in PARSERS.items():
            try:
                values[key] = parse(raw.get(key))
            except ValueError as err:
                errors[BY_KEY[key]] = str(err)
        if not values.get("region") and BY_KEY["region"] not in errors:
            errors[BY_KEY["region"]] = "此项必填"
        case = self._case(values, errors)
        stream = values.get("stream")
        if stream:
            self._look_up(values, errors, "category", lambda code: self.lookups.category(stream, code))
        self._look_up(values, errors, "region", self.lookups.region)
        self._history(values, errors)
        if errors or case is None:
            return None, [RowError(number, header, message) for header, message in errors.items()]
        closed = values["status"] == Status.CLOSED
        return (
            HistoricalCase(
                row=number,
                case=case,
                reported_at=values["reported_at"],
                status=values["status"],
                resolved_at=values["resolved_at"] if closed else None,
                outcome=values["outcome"] or "",
                outcome_summary=values["outcome_summary"],
            ),
            [],
        )

    @staticmethod
    def _look_up(values: dict[str, Any], errors: dict[str, str], key: str, resolve) -> None:
        if values.get(key) and BY_KEY[key] not in errors:
            try:
                resolve(values[key])
            except DomainError as err:
                errors[BY_KEY[key]] = next(iter(err.fields.values()), err.message)

    def _case(self, values: dict[str, Any], errors: dict[str, str]) -> s.CaseIn | None:
        """CaseIn, as the API validates it; columns that failed to parse are left to its defaults."""
        payload = {k: values[k] for k in CASE_FIELDS if k in values and values[k] is not None}
        reporter = {"name": values.get("reporter_name", ""), "phone": values.get("reporter_phone", "")}
        if any(reporter.values()):
            payload["reporter"] = reporter
        try:
            return s.CaseIn.model_validate(payload)
        except ValidationError as exc:
            for field, message in field_errors(exc).items():
                errors.setdefault(FIELD_HEADERS.get(field, ""), message)
            return None

    def _history(self, values: dict[str, Any], errors: dict[str, str]) -> None:
        """The rules of a historical record: times in order and in the past, a closed case's outcome."""

        def add(key: str, message: str) -> None:
            errors.setdefault(BY_KEY[key], message)

        if values.get("title", "").startswith(EXAMPLE_MARK):
            add("title", "这是模板中的示例行，请删除后再导入")
        reported_at = values.get("reported_at")
        if reported_at is None:
            add("reported_at", "此项必填")
            return
        if reported_at > self.now:
            add("reported_at", "登记时间不能晚于现在")
        occurred_at = values.get("occurred_at")
        if occurred_at is not None and occurred_at > reported_at:
            add("occurred_at", "发生时间不能晚于登记时间")
        if len(values.get("outcome_summary", "")) > 2000:
            add("outcome_summary", "不能超过 2000 个字")
        status = values.get("status")
        if status == Status.CLOSED:
            resolved_at = values.get("resolved_at")
            if resolved_at is None:
                add("resolved_at", "已结案的须填写办结时间")
            elif resolved_at < reported_at:
                add("resolved_at", "办结时间不能早于登记时间")
            elif resolved_at > self.now:
                add("resolved_at", "办结时间不能晚于现在")
            if "outcome" in values and not values["outcome"]:
                add("outcome", "已结案的须填写办理结果")
        elif status == Status.REPORTED:
            for key in ("resolved_at", "outcome", "outcome_summary"):
                if values.get(key):
                    add(key, "当前状态为“登记”时不应填写此项；已办结的请将当前状态填为“已结案”")


def check_rows(user: User, rows: list[tuple[int, dict[str, Any]]]) -> list[HistoricalCase]:
    """Every row checked; raises `RowsRejected` listing all problems when any row has one."""
    checker = _Checker(user)
    valid: list[HistoricalCase] = []
    errors: list[RowError] = []
    for number, raw in rows:
        row, row_errors = checker.check(number, raw)
        errors += row_errors
        if row is not None:
            valid.append(row)
    if errors:
        raise RowsRejected(errors)
    return valid


def _duplicates(user: User, rows: list[HistoricalCase]) -> list[RowError]:
    """A row matching a case already on file (same title, region and registration time) was most
    likely imported before: refuse it rather than register the case twice."""
    errors: list[RowError] = []
    seen: dict[tuple, int] = {}
    for row in rows:
        key = (row.case.title, row.case.region, row.reported_at)
        if key in seen:
            errors.append(RowError(row.row, "", f"与第 {seen[key]} 行重复（标题、区划和登记时间均相同）"))
        seen.setdefault(key, row.row)
    visible = Case.objects.visible_to(user)
    for start in range(0, len(rows), DUPLICATE_BATCH):
        batch = rows[start : start + DUPLICATE_BATCH]
        match = Q()
        for row in batch:
            match |= Q(title=row.case.title, region_id=row.case.region, reported_at=row.reported_at)
        found = {
            (title, region, at): number
            for title, region, at, number in visible.filter(match).values_list(
                "title", "region_id", "reported_at", "number"
            )
        }
        for row in batch:
            number = found.get((row.case.title, row.case.region, row.reported_at))
            if number:
                message = f"该案件已在系统中（{number}），可能已经导入过，请勿重复导入"
                errors.append(RowError(row.row, "", message))
    return errors


# ---------------------------------------------------------------- the action


def import_cases(user: User, rows: list[HistoricalCase], *, file_name: str = "") -> list[Case]:
    """Register checked historical rows in one transaction, all or nothing; each case gets its
    "import" event and audit entry through `actions.log_event`.

    The cases themselves go in with bulk inserts rather than one `create_case` each: that cost 17 ms a
    row on our busy two-core box (a category, region, time-limit and serial query per case), so 5,000
    rows outlasted the server's 60 s request timeout and held SQLite's write lock all along; this way it
    is 6 ms, most of it the event and audit entry. The rules stay `create_case`'s: the same CaseIn, the
    same category and region resolution, the same accept clock and numbering. A row that fails here (a
    region removed since the check, say) is reported like any other row."""
    if "dispatcher" not in scope_of(user).roles:
        raise forbidden("只有受理/分派员可以批量补录案件。")
    with transaction.atomic():
        duplicates = _duplicates(user, rows)  # inside the transaction: a double submit sees the first
        if duplicates:
            raise RowsRejected(duplicates)
        lookups = _Lookups(user)
        cases = [_new_case(user, row, lookups) for row in rows]
        _number(cases)
        Case.objects.bulk_create(cases, batch_size=BULK_SIZE)
        Reporter.objects.bulk_create(
            [
                Reporter(case=c, **r.case.reporter.model_dump())
                for r, c in zip(rows, cases, strict=True)
                if r.case.reporter
            ],
            batch_size=BULK_SIZE,
        )
        for row, case in zip(rows, cases, strict=True):
            log_event(case, user, "import", "", _event_data(row, case, file_name))
        record(
            user.username,
            "case.import_file",
            object_type="ledger",
            data={"file": file_name, "rows": len(cases)},
        )
    return cases


def _new_case(user: User, row: HistoricalCase, lookups: _Lookups) -> Case:
    data = row.case
    try:
        category = lookups.category(data.stream, data.category)
        region = lookups.region(data.region)
    except DomainError as err:
        fields = err.fields or {"": err.message}
        raise RowsRejected(
            [RowError(row.row, FIELD_HEADERS.get(k, ""), m) for k, m in fields.items()]
        ) from None
    case = build_case(data, user, category=category, region=region, reported_at=row.reported_at)
    if row.status == Status.CLOSED:
        case.status = Status.CLOSED
        case.resolved_at = case.closed_at = row.resolved_at
        case.outcome = row.outcome
        case.outcome_summary = row.outcome_summary
    else:
        case.accept_due = step_due(case, "accept", row.reported_at)  # from registration, as create_case does
    return case


def _number(cases: list[Case]) -> None:
    """Numbers by county and year of registration, as `create_case` gives them; locks in a fixed order."""
    wanted: dict[tuple[str, int], list[Case]] = {}
    for case in cases:
        wanted.setdefault((case.region_id[:6], case.reported_at.astimezone(LOCAL).year), []).append(case)
    for (county, year), group in sorted(wanted.items()):
        for case, number in zip(group, reserve_numbers(county, year, len(group)), strict=True):
            case.number = number


def _event_data(row: HistoricalCase, case: Case, file_name: str) -> dict[str, Any]:
    where = f"{file_name} 第 {row.row} 行" if file_name else f"第 {row.row} 行"
    data: dict[str, Any] = {"note": f"历史案件，来自 {where}", "row": row.row, "reported_at": row.reported_at}
    if case.status == Status.CLOSED:
        data.update(resolved_at=row.resolved_at, outcome=row.outcome)
    return data


# ---------------------------------------------------------------- the template


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
