"""The hints on the registration and dispatch forms: a few buttons that fill the field when clicked."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from pingan.cases import selectors as cases
from pingan.cases.models import Stream
from pingan.cases.views.intake import chosen_region

from .schemas import SuggestIn
from .selectors import suggest, units_for_dispatch


@login_required
@require_POST
def intake_hint(request):
    """Asked again as the title, description or stream change. A half-typed form is not an error: what
    does not fit is cut or left out, and an empty title asks for nothing."""
    title = request.POST.get("title", "").strip()[:200]
    rows = []
    if title:
        stream = request.POST.get("stream", "")
        query = SuggestIn(
            title=title,
            description=request.POST.get("description", "").strip()[:5000],
            stream=stream if stream in Stream.values else None,
            region=chosen_region(request.POST.getlist("region")),
        )
        rows = suggest(request.user, query).category
    chosen = request.POST.get("category", "")
    return render(
        request,
        "suggest/_hint.html",
        {"label": "建议分类", "rows": rows, "target": "i-category", "chosen": chosen},
    )


@login_required
@require_GET
def dispatch_hint(request, number: str):
    case = cases.find_case(request.user, number)  # 404 outside the user's scope
    rows = units_for_dispatch(request.user, case)
    return render(
        request,
        "suggest/_hint.html",
        {"label": "建议牵头单位", "rows": rows, "target": "dispatch-lead_unit", "chosen": ""},
    )
