"""The 督办 panel of the case page: the 督办 in force and the progress reports filed on the case."""

from django.template.loader import render_to_string
from django.utils import timezone

from pingan.cases.models import Case

from .models import ProgressReport, Supervision
from .selectors import late_q, name_of


def case_panel(request, case: Case) -> str:
    """The case is one the user may see (the case page found it through `visible_to`)."""
    now = timezone.now()
    current = (
        Supervision.objects.filter(case=case, lifted_at__isnull=True).select_related("issued_by").first()
    )
    reports = list(
        ProgressReport.objects.filter(supervision__case=case).select_related("work_record__author")
    )
    if current is None and not reports:
        return ""
    late = current is not None and Supervision.objects.filter(late_q(now), pk=current.pk).exists()
    return render_to_string(
        "supervision/_case_panel.html",
        {
            "s": current,
            "issuer": name_of(current.issued_by) if current else "",
            "late": late,
            "reports": [
                {
                    "at": r.filed_at,
                    "author": name_of(r.work_record.author),
                    "text": r.work_record.content,
                    "on_time": r.on_time,
                }
                for r in reports
            ],
        },
        request=request,
    )
