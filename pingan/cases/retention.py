"""Retention (DESIGN §8): once an ended case is past its stream's keeping period, `purge` removes its
personal data and files and leaves a tombstone, so that counts, clocks and KPIs still add up.

The tombstone keeps the number, stream, category, region, status, channel, severity, units, dates,
clocks, outcome code and counters. Reporter, parties, attachments (rows and files), the receipt, the
messages with the reporter and tip exclusions are deleted; the free text of work records, the
agreement, follow-ups and requests is replaced by "（已清除）" (the rows, kinds and dates stay).

CaseEvent rows and the audit log are not touched, although their `data` may quote reasons and
summaries: both are append-only and the audit log is hash-chained, and rewriting them would destroy
the proof that nothing else was rewritten.

Apps above this one keep copies of a case's words of their own (the notices app its notice texts, the
API its stored answers to replayed requests): they forget them on `case_purged`, sent inside the purge's
transaction.

Idempotent: a purged case has `purged_at` set and is never selected again; files are deleted after
the commit that drops their rows, and the orphan sweep removes any a crashed run left behind.
"""

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.utils import timezone

from pingan.audit.log import record

from . import events
from .models import (
    Agreement,
    Attachment,
    Case,
    CaseRequest,
    FollowUp,
    Party,
    PublicMessage,
    Receipt,
    Reporter,
    RetentionPolicy,
    Stream,
    TipExclusion,
    WorkRecord,
)
from .models.case import ENDED_STATUSES
from .models.records import attachment_path

CLEARED = "（已清除）"
TOMBSTONE = "（已按保存期限清除）"
ATTACHMENT_DIR = "attachments"
# A file younger than this may belong to an upload whose row is not committed yet.
ORPHAN_MIN_AGE = timedelta(hours=1)
ORPHAN_CHUNK = 1000

# Sent inside the purge of one case, with `case` already a tombstone: forget your copies of its words.
case_purged = Signal()
# Sent once per purge run with `now` and `dry_run`: apps above delete files of their own that are past
# their keeping time (the exports app its expired export files) and answer how many (would) go.
files_expire = Signal()


@dataclass
class PurgeResult:
    cases: dict[str, int] = field(default_factory=dict)  # stream → cases purged (or due, in a dry run)
    files: int = 0  # attachment files of purged cases deleted
    orphans: int = 0  # files no attachment refers to, deleted
    expired: int = 0  # other apps' files past their keeping time (export files), deleted
    unset: list[str] = field(default_factory=list)  # streams without a retention policy: kept
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.cases.values())


def past_retention(stream: str, days: int, now: datetime) -> QuerySet[Case]:
    return Case.objects.filter(
        stream=stream,
        status__in=ENDED_STATUSES,
        closed_at__lt=now - timedelta(days=days),
        purged_at__isnull=True,
    )


def purge(
    now: datetime | None = None,
    *,
    batch: int = 500,
    progress: Callable[[str], None] | None = None,
    dry_run: bool = False,
) -> PurgeResult:
    """Purge every case past its stream's retention at `now`, then the orphan files.

    A dry run counts what would go and changes nothing."""
    now = now or timezone.now()
    say = progress or (lambda _message: None)
    result = PurgeResult(dry_run=dry_run)
    days_by_stream = dict(RetentionPolicy.objects.values_list("stream", "days"))
    for stream in Stream:
        if stream.value not in days_by_stream:
            result.unset.append(stream.value)
            continue
        due = past_retention(stream.value, days_by_stream[stream.value], now)
        if dry_run:
            result.cases[stream.value] = due.count()
            result.files += Attachment.objects.filter(case__in=due).exclude(file="").count()
            if result.cases[stream.value]:
                say(f"将清除 {stream.label} {result.cases[stream.value]} 件…")
        else:
            result.cases[stream.value] = _purge_stream(due, stream.label, now, batch, say, result)
    result.orphans = delete_orphan_files(dry_run=dry_run)
    answers = files_expire.send(sender=PurgeResult, now=now, dry_run=dry_run)
    result.expired = sum(int(n or 0) for _, n in answers)
    if not dry_run and (result.total or result.files or result.orphans or result.expired):
        record(
            "system",
            "purge",
            data={
                "cases": result.cases,
                "files": result.files,
                "orphans": result.orphans,
                "expired": result.expired,
            },
        )
    return result


