"""What the dashboards show of the apps above the case core: the units and regions under accountability
(GOVERNANCE §3, "a listed unit or region shows on every dashboard in scope until lifted").

A project-level context processor, since the home page lives in the cases app, which may not import
the ledger. It costs nothing on other pages: the query runs only on a dashboard, and only when its
template reads the rows."""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from pingan.accountability.access import may_read
from pingan.accountability.selectors import dashboard_entries
from pingan.accounts.scope import scope_of

DASHBOARDS = ("home", "cockpit:page")


def _rows(user) -> list[dict]:
    scope = scope_of(user)
    return [
        {
            "entry": e,
            "link": reverse("accountability:detail", args=[e.pk])
            if may_read(scope, e.subject_region)
            else "",
        }
        for e in dashboard_entries(user)
    ]


def accountability(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "pingan_otp_pending", False):
        return {}
    if request.path not in {reverse(name) for name in DASHBOARDS}:
        return {}
    return {"accountability_rows": SimpleLazyObject(lambda: _rows(user))}
