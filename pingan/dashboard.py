"""What the dashboards show of the apps above the case core: the units and regions under accountability
(GOVERNANCE §3, "a listed unit or region shows on every dashboard in scope until lifted") and the
villages under 整治 as 重点整治地区 (GOVERNANCE §6), until delisted; and the open 研判预警.

A project-level context processor, since the home page lives in the cases app, which may not import
the ledger. It costs nothing on other pages: the query runs only on a dashboard, and only when its
template reads the rows."""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from pingan.accountability.access import may_read
from pingan.accountability.selectors import dashboard_entries
from pingan.accounts.scope import scope_of
from pingan.focusareas import access as focus_access
from pingan.focusareas.selectors import dashboard_areas, overdue
from pingan.surges import selectors as surge_selectors

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


def _on_dashboard(request) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "pingan_otp_pending", False):
        return False
    return request.path in {reverse(name) for name in DASHBOARDS}


def accountability(request):
    if not _on_dashboard(request):
        return {}
    return {"accountability_rows": SimpleLazyObject(lambda: _rows(request.user))}


def _focus_rows(user) -> list[dict]:
    scope = scope_of(user)
    page = reverse("focusareas:page")
    return [
        {
            "area": a,
            "overdue": overdue(a),
            "link": f"{page}#area-{a.pk}" if focus_access.may_read(scope, a.region_id) else "",
        }
        for a in dashboard_areas(user)
    ]


def focus_areas(request):
    if not _on_dashboard(request):
        return {}
    return {"focus_area_rows": SimpleLazyObject(lambda: _focus_rows(request.user))}


def _surge_rows(user) -> list[dict]:
    return [{"alert": a, "text": surge_selectors.describe(a)} for a in surge_selectors.dashboard_alerts(user)]


def surges(request):
    """The open 研判预警 of the reader's scope (dispatchers, supervisors, leaders)."""
    if not _on_dashboard(request):
        return {}
    return {"surge_rows": SimpleLazyObject(lambda: _surge_rows(request.user))}
