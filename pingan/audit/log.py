"""Writing and checking the audit chain. Call `record` inside the transaction of the change."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from pingan.core.bulk import Insert, insert_rows

from .labels import check_labelled
from .models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _digest(prev_hash: str, entry: AuditEntry) -> str:
    payload = json.dumps(
        [
            prev_hash,
            entry.at.isoformat(),
            entry.actor,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.data,
        ],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(actor: str, action: str, *, object_type: str = "", object_id: str = "", data: dict | None = None):
    check_labelled(action)
    # Always part of the caller's transaction when there is one: no savepoint round trips.
    with transaction.atomic(savepoint=False):
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
        # Round-trip through JSON first so the digest sees exactly what the database will hold.
        clean = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
        entry = AuditEntry(
            actor=actor, action=action, object_type=object_type, object_id=str(object_id), data=clean
        )
        entry.prev_hash = head.last_hash
        entry.hash = _digest(head.last_hash, entry)
        entry.save()
        AuditHead.objects.filter(pk=1).update(last_hash=entry.hash, count=head.count + 1)
        return entry


COLUMNS = ("at", "actor", "action", "object_type", "object_id", "data", "prev_hash", "hash")


def record_many(entries: list[AuditEntry], insert: Insert = insert_rows) -> list[AuditEntry]:
    """Append unsaved entries in order, chained as `record` chains one: the bulk form for writers of many
    rows at once (the sweep, the demo, a back-fill). Returns them saved, with their ids. `insert` writes
    the rows (bulk.copy_rows for the demo's COPY writer)."""
    if not entries:
        return entries
    for action in {e.action for e in entries}:
        check_labelled(action)
    with transaction.atomic(savepoint=False):
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
        prev = head.last_hash
        for entry in entries:
            entry.at = entry.at.astimezone(UTC)  # as the database gives it back, so the digest verifies
            entry.object_id = str(entry.object_id)
            entry.data = json.loads(json.dumps(entry.data or {}, cls=DjangoJSONEncoder))
            entry.prev_hash = prev
            entry.hash = prev = _digest(prev, entry)
        rows = [[getattr(e, c) for c in COLUMNS] for e in entries]
        for entry, pk in zip(entries, insert(AuditEntry, COLUMNS, rows), strict=True):
            entry.pk, entry._state.adding = pk, False
        AuditHead.objects.filter(pk=1).update(last_hash=prev, count=head.count + len(entries))
    return entries


@dataclass(frozen=True)
class ChainCheck:
    checked: int
    total: int
    first_bad: AuditEntry | None = None
    # Set when every row links up but the chain ends short of its head: rows cut off at the end.
    truncated: bool = False

    @property
    def intact(self) -> bool:
        return self.first_bad is None and not self.truncated


def check_chain(progress: Callable[[int, int], None] | None = None, every: int = 100_000) -> ChainCheck:
    """Walk the whole chain in id order; stops at the first entry whose hash does not follow.

    The head is read first: entries appended while the walk runs are checked as well, and a chain
    that stops before the head's count had rows deleted from its end, which no hash shows.
    """
    head = AuditHead.objects.filter(pk=1).first()
    head_count = head.count if head else 0
    total = head_count or AuditEntry.objects.count()
    prev = GENESIS
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev or _digest(prev, entry) != entry.hash:
            return ChainCheck(checked, total, first_bad=entry)
        # The head pins the entry it counted last: rewriting that one with a fresh hash still shows.
        if checked + 1 == head_count and head is not None and entry.hash != head.last_hash:
            return ChainCheck(checked, total, first_bad=entry)
        prev = entry.hash
        checked += 1
        if progress is not None and checked % every == 0:
            progress(checked, total)
    return ChainCheck(checked, total, truncated=checked < head_count)


def verify_chain() -> tuple[bool, int]:
    """(intact, entries checked); see `check_chain` for the entry where it breaks."""
    result = check_chain()
    return result.intact, result.checked
