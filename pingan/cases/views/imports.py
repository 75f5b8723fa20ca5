"""批量补录: the page, its template download, and the upload that checks every row before importing."""

import tempfile
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, forbidden
from pingan.core.spreadsheet import XLSX
from pingan.core.workbook import ENVELOPE_BYTES

from ..imports import (
    MAX_BYTES,
    MAX_ROWS,
    RowsRejected,
    bad_file,
    check_rows,
    import_cases,
    read_sheet,
    template_workbook,
)


def _dispatcher_only(user) -> None:
    if "dispatcher" not in scope_of(user).roles:
        raise forbidden("批量补录仅限受理/分派员使用。")


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    _dispatcher_only(request.user)
    context: dict[str, Any] = {"max_rows": MAX_ROWS, "max_mb": MAX_BYTES // 1024 // 1024}
    if request.method == "GET":
        return render(request, "cases/import.html", context)
    try:
        # Refuse an oversized upload before Django reads it.
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BYTES + ENVELOPE_BYTES:
            raise bad_file(f"文件超过 {context['max_mb']} MB，请分批导入。")
        upload = request.FILES.get("file")
        if upload is None:
            raise bad_file("请选择要导入的 Excel 文件（.xlsx）。")
        context["file_name"] = upload.name
        rows = check_rows(request.user, read_sheet(upload, upload.size))
        cases = import_cases(request.user, rows, file_name=upload.name or "")
        context["imported"] = list(zip(rows, cases, strict=True))
    except RowsRejected as rejected:
        context["rejected"] = rejected
        return render(request, "cases/import.html", context, status=rejected.status)
    except DomainError as error:
        if error.status == 403:
            raise
        context["file_error"] = error
        return render(request, "cases/import.html", context, status=error.status)
    return render(request, "cases/import.html", context)


@login_required
@require_GET
def import_template(request):
    _dispatcher_only(request.user)
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  (closed by the response that sends it)
    template_workbook(request.user, out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename="案件补录模板.xlsx", content_type=XLSX)
