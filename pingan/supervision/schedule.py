"""When a 督办 progress report falls due, and the marks of the ones missed.

Reports are owed every `report_every_days` calendar days (自然日, as a 督办通知 writes "每 7 日报告一次"),
to the end of the last day; a last day that is a rest day moves to the next working day (民法典 §203),
the rule the case clocks apply to natural days. Each report restarts the interval.

A report is owed only while the lead unit works on the case (dispatched, in progress): a cycle that ends
while the case waits for dispatch, is suspended or awaits its check is not counted, the due moves on.
"""

from datetime import datetime

from pingan.cases.clocks import get_calendar
from pingan.cases.events import SYSTEM, NewEvent
from pingan.cases.models import Case, Status, TimeUnit

from .models import Supervision

OWED_IN = (Status.DISPATCHED, Status.IN_PROGRESS)
MAX_CYCLES = 1000  # a guard: a daily report missed for almost three years


def report_due(start: datetime, days: int) -> datetime:
    return get_calendar().add(start, days, TimeUnit.NATURAL_DAYS)


def missed_dues(s: Supervision, now: datetime) -> list[datetime]:
    """The dues of the report cycles that ended before `now` with no report."""
    dues: list[datetime] = []
    due = s.next_report_due
    while due < now and len(dues) < MAX_CYCLES:
        dues.append(due)
        due = report_due(due, s.report_every_days)
    return dues


def late_marks(s: Supervision, case: Case, now: datetime) -> list[NewEvent]:
    """`progress_late` for each cycle `s` missed by `now`, once: the due moves past `now`. Where no report
    was owed (see above) the due only moves on. The caller saves `s` and writes the events."""
    dues = missed_dues(s, now)
    if not dues:
        return []
    s.next_report_due = report_due(dues[-1], s.report_every_days)
    if case.status not in OWED_IN:
        return []
    s.missed_since = s.missed_since or dues[0]
    data = {"level": s.level, "supervision": s.pk}
    return [
        NewEvent(case, "progress_late", SYSTEM, now, case.status, case.status, {**data, "due": due})
        for due in dues
    ]
