"""消息: the signed-in user's notices, each leading to its case."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from pingan.core.validation import record_id

from . import inbox


@login_required
def notice_list(request):
    unread = request.GET.get("unread") == "1"
    before = request.GET.get("before", "")
    rows, next_before = inbox.page(request.user, unread=unread, before=record_id(before))
    return render(
        request,
        "notices/list.html",
        {"rows": [inbox.out(n) for n in rows], "next_before": next_before, "unread_only": unread},
    )


@login_required
@require_POST
def open_notice(request, pk: int):
    """Marks the notice read and goes where it leads."""
    notice = inbox.notices_of(request.user).select_related("case").filter(pk=pk).first()
    if notice is None:
        raise Http404
    inbox.mark_read(request.user, ids=[notice.pk])
    return redirect(inbox.link_of(notice) or "notices:list")


@login_required
@require_POST
def read_all(request):
    inbox.mark_read(request.user, everything=True)
    return redirect("notices:list")
