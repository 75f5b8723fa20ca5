"""Checking every row with the API's rules (CaseIn, and the category, region and scope checks of
`create_case`), reporting every problem by Excel row and column."""

from datetime import date, datetime, time
from typing import Any

from django.db.models import Q
from django.utils import timezone
from openpyxl.utils.datetime import from_excel
from pydantic import ValidationError

from pingan.accounts.models import User
from pingan.core.errors import DomainError
from pingan.core.validation import field_errors
from pingan.core.workbook import blank as _blank
from pingan.regions.models import Region

from .. import schemas as s
from ..builder import resolve_category, resolve_region
from ..clocks import LOCAL
from ..models import Case, Category, Status
from .columns import (
    BY_KEY,
    CHANNELS,
    DUPLICATE_BATCH,
    EXAMPLE_MARK,
    FALSE_WORDS,
    FIELD_HEADERS,
    IMPORT_STATUSES,
    OUTCOMES,
    SEVERITIES,
    STREAMS,
    TIME_FORMATS,
    TRUE_WORDS,
    HistoricalCase,
    RowError,
    RowsRejected,
)

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
    if text.isascii() and text.isdigit():
        return int(text)
    raise ValueError("应为正整数")


# ---------------------------------------------------------------- checking the rows

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


class Lookups:
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
        self.lookups = Lookups(user)
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


def duplicates(user: User, rows: list[HistoricalCase]) -> list[RowError]:
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
