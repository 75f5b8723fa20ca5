"""The one writer of case events (DESIGN §3, §9).

Every CaseEvent — of a workflow action, an intake, the sweep, a merge, a back-fill, a purge, the public
path or the demo — is written here, in the caller's transaction, with:
- a check against the transition table (workflow.check_event): an illegal step is a bug and raises;
- its entry in the hash-chained audit log, linked from the event;
- the step whose clock it stopped and the due time then in force (GOVERNANCE §2);
- `events_written`, sent inside the same transaction: the notices app queues its notices there (the
  queue is a table, so a notice is committed with its event or not at all), and the rollups of the next
  issue keep their counters there. History written after the fact (back-fill, demo) is `quiet`: it
  tells no one.

`write` takes one event, `write_many` a list (the bulk form for the sweep, imports and the demo).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from pingan.audit.changes import PUBLIC_ACTOR, SYSTEM_ACTOR
from pingan.audit.changes import actor_name as audit_actor
from pingan.audit.log import record_many
from pingan.audit.models import AuditEntry
from pingan.core.bulk import Insert, insert_rows

from .models import Case, CaseEvent
from .models.case import CLOCKS, DUE_FIELDS, ended_step
from .workflow import check_event

# Sent inside the writing transaction; receivers take `events` (saved CaseEvents, each with its `case`)
# and `quiet` (true for history written after the fact, which must notify no one).
events_written = Signal()

SYSTEM = SYSTEM_ACTOR
PUBLIC = PUBLIC_ACTOR  # the actor name of the anonymous public


@dataclass(frozen=True)
class Before:
    """A case's state and clocks before a change: what the event of the change compares against."""

    status: str
    dues: dict[str, datetime | None] = field(default_factory=dict)

    @classmethod
    def of(cls, case: Case) -> "Before":
        return cls(case.status, {name: getattr(case, name) for name in DUE_FIELDS})


@dataclass
class NewEvent:
    case: Case
    action: str
    actor: str
    at: datetime
    from_status: str
    to_status: str
    data: dict = field(default_factory=dict)
    due: datetime | None = None  # the due time in force of the step this event stops, if any


def actor_name(actor) -> str:
    """A user, the public (`PUBLIC`) or the system (None), as events and audit entries name them."""
    return actor if isinstance(actor, str) else audit_actor(actor)


def new_event(
    case: Case,
    action: str,
    *,
    by,
    at: datetime | None = None,
    before: Before | None = None,
    data: dict | None = None,
) -> NewEvent:
    """The event of a change just made to `case` (in memory or saved), given its state `before`."""
    before = before or Before(case.status)
    step = ended_step(before.status, case.status)
    due = before.dues.get(CLOCKS[step][0]) if step else None
    return NewEvent(
        case=case,
        action=action,
        actor=actor_name(by),
        at=at or timezone.now(),
        from_status=before.status,
        to_status=case.status,
        data=data or {},
        due=due,
    )


def write(
    case: Case,
    action: str,
    *,
    by,
    at: datetime | None = None,
    before: Before | None = None,
    data: dict | None = None,
) -> CaseEvent:
    return write_many([new_event(case, action, by=by, at=at, before=before, data=data)])[0]


def write_many(new: list[NewEvent], *, quiet: bool = False, insert: Insert = insert_rows) -> list[CaseEvent]:
    """`insert` writes the audit entries' and the events' rows (bulk.copy_rows for the demo's COPY
    writer); everything else is the same whichever writes them."""
    if not new:
        return []
    for e in new:
        check_event(e.action, e.from_status, e.to_status)
    with transaction.atomic(savepoint=False):
        entries = record_many(
            [
                AuditEntry(
                    at=e.at,
                    actor=e.actor,
                    action=f"case.{e.action}",
                    object_type="case",
                    object_id=e.case.number,
                    data=e.data,
                )
                for e in new
            ],
            insert,
        )
        events = CaseEvent.objects.append(
            [
                CaseEvent(
                    case=e.case,
                    action=e.action,
                    actor=e.actor,
                    at=e.at,
                    from_status=e.from_status,
                    to_status=e.to_status,
                    data=e.data,
                    step=ended_step(e.from_status, e.to_status) or "",
                    due=e.due,
                    audit=entry,
                )
                for e, entry in zip(new, entries, strict=True)
            ],
            insert,
        )
        events_written.send(sender=CaseEvent, events=events, quiet=quiet)
    return events
