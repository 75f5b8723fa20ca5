"""What every staff page needs: the navigation for the user's roles and the unread notice count.

A project-level module: it knows the pages of every app, which no app may (STYLE: core imports none)."""

from typing import Any

from django.urls import reverse

from pingan.accounts.policy import CASE_ROLES
from pingan.accounts.scope import scope_of
from pingan.notices.inbox import unread_count

# (label, url name, roles that see it; empty = everyone signed in)
NAVIGATION = (
    ("工作台", "home", ()),
    ("领导驾驶舱", "cockpit:page", ("leader", "supervisor")),
    ("案件台账", "cases:ledger", CASE_ROLES),
    ("登记案件", "cases:new", ("dispatcher", "supervisor")),
    ("网格上报", "cases:grid", ("grid_worker",)),
    ("审批事项", "cases:inbox", ("unit_head", "dispatcher", "leader", "custodian")),
    ("督办案件", "supervision:list", ("leader", "supervisor", "dispatcher", "unit_head", "handler")),
    ("批量补录", "cases:import", ("dispatcher",)),
    ("调度通报", "reports:list", ("leader", "supervisor")),
    ("统计数据", "statistics:page", ("leader", "supervisor")),
    ("问责台账", "accountability:list", ("leader", "supervisor")),
    ("重点地区", "focusareas:page", ("leader", "supervisor")),
    ("研判预警", "surges:page", ("leader", "supervisor", "dispatcher")),
    ("专项整治", "campaigns:list", ("leader", "supervisor", "dispatcher", "unit_head", "handler")),
    ("排查月报", "screening:page", ("leader", "supervisor", "dispatcher", "grid_worker")),
    (
        "隐患排查",
        "inspections:list",
        ("leader", "supervisor", "dispatcher", "grid_worker", "handler", "unit_head"),
    ),
    ("平安创建", "creation:overview", ("leader", "supervisor", "dispatcher", "handler", "unit_head")),
    ("审计日志", "audit:log", ("auditor",)),
)


# A role whose day's work is one page finds that page first in the menu (the first tab on a phone):
# the grid worker reports from the street.
LEADS_WITH = {"grid_worker": "cases:grid"}


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if getattr(request, "pingan_otp_pending", False):
        # Signed in with the password only: nothing to offer until the code is entered.
        return {"otp_pending": True}
    roles = scope_of(user).roles
    items: list[dict[str, Any]] = []
    for label, name, needs in NAVIGATION:
        if needs and not roles.intersection(needs):
            continue
        items.append({"label": label, "url": reverse(name), "current": False})
    leading = {reverse(name) for role, name in LEADS_WITH.items() if role in roles}
    items.sort(key=lambda i: i["url"] not in leading)  # stable: the rest keep their order
    # The current item is the longest menu URL the path falls under (/cases/grid/ is not the ledger).
    matches = [
        i
        for i in items
        if request.path == i["url"] or (i["url"] != "/" and request.path.startswith(i["url"]))
    ]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["current"] = True
    return {"nav_items": items, "user_roles": roles, "unread_notices": unread_count(user)}
