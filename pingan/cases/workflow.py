"""The transition table (DESIGN §4): who may take which action from which states.

Pure data and checks; actions.py does the writing.
"""

from dataclasses import dataclass

from pingan.accounts.scope import Scope

from .models import Case, Status, Stream
from .models.case import OPEN_STATUSES

REGION_ROLES = {"dispatcher", "supervisor", "leader", "grid_worker", "custodian"}


@dataclass(frozen=True)
class Transition:
    label: str
    from_states: tuple[str, ...]
    roles: tuple[str, ...]
    # Unit roles act on the lead unit's cases; these actions also admit co-units.
    co_units_too: bool = False


S = Status
TRANSITIONS: dict[str, Transition] = {
    "update": Transition("修改登记信息", (S.REPORTED, S.ACCEPTED), ("dispatcher",)),
    "accept": Transition("受理", (S.REPORTED,), ("dispatcher",)),
    "reject": Transition("不予受理", (S.REPORTED,), ("dispatcher",)),
    "merge": Transition("合并", (S.REPORTED, S.ACCEPTED), ("dispatcher",)),
    "withdraw": Transition("撤回", OPEN_STATUSES, ("dispatcher",)),
    "answer": Transition("当场答复", (S.ACCEPTED,), ("dispatcher",)),
    "dispatch": Transition("分派", (S.ACCEPTED,), ("dispatcher",)),
    "sign": Transition("签收", (S.DISPATCHED,), ("handler",)),
    "request_return": Transition("申请退单", (S.DISPATCHED, S.IN_PROGRESS), ("unit_head",)),
    "decide_return": Transition("审批退单", (S.DISPATCHED, S.IN_PROGRESS), ("dispatcher",)),
    "request_extension": Transition("申请延期", (S.DISPATCHED, S.IN_PROGRESS), ("handler",)),
    "decide_extension": Transition("审批延期", (S.DISPATCHED, S.IN_PROGRESS), ("unit_head", "dispatcher")),
    "request_suspension": Transition("申请挂起", (S.IN_PROGRESS,), ("dispatcher", "handler")),
    "decide_suspension": Transition("审批挂起", (S.IN_PROGRESS,), ("leader",)),
    "resume": Transition("恢复办理", (S.SUSPENDED,), ("dispatcher", "leader")),
    "record_work": Transition("记录工作", (S.DISPATCHED, S.IN_PROGRESS), ("handler",), co_units_too=True),
    "resolve": Transition("办结反馈", (S.IN_PROGRESS,), ("handler",)),
    "check_pass": Transition("核查通过", (S.RESOLVED,), ("supervisor", "dispatcher")),
    "check_fail": Transition("核查不通过", (S.RESOLVED,), ("supervisor", "dispatcher")),
    "follow_up": Transition("回访", (S.CLOSED,), ("dispatcher",)),
    "reopen": Transition("重新办理", (S.CLOSED,), ("dispatcher", "leader")),
    "archive": Transition("归档", (S.CLOSED,), ("dispatcher",)),
    "supervise": Transition("督办", OPEN_STATUSES, ("leader", "supervisor")),
    "reply": Transition(
        "答复群众", (*OPEN_STATUSES, S.CLOSED, S.REJECTED, S.WITHDRAWN, S.MERGED), ("dispatcher", "handler")
    ),
    "exclude": Transition("设置回避", OPEN_STATUSES, ("dispatcher", "custodian")),
}


def holds_role_for(scope: Scope, case: Case, role: str, co_units_too: bool = False) -> bool:
    """Region roles act where their region covers the case; unit roles only on their unit's cases
    (co-units see a case but may only record work on it)."""
    if role in REGION_ROLES:
        return scope.covers_region(role, case.region_id)
    if scope.covers_unit(role, case.lead_unit_id):
        return True
    if co_units_too:
        ids = scope.unit_ids.get(role, frozenset())
        return any(u.pk in ids for u in case.co_units.all())
    return False


def may_take(scope: Scope, case: Case, action: str) -> bool:
    t = TRANSITIONS[action]
    return any(holds_role_for(scope, case, role, t.co_units_too) for role in t.roles)


# Requests come in pairs: one may be asked while none is pending, and decided while one is.
REQUEST_KINDS = {"return", "extension", "suspension"}


def pending_kinds(case: Case) -> set[str]:
    return {r.kind for r in case.requests.all() if r.decision == "pending"}


def is_legal(case: Case, action: str) -> bool:
    t = TRANSITIONS[action]
    if case.status not in t.from_states:
        return False
    if action == "request_return" and case.designated:
        return False
    if case.purged_at is not None and action != "archive":
        return False  # a tombstone: its people and files are gone, nothing is left to work on
    if action == "reply" and not case.has_receipt:
        return False  # only a reporter holding a receipt can read a reply
    if action == "exclude" and case.stream != Stream.TIP:
        return False
    verb, _, kind = action.partition("_")
    if kind in REQUEST_KINDS and verb in ("request", "decide"):
        return (kind in pending_kinds(case)) == (verb == "decide")
    return True


def allowed_actions(scope: Scope, case: Case) -> list[str]:
    return [a for a in TRANSITIONS if is_legal(case, a) and may_take(scope, case, a)]


def may_reveal(scope: Scope, case: Case, field: str) -> bool:
    """Dispatchers, the lead unit's handlers (never for tips) and custodians (DESIGN §4, §8)."""
    if scope.covers_region("custodian", case.region_id):
        return True
    if case.stream == "tip":
        # The identity of a tip's reporter is for custodians only.
        return not field.startswith("reporter.") and scope.covers_region("dispatcher", case.region_id)
    return scope.covers_region("dispatcher", case.region_id) or scope.covers_unit(
        "handler", case.lead_unit_id
    )
