"""The transition table (DESIGN §4): who may take which action, from which states, to which states.

Pure data and checks. Actions (actions/) do the writing; the event writer (events.py) checks every event
it writes, the demo's included, against the same table; who holds a role over a case is the policy's
question (pingan.accounts.policy).
"""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from pingan.accounts import policy
from pingan.accounts.scope import Scope

from .models import Agreement, Case, Status, Stream
from .models.case import OPEN_STATUSES

S = Status
STAY = ""  # in `to`: the action leaves the state as it is


@dataclass(frozen=True)
class Transition:
    label: str
    from_states: tuple[str, ...]
    roles: tuple[str, ...]
    to: tuple[str, ...] = (STAY,)  # the states it may lead to (several where a decision chooses)
    # Unit roles act on the lead unit's cases; these actions also admit co-units.
    co_units_too: bool = False


ENDED_WITH_REPORTER = (S.CLOSED, S.REJECTED, S.WITHDRAWN, S.MERGED)
# While the lead unit works on a case it owes progress reports on a 督办; the sweep marks missed ones.
REPORTING_STATUSES = (S.DISPATCHED, S.IN_PROGRESS, S.SUSPENDED)
# Where a case may hold a signed 调解协议 that is being carried out.
AGREED = (S.RESOLVED, S.CLOSED, S.ARCHIVED)
TRANSITIONS: dict[str, Transition] = {
    "update": Transition("修改登记信息", (S.REPORTED, S.ACCEPTED), ("dispatcher",)),
    "accept": Transition("受理", (S.REPORTED,), ("dispatcher",), (S.ACCEPTED,)),
    "reject": Transition("不予受理", (S.REPORTED,), ("dispatcher",), (S.REJECTED,)),
    "merge": Transition("合并", (S.REPORTED, S.ACCEPTED), ("dispatcher",), (S.MERGED,)),
    # 关联: two matters that are not one (the same dispute seen from two sides, a hazard and the dispute
    # it caused) are linked both ways; the other case records `related_in`.
    "relate": Transition("关联案件", OPEN_STATUSES, ("dispatcher",)),
    "withdraw": Transition("撤回", OPEN_STATUSES, ("dispatcher",), (S.WITHDRAWN,)),
    "answer": Transition("当场答复", (S.ACCEPTED,), ("dispatcher",), (S.CLOSED,)),
    "dispatch": Transition("分派", (S.ACCEPTED,), ("dispatcher",), (S.DISPATCHED,)),
    "sign": Transition("签收", (S.DISPATCHED,), ("handler",), (S.IN_PROGRESS,)),
    "request_return": Transition("申请退单", (S.DISPATCHED, S.IN_PROGRESS), ("unit_head",)),
    "decide_return": Transition(
        "审批退单", (S.DISPATCHED, S.IN_PROGRESS), ("dispatcher",), (S.ACCEPTED, STAY)
    ),
    "request_extension": Transition("申请延期", (S.DISPATCHED, S.IN_PROGRESS), ("handler",)),
    "decide_extension": Transition("审批延期", (S.DISPATCHED, S.IN_PROGRESS), ("unit_head", "dispatcher")),
    "request_suspension": Transition("申请挂起", (S.IN_PROGRESS,), ("dispatcher", "handler")),
    "decide_suspension": Transition("审批挂起", (S.IN_PROGRESS,), ("leader",), (S.SUSPENDED, STAY)),
    "resume": Transition("恢复办理", (S.SUSPENDED,), ("dispatcher", "leader"), (S.IN_PROGRESS,)),
    "record_work": Transition("记录工作", (S.DISPATCHED, S.IN_PROGRESS), ("handler",), co_units_too=True),
    "resolve": Transition("办结反馈", (S.IN_PROGRESS,), ("handler",), (S.RESOLVED,)),
    "check_pass": Transition("核查通过", (S.RESOLVED,), ("supervisor", "dispatcher"), (S.CLOSED,)),
    "check_fail": Transition("核查不通过", (S.RESOLVED,), ("supervisor", "dispatcher"), (S.IN_PROGRESS,)),
    "follow_up": Transition("回访", (S.CLOSED,), ("dispatcher",)),
    "reopen": Transition("重新办理", (S.CLOSED,), ("dispatcher", "leader"), (S.IN_PROGRESS,)),
    "archive": Transition("归档", (S.CLOSED,), ("dispatcher",), (S.ARCHIVED,)),
    # 督办 (GOVERNANCE §4): the records live in pingan.supervision, which registers these actions.
    "supervise": Transition("督办", OPEN_STATUSES, ("leader", "supervisor")),
    "lift_supervision": Transition("解除督办", OPEN_STATUSES, ("leader", "supervisor")),
    "report_progress": Transition("报告督办进展", REPORTING_STATUSES, ("handler",)),
    # 包案 and 积案 (GOVERNANCE §7). The leader's actions are his own: only the case's 包案 leader takes them
    # as a leader (may_take), the lead unit's handlers may also record a plan step done.
    "assign_leader": Transition("指定包案领导", OPEN_STATUSES, ("dispatcher", "supervisor")),
    "complete_plan_step": Transition(
        "完成包案步骤", (*OPEN_STATUSES, S.CLOSED), ("leader", "handler"), co_units_too=True
    ),
    "leader_sign_off": Transition("包案领导签字销号", (S.RESOLVED, S.CLOSED), ("leader",)),
    "mark_backlog": Transition("标记积案", OPEN_STATUSES, ("dispatcher", "supervisor")),
    # 调解协议 follow-through (GOVERNANCE §11): from the resolution on, also once archived (the deadline
    # may pass after the case is archived; what the parties then did is still recorded).
    "record_performance": Transition("登记履行情况", AGREED, ("handler", "dispatcher")),
    "record_judicial_confirmation": Transition("登记司法确认", AGREED, ("handler", "dispatcher")),
    "reply": Transition("答复群众", (*OPEN_STATUSES, *ENDED_WITH_REPORTER), ("dispatcher", "handler")),
    "exclude": Transition("设置回避", OPEN_STATUSES, ("dispatcher", "custodian")),
}

