"""Large exports in the background (django-tasks, run by `pingan worker`).

An export of up to `PINGAN_EXPORT_BACKGROUND_ROWS` rows is written during the request, as before. A
larger one becomes an ExportJob: the worker writes the file under the media root (owner-only), counting
its progress once per batch of rows, and the requester alone may download it until it expires
(`PINGAN_EXPORT_KEEP_HOURS`). Expired files are deleted by the next job, by `pingan purge`, and by a
download that finds its job expired.
"""

import logging
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from pingan.accounts.models import User
from pingan.audit.log import record
from pingan.cases.selectors import CaseFilter
from pingan.core.errors import DomainError, not_found
from pingan.core.replica import reading_from_replica

from .ledger import LedgerFile, export_ledger, ledger_cases, write_ledger
from .models import ExportJob

logger = logging.getLogger(__name__)

# A download written during the request must answer within the server's 60 s timeout: on our two-core
# box 20,000 rows take 5–7 s and 100,000 take 40 s. Whatever the setting, more rows go to the worker.
SYNC_MAX_ROWS = 100_000
# An Excel sheet holds 1,048,576 rows, the header included.
MAX_ROWS = 1_048_575
EXPORT_DIR = "exports"
FAILED_MESSAGE = "生成文件时出错。请稍后重新导出；如仍失败，请联系系统管理员。"
UNFINISHED = (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING)


def background_threshold() -> int:
    return min(settings.PINGAN_EXPORT_BACKGROUND_ROWS, SYNC_MAX_ROWS)


def keep_for() -> timedelta:
    return timedelta(hours=settings.PINGAN_EXPORT_KEEP_HOURS)


def export_or_queue(user: User, f: CaseFilter, *, now: datetime | None = None) -> LedgerFile | ExportJob:
    """The ledger export of `user` under `f`: written now when it is small, else a job for the worker
    (both audited as `case.export`). The rows are counted with the same scope and filters."""
    threshold = background_threshold()
    ids = ledger_cases(user, f).order_by().values("pk")
    with reading_from_replica():
        small = ids[: threshold + 1].count() <= threshold
        total = 0 if small else ids[: MAX_ROWS + 1].count()
    if small:
        return export_ledger(user, f)
    if total > MAX_ROWS:
        raise DomainError(
            "export_too_large",
            f"符合条件的案件超过 {MAX_ROWS:,} 件，超出 Excel 单个工作表的行数上限。"
            "请缩小筛选范围（如按乡镇、业务类型或登记时间）后分次导出。",
            status=400,
        )
    return queue_export(user, f, total, now=now or timezone.now())


def queue_export(user: User, f: CaseFilter, total: int, *, now: datetime) -> ExportJob:
    """A new job, or the requester's unfinished one with the same filters (a second click, a reload)."""
    filters = f.model_dump(mode="json", exclude_none=True)
    with transaction.atomic():
        same = ExportJob.objects.filter(
            requester=user, filters=filters, status__in=UNFINISHED, expires_at__gt=now
        ).first()
        if same is not None:
            return same
        job = ExportJob.objects.create(
            requester=user, filters=filters, rows_total=total, created_at=now, expires_at=now + keep_for()
        )
        record(
            user.username,
            "case.export",
            object_type="ledger",
            object_id="",
            data={"filters": filters, "rows": total, "job": job.pk},
        )
        # The task queue is a table in the same database: the job is queued if and only if it commits.
        write_export.enqueue(job.pk)
    return job


@task()
def write_export(job_id: int) -> int:
    """Write the job's file with its requester's scope; returns the rows written."""
    now = timezone.now()
    delete_expired(now)
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED, expires_at__gt=now).update(
        status=ExportJob.Status.RUNNING, started_at=now
    )
    if not claimed:
        return 0  # run already, or expired while queued
    job = ExportJob.objects.select_related("requester").get(pk=job_id)
    try:
        rows = _write_file(job)
    except Exception:
        logger.exception("export job %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportJob.Status.FAILED, file="", error=FAILED_MESSAGE, finished_at=timezone.now()
        )
        raise
    finished = timezone.now()
    done = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.DONE,
        rows_done=rows,
        rows_total=rows,
        finished_at=finished,
        expires_at=finished + keep_for(),
    )
    if not done:  # expired while it ran: nobody may download it
        Path(default_storage.path(job.file)).unlink(missing_ok=True)
    return rows


def _write_file(job: ExportJob) -> int:
    job.file = f"{EXPORT_DIR}/{secrets.token_hex(16)}.xlsx"
    path = Path(default_storage.path(job.file))
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Named before it is written, so that a crash leaves a file that expiry still finds.
    ExportJob.objects.filter(pk=job.pk).update(file=job.file)

    def progress(rows: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(rows_done=rows)

    qs = ledger_cases(job.requester, CaseFilter.model_validate(job.filters))
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            return write_ledger(qs, out, progress)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- reading and downloading


def job_of(user: User, job_id: int) -> ExportJob:
    """The user's own job; anyone else's answers as a missing one (404)."""
    job = ExportJob.objects.filter(pk=job_id, requester=user).first()
    if job is None:
        raise not_found("未找到该导出任务，或您无权查看。")
    return job


def is_expired(job: ExportJob, now: datetime) -> bool:
    return job.status == ExportJob.Status.EXPIRED or job.expires_at <= now


def open_download(user: User, job_id: int, *, now: datetime | None = None) -> tuple[ExportJob, IO[bytes]]:
    """The finished file of the user's job, opened; the download is audited."""
    now = now or timezone.now()
    job = job_of(user, job_id)
    if is_expired(job, now):
        delete_expired(now)
        raise _expired()
    if job.status != ExportJob.Status.DONE:
        raise DomainError("export_not_ready", "导出文件尚未生成完毕，请稍候。", status=409)
    try:
        file = open(default_storage.path(job.file), "rb")  # noqa: SIM115  (closed by the response)
    except FileNotFoundError:
        raise _expired() from None
    record(
        user.username,
        "export.download",
        object_type="export_job",
        object_id=str(job.pk),
        data={"filters": job.filters, "rows": job.rows_done},
    )
    return job, file


def _expired() -> DomainError:
    hours = f"{settings.PINGAN_EXPORT_KEEP_HOURS:g}"
    return DomainError(
        "export_expired",
        f"该导出文件已过期删除（导出文件保留 {hours} 小时）。请回到案件台账重新导出。",
        status=410,
    )


# ---------------------------------------------------------------- expiry


def delete_expired(now: datetime, *, dry_run: bool = False) -> int:
    """Mark jobs past their expiry (a job whose worker died included) and delete their files; returns
    how many files (would) go."""
    due = ExportJob.objects.filter(expires_at__lte=now).exclude(status=ExportJob.Status.EXPIRED)
    jobs = list(due.values_list("pk", "file"))
    names = [name for _, name in jobs if name]
    if dry_run:
        return len(names)
    ExportJob.objects.filter(pk__in=[pk for pk, _ in jobs]).update(status=ExportJob.Status.EXPIRED, file="")
    for name in names:
        Path(default_storage.path(name)).unlink(missing_ok=True)
    return len(names)


def on_purge(sender, now: datetime, dry_run: bool, **kwargs) -> int:
    return delete_expired(now, dry_run=dry_run)
