"""Work lists: the approvals inbox (审批事项). The 督办 list is pingan.supervision's page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .. import selectors
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
