"""Ledger export: the ledger's filters in, an .xlsx file out (DESIGN §8: scoped and audited), now or,
for a large one, from the worker through a progress page that htmx refreshes."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from pingan.cases.clocks import LOCAL
from pingan.cases.views.params import ledger_filter
from pingan.core.spreadsheet import XLSX

from . import jobs
from .models import ExportJob

LIST_SIZE = 20
# A job still queued after this long means no worker is taking jobs: the page says whom to ask.
STALLED = timedelta(minutes=2)


@login_required
@require_POST
def ledger_export(request):
    # A malformed filter raises the API's `invalid` error, which the error-page middleware shows as 400.
    f = ledger_filter(request.POST)
    result = jobs.export_or_queue(request.user, f)
    if isinstance(result, ExportJob):
        return redirect("exports:job", job_id=result.pk)
    return _xlsx(result.file, timezone.now())


@login_required
@require_GET
def job_page(request, job_id: int):
    job = jobs.job_of(request.user, job_id)
    context = {"job": progress(job, timezone.now())}
    if request.headers.get("HX-Request"):
        response = render(request, "exports/_job.html", context)
    else:
        response = render(request, "exports/job.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def download(request, job_id: int):
    job, file = jobs.open_download(request.user, job_id)
    return _xlsx(file, job.created_at)


@login_required
@require_GET
def my_exports(request):
    now = timezone.now()
    rows = ExportJob.objects.filter(requester=request.user)[:LIST_SIZE]
    return render(
        request,
        "exports/list.html",
        {"jobs": [progress(j, now) for j in rows], "threshold": f"{jobs.background_threshold():,}"},
    )


def progress(job: ExportJob, now) -> dict:
    """What the page says about a job: its state (an overdue one is expired), and the counts."""
    state = "expired" if jobs.is_expired(job, now) else job.status
    total = max(job.rows_total, job.rows_done)
    return {
        "pk": job.pk,
        "state": state,
        "label": ExportJob.Status(state).label,
        "polling": state in jobs.UNFINISHED,
        "stalled": state == ExportJob.Status.QUEUED and now - job.created_at > STALLED,
        "done": job.rows_done,
        "total": total,
        "done_text": f"{job.rows_done:,}",
        "total_text": f"{total:,}",
        "error": job.error,
        "created_at": job.created_at,
        "expires_at": job.expires_at,
    }


def _xlsx(file, when) -> FileResponse:
    day = when.astimezone(LOCAL).strftime("%Y%m%d")
    response = FileResponse(file, as_attachment=True, filename=f"案件台账-{day}.xlsx", content_type=XLSX)
    response["Cache-Control"] = "private, no-store"
    return response
