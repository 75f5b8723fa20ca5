"""Work lists: the approvals inbox (审批事项) and supervised cases (督办) with their progress reports."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from .. import selectors
from .display import for_display
from .forms import DECISION

INBOX_SHOWN = 200


@login_required
def inbox(request):
    decidable = selectors.decidable_requests(request.user)
    pending = decidable.select_related("case__region", "case__lead_unit", "requested_by").order_by(
        "requested_at", "id"
    )[:INBOX_SHOWN]
    context = {"pending": list(pending), "total": decidable.count(), "shown": INBOX_SHOWN, "fields": DECISION}
    return render(request, "cases/inbox.html", context)


@login_required
def supervised(request):
    """Open supervised cases in scope, listed first; a listed case owes a progress report every
    PINGAN_LISTED_REPORT_DAYS days, counted from the later of its last work record and its listing."""
    now = timezone.now()
    interval = timedelta(days=settings.PINGAN_LISTED_REPORT_DAYS)
    rows = for_display(selectors.supervised_cases(request.user))
    for r in rows:
        if r["supervision_level"] == "listed":
            since = max(
                d for d in (r["last_progress"], r["supervised_at"], r["reported_at"]) if d is not None
            )
            r["report_due"] = since + interval
            r["report_late"] = r["report_due"] < now
    return render(
        request,
        "cases/supervised.html",
        {"rows": rows, "interval_days": settings.PINGAN_LISTED_REPORT_DAYS},
    )
