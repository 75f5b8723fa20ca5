"""The staff home page (工作台): the counts each role works from, my recent cases, listed cases."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone

from pingan.accounts import policy
from pingan.accounts.models import RoleGrant
from pingan.accounts.scope import scope_of
from pingan.audit.views import desk as audit_desk

from .. import selectors
from ..clocks import LOCAL, missing_holiday_years
from ..models import Case, Status
from ..models.case import OPEN_STATUSES, due_soon_q, overdue_q
from .display import for_display

RECENT = 8
# The 督办 page (pingan.supervision) lists what the 挂牌督办 tile counts: its records in force are those
# of the open cases whose supervision_level is "listed", which the 督办 actions keep in step.
LISTED_OPEN = "/supervision/?level=listed"
ROW_FIELDS = ("number", "title", "status", "overdue", "accept_due", "sign_due", "resolve_due", "check_due")


@login_required
def home(request):
    if _audits_only(request.user):
        return audit_desk(request, grants=_grants(request.user))
    now = timezone.now()
    visible = Case.objects.visible_to(request.user)
    counts = visible.aggregate(
        reported=Count("pk", filter=Q(status=Status.REPORTED)),
        to_sign=Count("pk", filter=Q(status=Status.DISPATCHED)),
        due_soon=Count("pk", filter=due_soon_q(now)),
        overdue=Count("pk", filter=overdue_q(now)),
        to_check=Count("pk", filter=Q(status=Status.RESOLVED)),
        listed=Count("pk", filter=Q(supervision_level="listed", status__in=OPEN_STATUSES)),
    )
    counts["to_decide"] = selectors.decidable_requests(request.user).count()
    roles = scope_of(request.user).roles
    mine = visible.filter(Q(reported_by=request.user) | Q(handler=request.user))
    listed = visible.filter(supervision_level="listed", status__in=OPEN_STATUSES)
    return render(
        request,
        "pingan/home.html",
        {
            "counts": counts,
            "tiles": _tiles(counts, roles),
            "recent": _rows(mine, RECENT),
            "listed": _rows(listed, RECENT),
            "missing_years": missing_holiday_years() if "admin" in roles else [],
            "tips_hidden": policy.confidential_hidden(scope_of(request.user)),
            "listed_link": LISTED_OPEN,
            "grants": _grants(request.user),
            "baoan": selectors.leader_desk(request.user, now.astimezone(LOCAL).date()),
        },
    )


def _audits_only(user) -> bool:
    """An auditor with no role that reads cases: his desk is the audit log's, not an empty ledger."""
    roles = scope_of(user).roles
    return "auditor" in roles and not roles & policy.CASE_ROLES


def _grants(user):
    return RoleGrant.objects.filter(user=user).select_related("region", "unit")


def _rows(qs, n: int) -> list[dict]:
    rows = list(selectors.with_overdue(qs).order_by("-id").values(*ROW_FIELDS)[:n])
    return for_display(rows)


def _tiles(counts: dict, roles: set[str]) -> list[dict]:
    """The counts a role works from, each linking to the ledger (or inbox) that lists them."""
    tiles = []

    def add(key, label, link, css="", *, for_roles=()):
        if not for_roles or roles.intersection(for_roles):
            tiles.append({"count": counts[key], "label": label, "link": link, "css": css})

    add("reported", "待受理", "/cases/?status=reported", for_roles=("dispatcher",))
    add("to_sign", "待签收", "/cases/?status=dispatched", for_roles=("handler", "unit_head", "dispatcher"))
    add("due_soon", "即将超期", "/cases/?due_soon=true", "soon")
    add("overdue", "已超期", "/cases/?overdue=true", "alert")
    add("to_check", "待核查", "/cases/?status=resolved", for_roles=("dispatcher", "supervisor", "leader"))
    add("to_decide", "待审批", "/cases/inbox/", for_roles=("unit_head", "dispatcher", "leader", "custodian"))
    add("listed", "挂牌督办", LISTED_OPEN, "alert")
    return tiles
