"""The overdue sweep (DESIGN §4): mark overdue steps and escalate one level per interval.

Set-based, so that it scales to a province; idempotent, because the level a case should be at is a
function of how long it has been overdue, and each (case, step, due, level) is written at most once.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from pingan.audit.log import record

from .models import Case, CaseEvent, Escalation, Status

# The step whose clock is pending in each state, and where its due time is kept.
STEPS = (
    ("accept", "accept_due", (Status.REPORTED,)),
    ("sign", "sign_due", (Status.DISPATCHED,)),
    ("resolve", "resolve_due", (Status.ACCEPTED, Status.IN_PROGRESS)),
    ("check", "check_due", (Status.RESOLVED,)),
)
MAX_LEVEL = 4
CHUNK = 2000


def _target_level(now: datetime, due: datetime, interval: timedelta) -> int:
    return min(MAX_LEVEL, 1 + int((now - due) / interval))


def sweep(now: datetime | None = None, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    now = now or timezone.now()
    interval = timedelta(hours=settings.PINGAN_ESCALATION_HOURS)
    totals = {"marked": 0, "escalations": 0}
    for step, due_field, statuses in STEPS:
        overdue = Case.objects.filter(status__in=statuses, **{f"{due_field}__lt": now})
        totals["marked"] += overdue.filter(overdue_since__isnull=True).update(overdue_since=F(due_field))
        for level in range(MAX_LEVEL):
            # A case at `level` is due for the next one once it is `level` intervals past due.
            candidates = overdue.filter(
                escalation_level=level, **{f"{due_field}__lte": now - level * interval}
            )
            while True:
                written = _escalate_chunk(candidates, step, due_field, level, now, interval)
                totals["escalations"] += written
                if written == 0:
                    break
                if progress:
                    progress(f"{step}: 已升级 {totals['escalations']} 件次")
    if totals["marked"] or totals["escalations"]:
        record("system", "sweep", data=totals)
    return totals


def _escalate_chunk(
    candidates, step: str, due_field: str, level: int, now: datetime, interval: timedelta
) -> int:
    with transaction.atomic():
        rows = list(
            candidates.select_for_update(skip_locked=True).values_list("pk", due_field, "status")[:CHUNK]
        )
        if not rows:
            return 0
        escalations, events = [], []
        by_target: dict[int, list[int]] = defaultdict(list)
        for pk, due, status in rows:
            target = _target_level(now, due, interval)
            by_target[target].append(pk)
            for lvl in range(level + 1, target + 1):
                escalations.append(Escalation(case_id=pk, step=step, due=due, level=lvl, at=now))
                events.append(
                    CaseEvent(
                        case_id=pk,
                        action="escalate",
                        actor="system",
                        at=now,
                        from_status=status,
                        to_status=status,
                        data={"step": step, "level": lvl, "role": Escalation.LEVEL_ROLES[lvl]},
                    )
                )
        Escalation.objects.bulk_create(escalations, ignore_conflicts=True)
        CaseEvent.objects.bulk_create(events)
        for target, pks in by_target.items():
            Case.objects.filter(pk__in=pks).update(escalation_level=target)
        ids = list(
            Escalation.objects.filter(case_id__in=[r[0] for r in rows], at=now, step=step).values_list(
                "pk", flat=True
            )
        )
        transaction.on_commit(lambda: _enqueue(ids))
    return len(escalations)


def _enqueue(ids: list[int]) -> None:
    from .tasks import notify_escalations

    for start in range(0, len(ids), 500):
        notify_escalations.enqueue(ids[start : start + 500])
