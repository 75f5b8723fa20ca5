"""The ledger as an Excel workbook (DESIGN §8: exports are scoped, audited and carry no personal data).

Rows stream from the database in chunks straight into the zipped sheet, so memory stays flat whatever
the number of rows, and the number of queries is fixed: the cases, and their co-units merged in by case
id (both read newest first, as the ledger shows them). The same writer serves the download written
during the request and the file a background job writes (pingan.exports.jobs), so both hold the same
cells for the same rows.

The sheet is pingan.core.spreadsheet's streaming writer: text is never a formula (DESIGN §8).
"""

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import QuerySet

from pingan.accounts.models import User
from pingan.audit.log import record
from pingan.cases.models import Case, Status, Stream
from pingan.cases.selectors import CaseFilter, filter_cases, with_overdue
from pingan.core.replica import reading_from_replica
from pingan.core.spreadsheet import SheetWriter
from pingan.regions.models import Region

SHEET_TITLE = "案件台账"
# Rows read per query chunk and written per batch; a background job reports its progress per batch.
CHUNK_SIZE = 2000

# Plain values, no model instances; nothing from the reporter or the parties.
FIELDS = (
    "id", "number", "stream", "category__name", "title", "channel", "status", "severity", "is_group",
    "region_id", "region__name", "lead_unit__name", "handler__full_name", "handler__username",
    "reported_at", "accept_due", "sign_due", "resolve_due", "check_due", "overdue", "supervision_level",
    "resolved_at", "outcome",
)  # fmt: skip

# (header, column width in characters)
COLUMNS = (
    ("案件编号", 22),
    ("业务类型", 10),
    ("分类", 14),
    ("标题", 36),
    ("来源渠道", 10),
    ("状态", 9),
    ("严重程度", 9),
    ("群体性", 7),
    ("所在乡镇（街道）", 14),
    ("所在区划", 20),
    ("牵头单位", 22),
    ("协办单位", 22),
    ("承办人", 10),
    ("登记时间", 17),
    ("受理时限", 17),
    ("签收时限", 17),
    ("办结时限", 17),
    ("核查时限", 17),
    ("是否超期", 9),
    ("督办级别", 10),
    ("办结时间", 17),
    ("办理结果", 16),
)

STREAM_LABELS = dict(Stream.choices)
STATUS_LABELS = dict(Status.choices)
CHANNEL_LABELS = dict(Case.Channel.choices)
SEVERITY_LABELS = dict(Case.Severity.choices)
OUTCOME_LABELS = dict(Case.Outcome.choices)
SUPERVISION_LABELS = {k: v for k, v in Case.Supervision.choices if k}


@dataclass
class LedgerFile:
    file: IO[bytes]
    rows: int


# ---------------------------------------------------------------- the ledger


def _co_units(qs) -> Iterator[tuple[int, str]]:
    through = Case.co_units.through.objects.filter(case_id__in=qs.values("pk"))
    return (
        through.order_by("-case_id", "unit__code")
        .values_list("case_id", "unit__name")
        .iterator(chunk_size=CHUNK_SIZE)
    )


def _rows(qs) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """Each case row with the names of its co-units: a merge of two streams sorted by descending id."""
    links = _co_units(qs)
    link = next(links, None)
    for row in with_overdue(qs).order_by("-id").values(*FIELDS).iterator(chunk_size=CHUNK_SIZE):
        while link is not None and link[0] > row["id"]:
            link = next(links, None)  # a link added after the case query started
        names = []
        while link is not None and link[0] == row["id"]:
            names.append(link[1])
            link = next(links, None)
        yield row, names


def _cells(row: dict[str, Any], co_units: list[str], towns: dict[str, str]) -> list[Any]:
    return [
        row["number"],
        STREAM_LABELS.get(row["stream"], row["stream"]),
        row["category__name"],
        row["title"],
        CHANNEL_LABELS.get(row["channel"], row["channel"]),
        STATUS_LABELS.get(row["status"], row["status"]),
        SEVERITY_LABELS.get(row["severity"], row["severity"]),
        "是" if row["is_group"] else "否",
        towns.get(row["region_id"][:9]),
        row["region__name"],
        row["lead_unit__name"],
        "、".join(co_units),
        # Staff by the name people know them by (姓名), the username only when none is recorded.
        row["handler__full_name"] or row["handler__username"],
        row["reported_at"],
        row["accept_due"],
        row["sign_due"],
        row["resolve_due"],
        row["check_due"],
        "是" if row["overdue"] else "否",
        SUPERVISION_LABELS.get(row["supervision_level"]),
        row["resolved_at"],
        OUTCOME_LABELS.get(row["outcome"]),
    ]


def ledger_cases(user: User, f: CaseFilter) -> QuerySet[Case]:
    """The cases an export of `user` holds under the filters `f`. Scope is absolute: rows come only
    from `visible_to(user)`, evaluated when the rows are read."""
    return filter_cases(Case.objects.visible_to(user), f, user)


def write_ledger(qs, out: IO[bytes], progress: Callable[[int], None] | None = None) -> int:
    """Write the cases of `qs` (already scoped and filtered) as a workbook to `out`; returns the rows.
    `progress(rows written so far)` is called once per batch of CHUNK_SIZE rows, not per row. The rows
    are read from the replica when there is one; `progress` writes to the primary."""
    sheet = SheetWriter(out, SHEET_TITLE, COLUMNS)
    batch: list[list[Any]] = []
    rows = 0
    with reading_from_replica():
        towns = dict(Region.objects.filter(level=Region.Level.TOWN).values_list("code", "name"))
        for row, co_units in _rows(qs):
            batch.append(_cells(row, co_units, towns))
            if len(batch) == CHUNK_SIZE:
                sheet.write_rows(batch)
                rows += len(batch)
                batch = []
                if progress:
                    progress(rows)
    sheet.write_rows(batch)
    sheet.close()
    return rows + len(batch)


def export_ledger(user: User, f: CaseFilter) -> LedgerFile:
    """The user's ledger under the filters `f`, written now as an open temporary .xlsx file; the
    export is audited. Only for exports small enough to answer within the request
    (pingan.exports.jobs decides)."""
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  (closed by the response that sends it)
    try:
        rows = write_ledger(ledger_cases(user, f), out)
        record(
            user.username,
            "case.export",
            object_type="ledger",
            object_id="",
            data={"filters": f.model_dump(mode="json", exclude_none=True), "rows": rows},
        )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return LedgerFile(file=out, rows=rows)
