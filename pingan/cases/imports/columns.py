"""The template's columns and what the back-fill's parts share: its rows, their errors, its limits."""

from dataclasses import dataclass
from datetime import datetime

from pingan.core.workbook import MAX_BYTES, RowError, RowsRejected, bad_file  # noqa: F401 (shared)

from .. import schemas as s
from ..models import Case, Status, Stream

MAX_ROWS = 5000
MAX_COLUMNS = 40
EXAMPLE_MARK = "【示例】"
DUPLICATE_BATCH = 200


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
class HistoricalCase:
    row: int
    case: s.CaseIn
    reported_at: datetime
    status: str
    resolved_at: datetime | None = None
    outcome: str = ""
    outcome_summary: str = ""


STREAMS = dict(Stream.choices)
CHANNELS = dict(Case.Channel.choices)
SEVERITIES = dict(Case.Severity.choices)
OUTCOMES = dict(Case.Outcome.choices)