def _purge_stream(
    due: QuerySet[Case],
    label: str,
    now: datetime,
    batch: int,
    say: Callable[[str], None],
    result: PurgeResult,
) -> int:
    purged, last = 0, 0
    while True:
        pks = list(due.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not pks:
            return purged
        purged += sum(_purge_case(pk, due, now, result) for pk in pks)
        last = pks[-1]
        say(f"清除 {label} {purged} 件…")


def _purge_case(pk: int, due: QuerySet[Case], now: datetime, result: PurgeResult) -> bool:
    with transaction.atomic():
        # Checked again under the lock: the case may have been reopened since the batch was listed.
        case = due.select_for_update(of=("self",)).select_related("category").filter(pk=pk).first()
        if case is None:
            return False
        files = [name for name in case.attachments.values_list("file", flat=True) if name]
        counts = _clear_records(case)
        _make_tombstone(case, now)
        case_purged.send(sender=Case, case=case)
        events.write(case, "purge", by=events.SYSTEM, at=now, data=counts)
        # Only once the rows are gone for good: a rollback must not lose a file still referenced.
        transaction.on_commit(lambda: _delete_files(files, result), robust=True)
    return True


def _clear_records(case: Case) -> dict[str, int]:
    counts = {
        "reporter": Reporter.objects.filter(case=case).delete()[0],
        "parties": Party.objects.filter(case=case).delete()[0],
        "attachments": Attachment.objects.filter(case=case).delete()[0],
        "receipt": Receipt.objects.filter(case=case).delete()[0],
        "public_messages": PublicMessage.objects.filter(case=case).delete()[0],
        "exclusions": TipExclusion.objects.filter(case=case).delete()[0],
        "work_records": WorkRecord.objects.filter(case=case).update(content=CLEARED),
        "agreement": Agreement.objects.filter(case=case).update(terms=CLEARED),
        "follow_ups": FollowUp.objects.filter(case=case).exclude(note="").update(note=CLEARED),
        "requests": CaseRequest.objects.filter(case=case).update(reason=CLEARED),
    }
    CaseRequest.objects.filter(case=case).exclude(note="").update(note=CLEARED)
    return counts


def _make_tombstone(case: Case, now: datetime) -> None:
    name = case.category.name if case.category else case.get_stream_display()
    case.title = f"{name}{TOMBSTONE}"
    case.description = case.address = case.outcome_summary = ""
    case.lat = case.lng = None
    case.extra = {}
    case.purged_at = now
    case.version += 1
    case.save(
        update_fields=[
            "title",
            "description",
            "address",
            "outcome_summary",
            "lat",
            "lng",
            "extra",
            "purged_at",
            "version",
            "updated_at",
        ]
    )


def _delete_files(names: list[str], result: PurgeResult) -> None:
    for name in names:
        if default_storage.exists(name):
            default_storage.delete(name)
            result.files += 1


# ---------------------------------------------------------------- orphan files


def delete_orphan_files(*, dry_run: bool = False) -> int:
    """Delete files under attachments/ that no attachment refers to and that are older than an hour,
    then the directories left empty; returns how many files (would) go."""
    media = Path(default_storage.path(""))
    root = media / ATTACHMENT_DIR
    if not root.is_dir():
        return 0
    # Real time, not the purge's `now`: the age protects uploads in progress right now.
    cutoff = time.time() - ORPHAN_MIN_AGE.total_seconds()
    deleted = 0
    for dirpath, _dirnames, filenames in os.walk(root):
        old = {}
        for filename in filenames:
            path = Path(dirpath) / filename
            try:
                mtime = path.lstat().st_mtime
            except FileNotFoundError:
                continue  # removed since the directory was listed
            if mtime < cutoff:
                old[path.relative_to(media).as_posix()] = path
        names = list(old)
        for start in range(0, len(names), ORPHAN_CHUNK):
            chunk = names[start : start + ORPHAN_CHUNK]
            referenced = set(Attachment.objects.filter(file__in=chunk).values_list("file", flat=True))
            for name in chunk:
                if name not in referenced:
                    if not dry_run:
                        old[name].unlink(missing_ok=True)
                    deleted += 1
    if not dry_run:
        _remove_empty_dirs(root, keep=media / os.path.dirname(attachment_path(None, "")))
    return deleted


def _remove_empty_dirs(root: Path, keep: Path) -> None:
    """Bottom-up, so that a parent emptied by its children goes too. The current upload directory
    stays: an upload creates it just before writing its file."""
    for dirpath, _dirnames, _filenames in os.walk(root, topdown=False):
        path = Path(dirpath)
        if path in (root, keep):
            continue
        with contextlib.suppress(OSError):  # not empty
            path.rmdir()
