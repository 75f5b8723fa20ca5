"""A case document as a Word file, for those who may see the case."""

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse

from pingan.accounts.scope import scope_of
from pingan.cases import selectors

from .content import KINDS, build
from .render import render_docx

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
def case_document(request, number: str, kind: str):
    if kind not in KINDS:
        raise Http404
    case = selectors.find_case(request.user, number)  # 404 for a case the user may not see
    document = build(kind, case, scope_of(request.user))
    response = HttpResponse(render_docx(document), content_type=DOCX)
    filename = f"{case.number}-{KINDS[kind]}.docx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "private, no-store"
    return response
