"""The 督办 list as an .xlsx file: the page's rows under the page's filters, scoped and audited."""

import tempfile
from datetime import datetime
from typing import IO

from pingan.accounts.models import User
from pingan.audit.log import record
from pingan.core.spreadsheet import SheetWriter

from . import selectors

COLUMNS = (
    ("案件编号", 22),
    ("案件标题", 36),
    ("案件状态", 9),
    ("所在区划", 16),
    ("牵头单位", 22),
    ("督办级别", 10),
    ("督办人", 10),
    ("督办时间", 17),
    ("督办要求", 40),
    ("报告间隔（日）", 10),
    ("督办时限", 12),
    ("下次报告截止", 17),
    ("最近报告", 17),
    ("逾期未报", 9),
    ("解除时间", 17),
)
CHUNK = 2000


def _cells(r: dict) -> list:
    return [
        r["case_number"],
        r["case_title"],
        r["case_status_label"],
        r["region_name"],
        r["lead_unit_name"],
        r["level_label"],
        r["issuer_name"],
        r["issued_at"],
        r["requirement"],
        r["report_every_days"],
        r["deadline"].isoformat() if r["deadline"] else None,
        r["next_report_due"],
        r["last_report_at"],
        "是" if r["late"] else "否",
        r["lifted_at"],
    ]


def export_records(user: User, f: selectors.SupervisionFilter, now: datetime) -> IO[bytes]:
    """An open temporary .xlsx file of the user's records under `f`; the export is audited."""
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  (closed by the response that sends it)
    try:
        sheet = SheetWriter(out, "督办台账", COLUMNS)
        rows = 0
        for s in selectors.records(user, f, now).iterator(chunk_size=CHUNK):
            sheet.write_rows([_cells(selectors.record_out(s))])
            rows += 1
        sheet.close()
        record(
            user.username,
            "supervision.export",
            object_type="supervision",
            object_id="",
            data={"filters": f.model_dump(mode="json", exclude_none=True), "rows": rows},
        )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out
