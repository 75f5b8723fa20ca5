"""Writing and checking the audit chains. Call `record` inside the transaction of the change.

The log is several hash chains (PINGAN_AUDIT_PARTITIONS, default 8), each with its head row: an entry
goes to the chain of its object (a stable hash of type and id), so writes about different cases do not
wait on one head for the whole deployment. Every entry of one transaction goes to one chain. Chain 0 is
also the single chain written before there were several; `check_chain` verifies them all."""

import hashlib
import json
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC

from django.conf import settings
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


def partition_of(object_type: str, object_id: str) -> int:
    """The chain an object's entries go to: a stable hash of the object, modulo PINGAN_AUDIT_PARTITIONS."""
    return zlib.crc32(f"{object_type}:{object_id}".encode()) % max(settings.PINGAN_AUDIT_PARTITIONS, 1)


class _Chain:
    """The chain the current transaction appends to, registered with its on-commit callbacks: the
    marker disappears from them when the transaction (or the savepoint that chose it) ends."""

    def __init__(self, partition: int):
        self.partition = partition

    def __call__(self) -> None:
        pass


def _chain_of_transaction(object_type: str, object_id: str) -> int:
    """The chain of the transaction's first entry's object; its later entries follow it there, so that a
    transaction locks one head and two transactions never wait on each other's heads in a cycle."""
    connection = transaction.get_connection()
    chain = getattr(connection, "_pingan_audit_chain", None)
    if chain is not None and any(callback[1] is chain for callback in connection.run_on_commit):
        return chain.partition
    chain = _Chain(partition_of(object_type, object_id))
    connection._pingan_audit_chain = chain  # type: ignore[attr-defined]
    transaction.on_commit(chain)
    return chain.partition


def _lock_head(partition: int) -> AuditHead:
    return AuditHead.objects.select_for_update().get_or_create(
        partition=partition, defaults={"last_hash": GENESIS}
    )[0]


def record(actor: str, action: str, *, object_type: str = "", object_id: str = "", data: dict | None = None):
    check_labelled(action)
    # Always part of the caller's transaction when there is one: no savepoint round trips.
    with transaction.atomic(savepoint=False):
        head = _lock_head(_chain_of_transaction(object_type, str(object_id)))
        # Round-trip through JSON first so the digest sees exactly what the database will hold.
        clean = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
        entry = AuditEntry(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            data=clean,
            partition=head.partition,
        )
        entry.prev_hash = head.last_hash
        entry.hash = _digest(head.last_hash, entry)
        entry.save()
        AuditHead.objects.filter(pk=head.pk).update(last_hash=entry.hash, count=head.count + 1)
        return entry


COLUMNS = ("at", "actor", "action", "object_type", "object_id", "data", "partition", "prev_hash", "hash")


def record_many(entries: list[AuditEntry], insert: Insert = insert_rows) -> list[AuditEntry]:
    """Append unsaved entries in order, chained as `record` chains one (all to the transaction's chain):
    the bulk form for writers of many rows at once (the sweep, the demo, a back-fill). Returns them
    saved, with their ids. `insert` writes the rows (bulk.copy_rows for the demo's COPY writer)."""
    if not entries:
        return entries
    for action in {e.action for e in entries}:
        check_labelled(action)
    with transaction.atomic(savepoint=False):
        first = entries[0]
        head = _lock_head(_chain_of_transaction(first.object_type, str(first.object_id)))
        prev = head.last_hash
        for entry in entries:
            entry.at = entry.at.astimezone(UTC)  # as the database gives it back, so the digest verifies
            entry.object_id = str(entry.object_id)
            entry.data = json.loads(json.dumps(entry.data or {}, cls=DjangoJSONEncoder))
            entry.partition = head.partition
            entry.prev_hash = prev
            entry.hash = prev = _digest(prev, entry)
        rows = [[getattr(e, c) for c in COLUMNS] for e in entries]
        for entry, pk in zip(entries, insert(AuditEntry, COLUMNS, rows), strict=True):
            entry.pk, entry._state.adding = pk, False
        AuditHead.objects.filter(pk=head.pk).update(last_hash=prev, count=head.count + len(entries))
    return entries


@dataclass(frozen=True)
class ChainCheck:
    checked: int
    total: int
    # Per chain, the first entry whose hash does not follow.
    breaks: dict[int, AuditEntry] = field(default_factory=dict)
    # Chains whose rows all link up but end short of their head: rows cut off at the end.
    short: tuple[int, ...] = ()

    @property
    def first_bad(self) -> AuditEntry | None:
        return min(self.breaks.values(), key=lambda e: e.pk) if self.breaks else None

    @property
    def truncated(self) -> bool:
        return bool(self.short)

    @property
    def intact(self) -> bool:
        return not self.breaks and not self.short

    def findings(self) -> dict:
        """What ChainVerification.findings keeps: each broken chain's first bad entry, the short chains."""
        return {"broken": {str(p): e.pk for p, e in sorted(self.breaks.items())}, "short": list(self.short)}


def check_chain(progress: Callable[[int, int], None] | None = None, every: int = 100_000) -> ChainCheck:
    """Walk every chain, in one pass over the entries in id order (within a chain, id order is the order
    of appending: each append holds its head's lock until commit). A chain is checked up to its first
    entry whose hash does not follow; the others go on.

    The heads are read first: entries appended while the walk runs are checked as well, and a chain
    that stops before its head's count had rows deleted from its end, which no hash shows.
    """
    heads = {h.partition: h for h in AuditHead.objects.all()}
    total = sum(h.count for h in heads.values()) or AuditEntry.objects.count()
    prev: dict[int, str] = {}
    counted: dict[int, int] = defaultdict(int)
    breaks: dict[int, AuditEntry] = {}
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        chain = entry.partition
        if chain in breaks:
            continue
        before = prev.get(chain, GENESIS)
        n = counted[chain] + 1
        head = heads.get(chain)
        # The head pins the entry it counted last: rewriting that one with a fresh hash still shows.
        pinned = head is not None and n == head.count and entry.hash != head.last_hash
        if entry.prev_hash != before or _digest(before, entry) != entry.hash or pinned:
            breaks[chain] = entry
            continue
        prev[chain], counted[chain] = entry.hash, n
        checked += 1
        if progress is not None and checked % every == 0:
            progress(checked, total)
    short = tuple(sorted(p for p, h in heads.items() if p not in breaks and counted[p] < h.count))
    return ChainCheck(checked, total, breaks=breaks, short=short)


def verify_chain() -> tuple[bool, int]:
    """(intact, entries checked); see `check_chain` for where it breaks."""
    result = check_chain()
    return result.intact, result.checked


def heads_summary(rows: Iterable[tuple[int, str, int]]) -> tuple[str, int]:
    """(hash, count) naming the heads (partition, last hash, count) at one moment, for a backup's
    manifest: the one head's hash while there is one chain (as before there were several), else a
    digest of all of them."""
    heads = sorted(rows)
    if not heads:
        return GENESIS, 0
    count = sum(c for _, _, c in heads)
    if len(heads) == 1 and heads[0][0] == 0:
        return heads[0][1], count
    joined = "\n".join(f"{p}:{h}:{c}" for p, h, c in heads)
    return hashlib.sha256(joined.encode()).hexdigest(), count


def current_heads_summary() -> tuple[str, int]:
    return heads_summary(AuditHead.objects.values_list("partition", "last_hash", "count"))
