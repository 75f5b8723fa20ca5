"""The case page's list of printable documents: those the case has (a 督办通知单 only while a 督办 is
in force, a 调解协议书 only once an agreement is signed)."""

from django.template.loader import render_to_string
from django.urls import reverse

from pingan.cases.models import Agreement, Case
from pingan.supervision.models import Supervision

from .content import KINDS


def case_panel(request, case: Case) -> str:
    """The case is one the user may see (the case page found it through `visible_to`)."""
    kinds = ["register", "assignment"]
    if Supervision.objects.filter(case=case, lifted_at__isnull=True).exists():
        kinds.append("supervision")
    if Agreement.objects.filter(case=case).exists():
        kinds.append("agreement")
    kinds.append("follow_up")
    links = [
        {"label": KINDS[k], "url": reverse("documents:docx", kwargs={"number": case.number, "kind": k})}
        for k in kinds
    ]
    return render_to_string("documents/_case_panel.html", {"links": links}, request=request)
