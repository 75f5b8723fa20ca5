"""Checking the chain off the request path, and keeping the result for the 审计日志 page.

Walking 150,000 entries takes about 10 s, too long for a page: the page's button queues `run_check`
for the task worker (`pingan worker`), and `pingan audit verify` (run by hand or by cron) stores its
result the same way. The page shows the latest finished run and whether one is on its way.
"""

from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django_tasks import task

from .labels import action_label
from .log import ChainCheck, check_chain
from .models import AuditEntry, AuditHead, ChainVerification

# A run queued or started longer ago than this is taken as lost (no worker, a crash): a new one may start.
STALE_AFTER = timedelta(minutes=30)
State = ChainVerification.State


def latest() -> ChainVerification | None:
    """The last run that finished, whatever it found."""
    return ChainVerification.objects.filter(state__in=(State.DONE, State.FAILED)).first()


def pending(now=None) -> ChainVerification | None:
    """A run queued or running, asked for recently enough to be still on its way."""
    since = (now or timezone.now()) - STALE_AFTER
    return ChainVerification.objects.filter(
        state__in=(State.QUEUED, State.RUNNING), requested_at__gte=since
    ).first()


def request_check(requested_by: str) -> tuple[ChainVerification, bool]:
    """Queue a check unless one is already on its way; returns (the run, whether it is new). Two
    clicks at the same moment may both queue one: harmless, each checks the whole chain."""
    with transaction.atomic():
        current = pending()
        if current is not None:
            return current, False
        run = ChainVerification.objects.create(requested_by=requested_by)
        run_check.enqueue(run.pk)
    return run, True


@task()
def run_check(run_id: int) -> bool:
    """The worker's side of `request_check`; returns whether the chain is intact."""
    run = ChainVerification.objects.filter(pk=run_id, state=State.QUEUED).first()
    if run is None:
        return False
    return perform(run).intact


def perform(
    run: ChainVerification, progress: Callable[[int, int], None] | None = None, every: int = 100_000
) -> ChainCheck:
    """Run the check for `run` and store what it found (or that it failed)."""
    run.state, run.started_at = State.RUNNING, timezone.now()
    run.save(update_fields=["state", "started_at"])
    try:
        result = check_chain(progress=progress, every=every)
    except Exception as exc:
        run.state, run.finished_at, run.error = State.FAILED, timezone.now(), str(exc)[:300]
        run.save(update_fields=["state", "finished_at", "error"])
        raise
    run.state, run.finished_at = State.DONE, timezone.now()
    run.checked, run.total, run.intact = result.checked, result.total, result.intact
    run.first_bad_id = result.first_bad.pk if result.first_bad is not None else None
    run.truncated = result.truncated
    run.findings = result.findings()
    run.save()
    return result


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _finding(run: ChainVerification) -> tuple[str, str]:
    """(state, sentence) of a finished run: "ok", "broken" or "failed"."""
    if run.state == State.FAILED:
        return "failed", f"审计链校验未能完成（{_when(run.finished_at)}）：{run.error}"
    if run.intact:
        return "ok", f"审计链校验：正常，已校验 {run.checked:,} 条，{_when(run.finished_at)}"
    broken = run.findings.get("broken", {})
    short = run.findings.get("short", [])
    if run.first_bad_id is None:
        chains = f"链 {'、'.join(str(p) for p in short)} " if short else ""
        return "broken", (
            f"审计链校验：异常（{_when(run.finished_at)}）。{chains}末尾的记录可能已被删除"
            f"（链头共记 {run.total:,} 条，校验通过 {run.checked:,} 条）。"
        )
    entry = AuditEntry.objects.filter(pk=run.first_bad_id).first()
    which = (
        f"链 {entry.partition}，编号 {entry.pk}，{_when(entry.at)}，操作人 {entry.actor}，"
        f"操作 {action_label(entry.action)}"
        if entry is not None
        else f"编号 {run.first_bad_id}，已不存在"
    )
    others = f"另有 {len(broken) - 1} 条链也已断开。" if len(broken) > 1 else ""
    return "broken", (
        f"审计链校验：异常（{_when(run.finished_at)}）。记录（{which}）"
        f"在写入后被改动，或它前面的记录被删除。{others}"
    )


def chain_state() -> dict:
    """What the page and the auditor's desk show about the chain: `state` (none, ok, broken, failed),
    a sentence, a check on its way, and how many entries were written since an intact check."""
    run = latest()
    state, message = _finding(run) if run else ("none", "审计链尚未校验。")
    unchecked = 0
    if state == "ok" and run is not None:
        heads = AuditHead.objects.aggregate(n=Sum("count"))["n"] or 0
        unchecked = max(heads - run.checked, 0)
    on_way = pending()
    waiting = ""
    if on_way is not None:
        waiting = (
            f"{_when(on_way.started_at)} 开始的校验正在进行…"
            if on_way.state == State.RUNNING
            else f"{_when(on_way.requested_at)} 发起的校验已排队，等待后台任务程序（pingan worker）执行…"
        )
    return {"state": state, "message": message, "unchecked": unchecked, "waiting": waiting}