ANY = tuple(Status.values)
# Events that are not a user's action on the case page: what the system, the public and other writes
# record. The event writer checks them like the transitions (label, from states, to states).
SYSTEM_EVENTS: dict[str, Transition] = {
    "create": Transition("登记", ("",), (), (S.REPORTED,)),
    "import": Transition("补录", ("",), (), (S.REPORTED, S.CLOSED)),
    "attach": Transition("上传附件", OPEN_STATUSES, ()),
    "merged_in": Transition("并入案件", OPEN_STATUSES, ()),
    "related_in": Transition("被关联", ANY, ()),
    "overdue": Transition("超期", OPEN_STATUSES, ()),
    "escalate": Transition("超期升级", OPEN_STATUSES, ()),
    "progress_late": Transition("督办进展逾期未报", OPEN_STATUSES, ()),
    "public_message": Transition("群众留言", ANY, ()),
    "public_feedback": Transition("群众评价", (S.RESOLVED, S.CLOSED, S.ARCHIVED, S.REJECTED), ()),
    "purge": Transition("到期清除个人信息", ANY, ()),
    "performance_due_soon": Transition("调解协议履行期限将到", AGREED, ()),
    "performance_late": Transition("调解协议履行期限已过未登记履行情况", AGREED, ()),
}
EVENTS = {**TRANSITIONS, **SYSTEM_EVENTS}
EVENT_LABELS = {name: t.label for name, t in EVENTS.items()}


class IllegalEvent(ValueError):
    """An event the transition table does not allow: a bug in the code that tried to write it."""


