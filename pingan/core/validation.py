"""Payload validation with pydantic, reported as field errors in Chinese."""

import re
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ValidationError, WithJsonSchema

from .errors import invalid

M = TypeVar("M", bound=BaseModel)

# The largest key a bigint column holds, on PostgreSQL and SQLite alike: a larger id cannot name a
# record, and handed to the database it overflows (a 500) instead of finding nothing.
MAX_RECORD_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def record_id(text: object) -> int | None:
    """A record id sent as text (a cursor, a form field, the 12 of `parties.12.name`), or None.

    Only ASCII digits count: str.isdigit() also accepts "²" and "١", which int() refuses or reads."""
    if not isinstance(text, str) or not _ASCII_DIGITS.fullmatch(text.strip()):
        return None
    value = int(text.strip())
    return value if 1 <= value <= MAX_RECORD_ID else None


def _in_range(value: int) -> int:
    if not 1 <= value <= MAX_RECORD_ID:
        raise ValueError("编号无效")
    return value


# A record id in a path, a query or a body: a whole number from 1 to MAX_RECORD_ID.
RecordId = Annotated[
    int,
    AfterValidator(_in_range),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_RECORD_ID}),
]


def _storable(value: datetime) -> datetime:
    """A moment the database can compare: 0001-01-01 at +01:00 is the year 0 in UTC, which no
    datetime holds (the driver would raise, a 500). Any zone is less than a day from UTC."""
    try:
        _ = (value - timedelta(days=1), value + timedelta(days=1))
    except OverflowError:
        raise ValueError("时间超出范围") from None
    return value


# A datetime in a query or a body that is compared in the database.
Moment = Annotated[datetime, AfterValidator(_storable)]

_MESSAGES = {
    "missing": "此项必填",
    "extra_forbidden": "不支持的字段",
    "string_type": "应为文字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_type": "应为是或否（true/false）",
    "bool_parsing": "应为是或否（true/false）",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "datetime_type": "时间格式不正确，应如 2026-11-22T09:30:00+08:00",
    "datetime_parsing": "时间格式不正确，应如 2026-11-22T09:30:00+08:00",
    "datetime_from_date_parsing": "时间格式不正确，应如 2026-11-22T09:30:00+08:00",
    "date_parsing": "日期格式不正确，应如 2026-11-22",
    "date_from_datetime_parsing": "日期格式不正确，应如 2026-11-22",
    "json_invalid": "JSON 格式错误",
    "timezone_aware": "时间须带时区，如 +08:00",
}


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "string_too_long":
        return f"不能超过 {ctx.get('max_length')} 个字"
    if kind == "string_too_short":
        return "不能为空" if ctx.get("min_length") == 1 else f"至少 {ctx.get('min_length')} 个字"
    if kind == "too_long":
        return f"最多 {ctx.get('max_length')} 项"
    if kind == "too_short":
        return f"至少 {ctx.get('min_length')} 项"
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于 {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于 {ctx.get('le', ctx.get('lt'))}"
    if kind in ("literal_error", "enum"):
        return f"取值无效，可选：{ctx.get('expected', '')}".rstrip("：")
    if kind == "value_error":
        return str(ctx.get("error") or err.get("msg", "取值无效"))
    return _MESSAGES.get(kind, "取值无效")


def field_errors(exc: ValidationError | list[dict[str, Any]]) -> dict[str, str]:
    errors: list[Any] = list(exc.errors()) if isinstance(exc, ValidationError) else exc
    fields: dict[str, str] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "payload", "query", "path", "filters")]
        fields.setdefault(".".join(loc) or "_", _message(err))
    return fields


def validate(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise invalid({"_": "请求体应为 JSON 对象"})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(field_errors(exc)) from None
