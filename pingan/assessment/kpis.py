"""The KPIs of GOVERNANCE §2, computed from rollup sums (pingan.analytics) as of the period end.

Readings of the definitions where the table leaves room, as a county 平安办 would count:
- Every count falls on the local day of its event, under the case's region, unit and 督办 flag as that
  event left them (a return counts for the unit that returned the case). `reported` is the day of the
  create event (its reported_at) or of an import (补录): a back-fill never changes a past period.
- `accepted` counts accept events; `answer` always follows an accept here, so counting it again would
  count the case twice.
- `due` (应办结数) = closures in the period + cases still open at the period end (not suspended: 挂起
  stops the clock) whose resolve due in force then falls in the period. A case closed before its due
  counts in the period it closed; extended before the period end, it counts where its new due falls.
- `closed` counts `check_pass` and `answer` (an imported closed case is history, not a closure); on
  time = its last resolve (or the answer) came by the resolve due then in force.
- `overdue_open`: open cases with a running clock (受理, 签收, 办理, 核查) past its due at the period end.
- `rating_rate` and `satisfaction_rate` count the centre's 回访 (`follow_up` with a satisfaction).
- `local_resolution_rate`: disputes closed whose lead unit sits in a town or village (its region is a
  town, village or grid); answered on the spot without a lead unit counts as not local.
- `backlog_resolution_rate`: 积案 are cases marked by `mark_backlog` (GOVERNANCE §7); the rate is 积案
  closed in the period ÷ (积案 open at its start + cases that became open 积案 during it).
- `progress_report_rate`: `report_progress` events with `on_time` ÷ (those + `progress_late` marks).
- A unit's figures are its own cases (led by it at each event), not those of the units below it, so that
  a table of units adds up.
"""

from collections.abc import Callable
from typing import Any

from pingan.core.periods import Period

KEYS = (
    "reported",
    "accepted",
    "accepted_on_time_rate",
    "due",
    "closed",
    "closed_rate",
    "closed_on_time_rate",
    "overdue_open",
    "rework_rate",
    "return_rate",
    "extension_rate",
    "satisfaction_rate",
    "rating_rate",
    "resolution_rate",
    "local_resolution_rate",
    "backlog_resolution_rate",
    "duplicate_rate",
    "supervised_on_time_rate",
    "progress_report_rate",
)
LABELS = {
    "reported": "登记量",
    "accepted": "受理量",
    "accepted_on_time_rate": "按时受理率",
    "due": "应办结数",
    "closed": "办结数",
    "closed_rate": "办结率",
    "closed_on_time_rate": "按期办结率",
    "overdue_open": "超期件数",
    "rework_rate": "返工率",
    "return_rate": "退单率",
    "extension_rate": "延期率",
    "satisfaction_rate": "满意率",
    "rating_rate": "参评率",
    "resolution_rate": "化解率",
    "local_resolution_rate": "就地化解率",
    "backlog_resolution_rate": "积案化解率",
    "duplicate_rate": "重复件率",
    "supervised_on_time_rate": "督办件按期办结率",
    "progress_report_rate": "督办按时报告率",
}
RESOLVING = ("dispute", "petition")  # the streams 化解率 is about


def is_rate(key: str) -> bool:
    """A share (0–1, null on a zero denominator) rather than a count."""
    return key.endswith("_rate")


def rate(numerator: int, denominator: int) -> float | None:
    """A share rounded to four places; null on a zero denominator (never 0 % or 100 % by default)."""
    return round(numerator / denominator, 4) if denominator else None


def _flow(sums, measure: str, streams: tuple[str, ...] = (), supervised: bool | None = None) -> int:
    return sum(
        n
        for (m, stream, sup), n in sums.flows.items()
        if m == measure and (not streams or stream in streams) and supervised in (None, sup)
    )


def _stock(sums, measure: str, supervised: bool | None = None) -> int:
    return sum(n for (m, sup), n in sums.stocks.items() if m == measure and supervised in (None, sup))


def _due(sums, supervised: bool | None = None) -> int:
    return _flow(sums, "closed", supervised=supervised) + _stock(sums, "due", supervised=supervised)


Count = Callable[[Any], int]
# Each KPI as the counts it is made of: a count is its own numerator; a rate is numerator ÷ denominator.
# The list of cases behind a figure (pingan.assessment.behind) counts the same parts case by case.
PARTS: dict[str, tuple[Count, Count | None]] = {
    "reported": (lambda s: _flow(s, "reported"), None),
    "accepted": (lambda s: _flow(s, "accepted"), None),
    "accepted_on_time_rate": (lambda s: _flow(s, "accepted_on_time"), lambda s: _flow(s, "accepted")),
    "due": (_due, None),
    "closed": (lambda s: _flow(s, "closed"), None),
    "closed_rate": (lambda s: _flow(s, "closed"), _due),
    "closed_on_time_rate": (lambda s: _flow(s, "closed_on_time"), _due),
    "overdue_open": (lambda s: _stock(s, "overdue"), None),
    "rework_rate": (lambda s: _flow(s, "reworked"), lambda s: _flow(s, "resolved")),
    "return_rate": (lambda s: _flow(s, "returned"), lambda s: _flow(s, "dispatched")),
    "extension_rate": (lambda s: _flow(s, "extended"), lambda s: _flow(s, "dispatched")),
    "satisfaction_rate": (lambda s: _flow(s, "satisfied"), lambda s: _flow(s, "rated")),
    "rating_rate": (lambda s: _flow(s, "rated"), lambda s: _flow(s, "closed")),
    "resolution_rate": (
        lambda s: _flow(s, "closed_resolved", RESOLVING),
        lambda s: _flow(s, "closed", RESOLVING),
    ),
    "local_resolution_rate": (lambda s: s.local_disputes_closed, lambda s: _flow(s, "closed", ("dispute",))),
    "backlog_resolution_rate": (
        lambda s: _flow(s, "backlog_closed"),
        lambda s: _stock(s, "backlog") + _flow(s, "backlog_entered"),
    ),
    "duplicate_rate": (lambda s: _flow(s, "merged"), lambda s: _flow(s, "reported")),
    "supervised_on_time_rate": (
        lambda s: _flow(s, "closed_on_time", supervised=True),
        lambda s: _due(s, supervised=True),
    ),
    "progress_report_rate": (lambda s: _flow(s, "progress_on_time"), lambda s: _flow(s, "progress_owed")),
}


def values(sums) -> dict[str, int | float | None]:
    """The figures of one scope and period from its `pingan.analytics.selectors.Sums`."""
    out: dict[str, int | float | None] = {}
    for key in KEYS:
        numerator, denominator = PARTS[key]
        out[key] = numerator(sums) if denominator is None else rate(numerator(sums), denominator(sums))
    return out


def period_out(period: Period) -> dict[str, str]:
    return {"key": period.key, "start": period.first.isoformat(), "end": period.last.isoformat()}
