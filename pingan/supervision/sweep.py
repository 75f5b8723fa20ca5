"""The 督办 part of `pingan sweep`: missed progress reports become `progress_late` events.

Joined to the overdue sweep through its `sweeping` signal (apps.py). Each missed cycle is marked once:
the mark and the move of the due past `now` commit together, so a second run finds nothing to mark.
The notices app tells the handlers and the unit head from the events.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from pingan.cases import events

from .models import Supervision
from .schedule import late_marks

CHUNK = 500


def mark_missed_reports(now: datetime | None = None, records=None) -> int:
    """Mark every cycle missed by `now` (of `records`, a queryset, or of all records in force)."""
    now = now or timezone.now()
    due = (records if records is not None else Supervision.objects.all()).filter(
        lifted_at__isnull=True, next_report_due__lt=now
    )
    marked = 0
    while True:
        with transaction.atomic():
            chunk = list(due.select_for_update(skip_locked=True, of=("self",)).select_related("case")[:CHUNK])
            if not chunk:
                return marked
            new = [e for s in chunk for e in late_marks(s, s.case, now)]
            Supervision.objects.bulk_update(chunk, ["next_report_due", "missed_since"])
            events.write_many(new)
            marked += len(new)


def on_sweep(sender, now: datetime, **kwargs) -> dict[str, int]:
    return {"progress_late": mark_missed_reports(now)}
