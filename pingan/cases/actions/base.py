"""What every workflow action shares: the lock, the checks in their order, the save and the event.

An action function (`accept_case`, `dispatch_case`…) opens a `transition`: it locks the case through
`visible_to` (404), checks that the user may take the action (403) and that it is legal now (409),
hands the locked case to the function body to change, then saves it and writes the event with its audit
entry in the same transaction. `now` is the moment the action happens: tests and the demo move in time
by passing it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from pingan.accounts.models import User
from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, forbidden, invalid, invalid_transition, not_found
from pingan.regions.models import Unit

from .. import events
from ..models import Case
from ..workflow import (
    OWN_LEADER_ACTIONS,
    TRANSITIONS,
    awaits_performance,
    awaits_sign_off,
    is_legal,
    may_take,
)


def lock_case(user: User, number: str) -> Case:
    """The case, locked for this transaction, if the user can see it; else 404."""
    case = (
        Case.objects.visible_to(user)
        .select_for_update(of=("self",))
        .select_related("category__parent")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise not_found()
    case._locked_in = connection.atomic_blocks[0]  # type: ignore[attr-defined]
    return case


def _locked(case: Case, user: User) -> Case:
    blocks = connection.atomic_blocks
    if blocks and getattr(case, "_locked_in", None) is blocks[0]:
        return case  # locked by this very transaction (perform() locks before it validates the fields)
    return lock_case(user, case.number)


def _illegal(case: Case, name: str) -> DomainError:
    label = TRANSITIONS[name].label
    if case.status in TRANSITIONS[name].from_states:
        if name == "request_return" and case.designated:
            return invalid_transition("该案件为指定承办，不能再申请退单。")
        if name.startswith("request_"):
            return DomainError("request_pending", "已有一项同类申请在审批中。", status=409)
        if name.startswith("decide_"):
            return invalid_transition("没有待审批的申请。")
        if name == "archive" and awaits_sign_off(case):
            return DomainError(
                "leader_sign_off_required",
                "该案件实行领导包案，须经包案领导签字销号后才能归档。",
                status=409,
            )
        if name == "archive" and awaits_performance(case):
            due = case.agreement.performance_due
            return DomainError(
                "performance_pending",
                f"调解协议的履行期限（{due:%Y-%m-%d}）未到，且尚未登记履行情况，暂不能归档。"
                "请先登记履行情况，或待履行期限届满后再归档。",
                status=409,
            )
        if name in ("record_performance", "record_judicial_confirmation"):
            return invalid_transition("该案件没有调解协议。")
        if name in OWN_LEADER_ACTIONS:
            if case.responsible_leader_id is None:
                return invalid_transition("该案件没有包案领导。")
            return invalid_transition("包案领导已签字销号。")
        if name == "mark_backlog" and case.backlog:
            return DomainError("already_backlog", "该案件已标记为积案。", status=409)
    return invalid_transition(f"案件当前状态为“{case.get_status_display()}”，不能执行“{label}”。")


def authorize(case: Case, user: User, name: str, *, version: Any = None) -> None:
    """Role (403), then version and state (409): the checks after scope, in DESIGN §4's order."""
    if not may_take(scope_of(user), case, name):
        raise forbidden(f"您无权对该案件执行“{TRANSITIONS[name].label}”。")
    if version is not None and version != case.version:
        raise DomainError(
            "version_conflict",
            "案件已被他人修改，请刷新后重试。",
            status=409,
            fields={"version": f"当前版本为 {case.version}"},
        )
    if not is_legal(case, name):
        raise _illegal(case, name)


@dataclass
class Change:
    """An action under way on a locked case: the function body changes `case` and fills `data`."""

    case: Case
    by: User
    now: datetime
    before: events.Before
    data: dict[str, Any] = field(default_factory=dict)


@contextmanager
def transition(case: Case, name: str, *, by: User, now: datetime | None = None) -> Iterator[Change]:
    with transaction.atomic():
        case = _locked(case, by)
        authorize(case, by, name)
        change = Change(case=case, by=by, now=now or timezone.now(), before=events.Before.of(case))
        yield change
        if case.status != change.before.status:
            # A new step starts with a clean escalation ladder.
            case.overdue_since = None
            case.escalation_level = 0
        case.version += 1
        case.save()
        events.write(case, name, by=by, at=change.now, before=change.before, data=change.data)


def active_unit(code: str, field_name: str) -> Unit:
    unit = Unit.objects.filter(code=code, active=True).first()
    if unit is None:
        raise invalid({field_name: f"单位代码 {code} 不存在或已停用"})
    return unit


def find_user(username: str, field_name: str) -> User:
    found = User.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise invalid({field_name: f"用户 {username} 不存在"})
    return found
