"""补录: historical cases from the Excel template, all or nothing.

`read_sheet` (reader.py) turns an upload into raw rows, `check_rows` (checks.py) validates every row with
the API's rules and reports every problem by Excel row and column, `import_cases` (here) is the action
that writes them in one transaction, each case through the case builder with its "import" event and
audit entry; template.py makes the template workbook.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from pingan.accounts.models import User
from pingan.accounts.scope import scope_of
from pingan.audit.log import record
from pingan.core.errors import DomainError, forbidden

from ..builder import People, build_from_intake, register
from ..models import Case, Status
from .checks import Lookups, check_rows, duplicates
from .columns import (
    COLUMNS,
    FIELD_HEADERS,
    MAX_BYTES,
    MAX_ROWS,
    HistoricalCase,
    RowError,
    RowsRejected,
    bad_file,
)
from .reader import read_sheet
from .template import template_workbook

__all__ = [
    "COLUMNS",
    "MAX_BYTES",
    "MAX_ROWS",
    "HistoricalCase",
    "RowsRejected",
    "bad_file",
    "check_rows",
    "import_cases",
    "read_sheet",
    "template_workbook",
]


def import_cases(
    user: User, rows: list[HistoricalCase], *, file_name: str = "", now: datetime | None = None
) -> list[Case]:
    """Register checked historical rows in one transaction, all or nothing.

    The cases go in with the case builder's bulk form rather than one `create_case` each: that cost 17 ms
    a row on our busy two-core box (a category, region, time-limit and serial query per case), so 5,000
    rows outlasted the server's 60 s request timeout and held SQLite's write lock all along. The rules
    stay `create_case`'s: the same CaseIn, the same category and region resolution, the same accept clock
    and numbering. A row that fails here (a region removed since the check, say) is reported like any
    other row."""
    if "dispatcher" not in scope_of(user).roles:
        raise forbidden("只有受理/分派员可以批量补录案件。")
    now = now or timezone.now()
    with transaction.atomic():
        found = duplicates(user, rows)  # inside the transaction: a double submit sees the first
        if found:
            raise RowsRejected(found)
        lookups = Lookups(user)
        cases = [_new_case(user, row, lookups) for row in rows]
        people = [
            People(reporter=row.case.reporter.model_dump() if row.case.reporter else None) for row in rows
        ]
        data = [_event_data(row, case, file_name) for row, case in zip(rows, cases, strict=True)]
        register(cases, by=user, people=people, action="import", data=data, at=now)
        record(
            user.username,
            "case.import_file",
            object_type="ledger",
            data={"file": file_name, "rows": len(cases)},
        )
    return cases


def _new_case(user: User, row: HistoricalCase, lookups: Lookups) -> Case:
    data = row.case
    try:
        category = lookups.category(data.stream, data.category)
        region = lookups.region(data.region)
    except DomainError as err:
        fields = err.fields or {"": err.message}
        raise RowsRejected(
            [RowError(row.row, FIELD_HEADERS.get(k, ""), m) for k, m in fields.items()]
        ) from None
    case = build_from_intake(
        data,
        category=category,
        region=region,
        channel=data.channel,
        reported_at=row.reported_at,
        reported_by=user,
    )
    if row.status == Status.CLOSED:
        case.status = Status.CLOSED
        case.accept_due = None
        case.resolved_at = case.closed_at = row.resolved_at
        case.outcome = row.outcome
        case.outcome_summary = row.outcome_summary
    return case


def _event_data(row: HistoricalCase, case: Case, file_name: str) -> dict[str, Any]:
    where = f"{file_name} 第 {row.row} 行" if file_name else f"第 {row.row} 行"
    data: dict[str, Any] = {"note": f"历史案件，来自 {where}", "row": row.row, "reported_at": row.reported_at}
    if case.status == Status.CLOSED:
        data.update(resolved_at=row.resolved_at, outcome=row.outcome)
    return data
