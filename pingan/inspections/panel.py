"""The case page's panel for a hazard case found by an inspection: the place, the inspection and the
re-inspections, so that whoever takes the 核查 sees what the inspector found on site."""

from django.template.loader import render_to_string

from pingan.cases.models import Case

from . import selectors
from .models import Finding


def case_panel(request, case: Case) -> str:
    """The case is one the user may see (the case page found it through `visible_to`). The place's
    name and address are on the case already; the link to the place page is for those who read it."""
    if case.stream != "hazard":
        return ""
    finding = (
        Finding.objects.filter(case=case)
        .select_related("inspection__place__grade", "inspection__recorded_by")
        .first()
    )
    if finding is None:
        return ""
    rows = selectors.finding_rows(request.user, Finding.objects.filter(pk=finding.pk))
    place = finding.inspection.place
    return render_to_string(
        "inspections/_case_panel.html",
        {
            "f": rows[0],
            "place": place,
            "inspection": finding.inspection,
            "place_readable": selectors.may_read(request.user, place.region_id),
        },
        request=request,
    )
