"""The overdue sweep (DESIGN §4): mark overdue steps and escalate one level per interval.

Set-based, so that it scales to a province; idempotent, because the level a case should be at is a
function of how long it has been overdue, and each (case, step, due, level) is written at most once.
Each mark and each escalation is an event (written by the event writer's bulk form, with its audit
entry); escalation notices follow from the events.

The sweep also reminds handlers of mediation agreements' performance deadlines (reminders.py).

Apps above cases join the sweep through `sweeping` (pingan.supervision marks missed 督办 progress
reports): each receiver takes `now` and returns its counts, which the sweep adds to its own.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.dispatch import Signal
from django.utils import timezone

from pingan.audit.log import record

from . import events
from .models import Case, Escalation
from .models.case import CLOCKS
from .reminders import remind_performance

MAX_LEVEL = 4
CHUNK = 2000
# What an event needs of its case, and what the rollups will.
EVENT_FIELDS = ("number", "status", "stream", "region", "category", "lead_unit")
# Sent after the overdue steps are marked, with `now`; a receiver returns {count name: number}.
sweeping = Signal()


def _target_level(now: datetime, due: datetime, interval: timedelta) -> int:
    return min(MAX_LEVEL, 1 + int((now - due) / interval))


def sweep(now: datetime | None = None, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    now = now or timezone.now()
    interval = timedelta(hours=settings.PINGAN_ESCALATION_HOURS)
    totals = {"marked": 0, "escalations": 0}
    for step, (due_field, statuses) in CLOCKS.items():
        overdue = Case.objects.filter(status__in=statuses, **{f"{due_field}__lt": now})
        while written := _mark_chunk(overdue.filter(overdue_since__isnull=True), step, due_field, now):
            totals["marked"] += written
        for level in range(MAX_LEVEL):
            # A case at `level` is due for the next one once it is `level` intervals past due.
            candidates = overdue.filter(
                escalation_level=level, **{f"{due_field}__lte": now - level * interval}
            )
            while written := _escalate_chunk(candidates, step, due_field, level, now, interval):
                totals["escalations"] += written
                if progress:
                    progress(f"{step}: 已升级 {totals['escalations']} 件次")
    totals.update(remind_performance(now))
    for _receiver, counts in sweeping.send(sender=Case, now=now):
        if isinstance(counts, dict):
            totals.update(counts)
    if any(totals.values()):
        record("system", "sweep", data=totals)
    return totals


def _locked_chunk(candidates: QuerySet[Case], due_field: str) -> list[Case]:
    rows = candidates.select_for_update(skip_locked=True).only(*EVENT_FIELDS, due_field)[:CHUNK]
    return list(rows)


def _mark_chunk(candidates: QuerySet[Case], step: str, due_field: str, now: datetime) -> int:
    """超期: the moment a step passes its due time is noted once, on the case and as an event."""
    with transaction.atomic():
        cases = _locked_chunk(candidates, due_field)
        if not cases:
            return 0
        Case.objects.filter(pk__in=[c.pk for c in cases]).update(overdue_since=F(due_field))
        events.write_many(
            [
                events.NewEvent(
                    c, "overdue", events.SYSTEM, now, c.status, c.status, _due_data(c, step, due_field)
                )
                for c in cases
            ]
        )
    return len(cases)


def _due_data(case: Case, step: str, due_field: str) -> dict:
    return {"step": step, "due": getattr(case, due_field)}


def _escalate_chunk(
    candidates: QuerySet[Case], step: str, due_field: str, level: int, now: datetime, interval: timedelta
) -> int:
    with transaction.atomic():
        cases = _locked_chunk(candidates, due_field)
        if not cases:
            return 0
        escalations, new = [], []
        by_target: dict[int, list[int]] = defaultdict(list)
        for case in cases:
            due = getattr(case, due_field)
            target = _target_level(now, due, interval)
            by_target[target].append(case.pk)
            for lvl in range(level + 1, target + 1):
                escalations.append(Escalation(case_id=case.pk, step=step, due=due, level=lvl, at=now))
                data = {**_due_data(case, step, due_field), "level": lvl, "role": Escalation.LEVEL_ROLES[lvl]}
                new.append(
                    events.NewEvent(case, "escalate", events.SYSTEM, now, case.status, case.status, data)
                )
        Escalation.objects.bulk_create(escalations, ignore_conflicts=True)
        events.write_many(new)
        for target, pks in by_target.items():
            Case.objects.filter(pk__in=pks).update(escalation_level=target)
    return len(escalations)
