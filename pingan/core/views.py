"""The small staff landing page until the full web UI arrives: who am I, what is on my desk."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone

from pingan.accounts.models import RoleGrant
from pingan.cases.clocks import missing_holiday_years
from pingan.cases.models import Case, Status
from pingan.cases.models.case import OPEN_STATUSES, overdue_q


@login_required
def home(request):
    visible = Case.objects.visible_to(request.user)
    counts = visible.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        reported=Count("pk", filter=Q(status=Status.REPORTED)),
        to_sign=Count("pk", filter=Q(status=Status.DISPATCHED)),
        in_progress=Count("pk", filter=Q(status=Status.IN_PROGRESS)),
        to_check=Count("pk", filter=Q(status=Status.RESOLVED)),
        overdue=Count("pk", filter=overdue_q(timezone.now())),
        listed=Count("pk", filter=Q(supervision_level="listed", status__in=OPEN_STATUSES)),
    )
    grants = RoleGrant.objects.filter(user=request.user).select_related("region", "unit")
    return render(
        request,
        "pingan/home.html",
        {"counts": counts, "grants": grants, "missing_years": missing_holiday_years()},
    )
