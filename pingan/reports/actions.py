"""Generating, annotating and publishing reports. A draft is rebuilt from the current figures each time
it is generated; a published report is never rebuilt, re-annotated or deleted (GOVERNANCE §5)."""

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from pingan.accounts import policy
from pingan.accounts.scope import scope_of
from pingan.audit.changes import actor_name
from pingan.audit.log import record
from pingan.core.errors import DomainError, forbidden, not_found
from pingan.core.periods import Period, parse_period
from pingan.core.replica import reading_from_replica
from pingan.regions.models import Region

from .content import BUILDERS, PERIOD_KINDS
from .models import Report
from .render_docx import render_docx
from .render_xlsx import render_xlsx
from .schedule import build_draft

READERS = ("leader", "supervisor")
WRITERS = ("supervisor",)
KIND_WORDS = {"weekly": "周（如 2026-W45）", "monthly": "月（如 2026-10）", "quarterly": "季度（如 2026-Q3）"}


def may_read(user, region_code: str) -> bool:
    return policy.covers(scope_of(user), READERS, region_code)


def _check_writer(by, region: Region) -> None:
    """A supervisor in the region; `by=None` is the system (the worker, `pingan report`)."""
    if by is None:
        return
    if not policy.covers(scope_of(by), WRITERS, region.code):
        if policy.covers(scope_of(by), READERS, region.code):
            raise forbidden("调度通报由督导人员生成和发布。")
        raise not_found()


def _published(report: Report) -> DomainError:
    return DomainError("report_published", f"{report}已于发布时定稿，不能再修改。", status=409)


def _target(kind: str, period_key: str, region_code: str, by) -> tuple[Period, Region]:
    """The period and region of a report of `kind`, once `by` may write it there."""
    if kind not in PERIOD_KINDS:
        raise DomainError(
            "invalid_kind", "报告类型应为 weekly（周调度表）、monthly（月通报）或 quarterly（季考评）。"
        )
    period = parse_period(period_key)
    if period.kind != PERIOD_KINDS[kind]:
        raise DomainError("period_kind_mismatch", f"{Report.Kind(kind).label}的期间应为{KIND_WORDS[kind]}。")
    region = Region.objects.filter(code=str(region_code)).first()
    if region is None:
        raise not_found()
    _check_writer(by, region)
    return period, region


def _draft(kind: str, period: Period, region: Region, defaults: dict) -> tuple[Report, bool]:
    """The report of `kind` for the period and region, locked, made if missing; a published one is final."""
    report, created = Report.objects.select_for_update().get_or_create(
        kind=kind, period=period.key, region=region, defaults=defaults
    )
    if report.published:
        raise _published(report)
    return report, created


def generate(kind: str, period_key: str, region_code: str, *, by, now=None) -> Report:
    """Build (or rebuild) the draft of `kind` for the period and region, with its files, now."""
    period, region = _target(kind, period_key, region_code, by)
    now = now or timezone.now()
    with reading_from_replica():  # the figures; the draft itself is written to the primary below
        document = BUILDERS[kind](region, period, now)
    with transaction.atomic():
        report, created = _draft(kind, period, region, {"created_by": by})
        report.document, report.generated_at, report.created_by = document, now, by
        report.queued_at, report.queued_by, report.error = None, None, ""
        _write_files(report)
        record(actor_name(by), "report.generate", object_type="reports.report", object_id=str(report.pk),
               data={"kind": kind, "period": period.key, "region": region.code, "new": created})  # fmt: skip
    return report


def request_generation(kind: str, period_key: str, region_code: str, *, by, now=None) -> Report:
    """What the pages' 生成 and 重新生成 do: check what `generate` checks, then leave the draft to the
    worker (`build_draft`). A new report is listed at once, marked as being generated; asking again
    while it waits queues nothing more."""
    period, region = _target(kind, period_key, region_code, by)
    now = now or timezone.now()
    with transaction.atomic():
        report, _ = _draft(kind, period, region, {"created_by": by, "generated_at": now})
        if report.generating:
            return report
        report.queued_at, report.queued_by, report.error = now, by, ""
        report.save(update_fields=["queued_at", "queued_by", "error"])
        record(actor_name(by), "report.request", object_type="reports.report", object_id=str(report.pk),
               data={"kind": kind, "period": period.key, "region": region.code})  # fmt: skip
        # The task queue is a table in the same database: the job is queued if and only if this commits.
        build_draft.enqueue(report.pk)
    return report


def not_ready(report: Report) -> DomainError:
    return DomainError("report_not_ready", f"{report}尚未生成完成，还没有文件，请稍后再试。", status=409)


def file_of(report: Report, ext: str):
    """The report's `.docx` or `.xlsx`, open for reading; a report not yet drawn has none."""
    if not report.ready:
        raise not_ready(report)
    return (report.docx if ext == "docx" else report.xlsx).open("rb")


def set_commentary(report: Report, text: str, *, by) -> Report:
    _check_writer(by, report.region)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.published:
            raise _published(report)
        if not report.ready:
            raise not_ready(report)
        report.commentary = text.strip()[:5000]
        _write_files(report)
        record(actor_name(by), "report.commentary", object_type="reports.report", object_id=str(report.pk),
               data={"length": len(report.commentary)})  # fmt: skip
    return report


def publish(report: Report, *, by, now=None) -> Report:
    _check_writer(by, report.region)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.published:
            raise _published(report)
        if report.generating:
            # Publishing now would freeze the old figures while the new ones are on their way.
            raise DomainError(
                "report_generating", f"{report}正在按最新数据生成，请生成完成后再发布。", status=409
            )
        if not report.ready:
            raise not_ready(report)
        report.status, report.published_at, report.published_by = (
            Report.Status.PUBLISHED,
            now or timezone.now(),
            by,
        )
        report.save(update_fields=["status", "published_at", "published_by"])
        record(actor_name(by), "report.publish", object_type="reports.report", object_id=str(report.pk),
               data={"kind": report.kind, "period": report.period, "region": report.region_id})  # fmt: skip
    return report


def _write_files(report: Report) -> None:
    """Draw both files from the document and the commentary, replacing the draft's old files."""
    old = [f.name for f in (report.docx, report.xlsx) if f and f.name]
    if report.pk is None:
        report.save()
    report.docx.save("report.docx", ContentFile(render_docx(report.document, report.commentary)), save=False)
    report.xlsx.save("report.xlsx", ContentFile(render_xlsx(report.document, report.commentary)), save=False)
    report.save()
    storage = report.docx.storage

    def remove_old() -> None:
        for name in old:
            if name:
                storage.delete(name)

    transaction.on_commit(remove_old)
