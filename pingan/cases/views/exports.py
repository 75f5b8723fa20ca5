"""Ledger export: the ledger's filters in, an .xlsx file out (DESIGN §8: scoped and audited)."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..clocks import LOCAL
from ..exports import export_ledger
from .params import ledger_filter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@require_GET
def export(request):
    # A malformed filter raises the API's `invalid` error, which the error-page middleware shows as 400.
    f = ledger_filter(request.GET)
    ledger = export_ledger(request.user, f)
    day = timezone.now().astimezone(LOCAL).strftime("%Y%m%d")
    return FileResponse(ledger.file, as_attachment=True, filename=f"案件台账-{day}.xlsx", content_type=XLSX)