def check_event(action: str, from_status: str, to_status: str) -> None:
    t = EVENTS.get(action)
    if t is None:
        raise IllegalEvent(f"unknown event {action!r}")
    if from_status not in t.from_states:
        raise IllegalEvent(f"{action} from {from_status!r}")
    if to_status not in t.to and not (STAY in t.to and to_status == from_status):
        raise IllegalEvent(f"{action} from {from_status!r} to {to_status!r}")


# Actions a leader takes only on the cases he himself is 包案 leader of.
OWN_LEADER_ACTIONS = ("complete_plan_step", "leader_sign_off")


def may_take(scope: Scope, case: Case, action: str, subject: policy.Subject | None = None) -> bool:
    t = TRANSITIONS[action]
    subject = subject or case.subject()
    roles = t.roles
    if action in OWN_LEADER_ACTIONS and scope.user_id != case.responsible_leader_id:
        roles = tuple(r for r in roles if r != "leader")
    return any(policy.holds(scope, role, subject, co_units_too=t.co_units_too) for role in roles)


def awaits_sign_off(case: Case) -> bool:
    """Under 包案 and not yet signed off by its leader: it may not be archived (GOVERNANCE §7)."""
    return case.responsible_leader_id is not None and case.leader_signed_off_at is None


def agreement_of(case: Case) -> Agreement | None:
    return getattr(case, "agreement", None)


def awaits_performance(case: Case, today: date | None = None) -> bool:
    """A 调解协议 whose deadline has not passed and whose 履行情况 is not recorded: it may not be archived
    yet (GOVERNANCE §11: the archive would hide a deadline nobody followed)."""
    a = agreement_of(case)
    return a is not None and a.performance_pending_on(today or timezone.localdate())


# Requests come in pairs: one may be asked while none is pending, and decided while one is.
REQUEST_KINDS = ("return", "extension", "suspension")


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
    if action in ("lift_supervision", "report_progress") and not case.supervision_level:
        return False
    if action in OWN_LEADER_ACTIONS and not awaits_sign_off(case):
        return False
    if action == "archive" and (awaits_sign_off(case) or awaits_performance(case)):
        return False
    if action in ("record_performance", "record_judicial_confirmation") and agreement_of(case) is None:
        return False
    if action == "mark_backlog" and case.backlog:
        return False
    verb, _, kind = action.partition("_")
    if kind in REQUEST_KINDS and verb in ("request", "decide"):
        return (kind in pending_kinds(case)) == (verb == "decide")
    return True


def allowed_actions(scope: Scope, case: Case) -> list[str]:
    subject = case.subject()
    return [a for a in TRANSITIONS if is_legal(case, a) and may_take(scope, case, a, subject)]


def may_reveal(scope: Scope, case: Case, field: str) -> bool:
    """A tip's reporter is a protected identity (DESIGN §4, §8); the policy says who reads what."""
    return policy.may_reveal(scope, case.subject(), identity=field.startswith("reporter."))


# Who looks for cases like one on file (相似案件): those who register, triage or oversee cases. The list
# holds only cases they can see anyway; the lead unit's staff work their case and are not asked to.
SIMILAR_ROLES = ("dispatcher", "supervisor", "leader", "grid_worker")


def may_look_for_similar(scope: Scope, case: Case) -> bool:
    subject = case.subject()
    return any(policy.holds(scope, role, subject) for role in SIMILAR_ROLES)


def may_attach(scope: Scope, case: Case) -> bool:
    """Who may add a file to an open case (DESIGN §4 `attach`): those who work on it, not those who only
    read it. Supervisors only while they check it; grid workers only on what they reported."""
    subject = case.subject()
    if any(policy.holds(scope, role, subject, co_units_too=True) for role in ("handler", "unit_head")):
        return True
    if policy.holds(scope, "dispatcher", subject):
        return True
    if case.status == Status.RESOLVED and policy.holds(scope, "supervisor", subject):
        return True
    return (
        "grid_worker" in scope.roles
        and case.reported_by_id == scope.user_id
        and policy.may_see(scope, subject)
    )
