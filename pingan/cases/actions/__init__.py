"""Every write to a case (DESIGN §9), one function per action, by stage:

- intake: create_case, update_case, accept_case, reject_case, merge_case, relate_case, withdraw_case,
  answer_case
- dispatch: dispatch_case, sign_case
- handling: record_work, resolve_case, add_attachment
- requests: request_return / decide_return, request_extension / decide_extension,
  request_suspension / decide_suspension, resume_case
- closure: check_pass, check_fail, follow_up, reopen_case, archive_case
- tips: exclude_from_tip
- replies: reply_to_reporter, file_report, rate_outcome, take_message
- leadership: assign_leader, complete_plan_step, leader_sign_off, mark_backlog, import_backlog (包案, 积案)
- mediation: record_performance, record_judicial_confirmation (调解协议的履行与司法确认)

`ACTIONS` maps each name of the transition table to its function for the HTTP layer; `perform` is
that layer's door: scope (404) → role (403) → version and state (409) → fields (400) → the action.
An app above cases (督办: pingan.supervision) adds the functions of its rows of the transition table with
`register` from its AppConfig.ready(), since cases may not import it; tests/test_layers.py checks that
every row has its function once the apps are loaded.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from pydantic import BaseModel

from pingan.accounts.models import User
from pingan.accounts.scope import scope_of
from pingan.audit.log import record
from pingan.core.errors import DomainError, forbidden, invalid, not_found
from pingan.core.validation import record_id, validate

from .. import schemas as s
from ..models import Case, Party, Reporter
from ..tips import refusals_noted
from ..workflow import TRANSITIONS, may_reveal
from .base import active_unit, authorize, find_user, lock_case
from .closure import archive_case, check_fail, check_pass, follow_up, reopen_case
from .dispatch import dispatch_case, sign_case
from .handling import add_attachment, record_work, resolve_case
from .intake import (
    CREATE_ROLES,
    accept_case,
    answer_case,
    create_case,
    merge_case,
    reject_case,
    relate_case,
    update_case,
    withdraw_case,
)
from .leadership import (
    Step,
    assign_leader,
    complete_plan_step,
    import_backlog,
    leader_sign_off,
    mark_backlog,
)
from .mediation import record_judicial_confirmation, record_performance
from .replies import RATEABLE, PublicReport, file_report, rate_outcome, reply_to_reporter, take_message
from .requests import (
    decide_extension,
    decide_return,
    decide_suspension,
    request_extension,
    request_return,
    request_suspension,
    resume_case,
)
from .tips import exclude_from_tip


@dataclass(frozen=True)
class Action:
    schema: type[BaseModel]
    # (locked case, acting user, validated fields, now) → the case after the action
    run: Callable[[Case, User, Any, datetime | None], Case]


def _approve(p: s.DecisionIn) -> bool:
    return p.decision == "approve"


def _excluded_users(names: list[str]) -> list[User]:
    found = {u.username: u for u in User.objects.filter(username__in=names)}
    missing = [n for n in names if n not in found]
    if missing:
        raise invalid({"users": f"用户 {missing[0]} 不存在"})
    return [found[n] for n in dict.fromkeys(names)]


ACTIONS: dict[str, Action] = {
    "update": Action(
        s.UpdateIn,
        lambda c, by, p, now: update_case(
            c, by=by, fields=p.model_dump(exclude_unset=True, exclude={"version"}), now=now
        ),
    ),
    "accept": Action(s.NoteIn, lambda c, by, p, now: accept_case(c, by=by, note=p.note, now=now)),
    "reject": Action(
        s.RejectIn,
        lambda c, by, p, now: reject_case(
            c, by=by, reason=p.reason, channel_advice=p.channel_advice, now=now
        ),
    ),
    "merge": Action(
        s.MergeIn, lambda c, by, p, now: merge_case(c, by=by, into=p.into, reason=p.reason, now=now)
    ),
    "relate": Action(
        s.RelateIn, lambda c, by, p, now: relate_case(c, by=by, to=p.case, note=p.note, now=now)
    ),
    "withdraw": Action(s.ReasonIn, lambda c, by, p, now: withdraw_case(c, by=by, reason=p.reason, now=now)),
    "answer": Action(
        s.AnswerIn, lambda c, by, p, now: answer_case(c, by=by, summary=p.summary, outcome=p.outcome, now=now)
    ),
    "dispatch": Action(
        s.DispatchIn,
        lambda c, by, p, now: dispatch_case(
            c,
            by=by,
            lead_unit=active_unit(p.lead_unit, "lead_unit") if p.lead_unit else None,
            co_units=[active_unit(code, "co_units") for code in p.co_units],
            handler=find_user(p.handler, "handler") if p.handler else None,
            designated=p.designated,
            due=p.due,
            note=p.note,
            now=now,
        ),
    ),
    "sign": Action(s.NoteIn, lambda c, by, p, now: sign_case(c, by=by, note=p.note, now=now)),
    "request_return": Action(
        s.ReasonIn, lambda c, by, p, now: request_return(c, by=by, reason=p.reason, now=now)
    ),
    "decide_return": Action(
        s.DecisionIn, lambda c, by, p, now: decide_return(c, by=by, approve=_approve(p), note=p.note, now=now)
    ),
    "request_extension": Action(
        s.ExtensionIn,
        lambda c, by, p, now: request_extension(c, by=by, reason=p.reason, new_due=p.new_due, now=now),
    ),
    "decide_extension": Action(
        s.DecisionIn,
        lambda c, by, p, now: decide_extension(c, by=by, approve=_approve(p), note=p.note, now=now),
    ),
    "request_suspension": Action(
        s.ReasonIn, lambda c, by, p, now: request_suspension(c, by=by, reason=p.reason, now=now)
    ),
    "decide_suspension": Action(
        s.DecisionIn,
        lambda c, by, p, now: decide_suspension(c, by=by, approve=_approve(p), note=p.note, now=now),
    ),
    "resume": Action(s.NoteIn, lambda c, by, p, now: resume_case(c, by=by, note=p.note, now=now)),
    "record_work": Action(
        s.WorkRecordIn,
        lambda c, by, p, now: record_work(
            c, by=by, kind=p.kind, content=p.content, happened_at=p.happened_at, now=now
        ),
    ),
    "resolve": Action(
        s.ResolveIn,
        lambda c, by, p, now: resolve_case(
            c,
            by=by,
            outcome=p.outcome,
            summary=p.summary,
            evidence=p.evidence,
            agreement=p.agreement.model_dump() if p.agreement else None,
            now=now,
        ),
    ),
    "check_pass": Action(s.NoteIn, lambda c, by, p, now: check_pass(c, by=by, note=p.note, now=now)),
    "check_fail": Action(s.ReasonIn, lambda c, by, p, now: check_fail(c, by=by, reason=p.reason, now=now)),
    "follow_up": Action(
        s.FollowUpIn,
        lambda c, by, p, now: follow_up(
            c, by=by, satisfaction=p.satisfaction, resolved=p.resolved, note=p.note, now=now
        ),
    ),
    "reopen": Action(s.ReasonIn, lambda c, by, p, now: reopen_case(c, by=by, reason=p.reason, now=now)),
    "archive": Action(s.NoteIn, lambda c, by, p, now: archive_case(c, by=by, note=p.note, now=now)),
    "reply": Action(s.ReplyIn, lambda c, by, p, now: reply_to_reporter(c, by=by, text=p.text, now=now)),
    "exclude": Action(
        s.ExcludeIn,
        lambda c, by, p, now: exclude_from_tip(
            c,
            by=by,
            units=[active_unit(code, "units") for code in p.units],
            users=_excluded_users(p.users),
            reason=p.reason,
            now=now,
        ),
    ),
    "assign_leader": Action(
        s.AssignLeaderIn,
        lambda c, by, p, now: assign_leader(
            c,
            by=by,
            leader=find_user(p.leader, "leader"),
            team_units=[active_unit(code, "team_units") for code in p.team_units],
            plan=[Step(text=x.step, due=x.due) for x in p.plan],
            now=now,
        ),
    ),
    "complete_plan_step": Action(
        s.PlanStepDoneIn,
        lambda c, by, p, now: complete_plan_step(c, by=by, step=p.step, note=p.note, now=now),
    ),
    "leader_sign_off": Action(
        s.SignOffIn, lambda c, by, p, now: leader_sign_off(c, by=by, note=p.note, now=now)
    ),
    "mark_backlog": Action(
        s.BacklogIn, lambda c, by, p, now: mark_backlog(c, by=by, source=p.source, note=p.note, now=now)
    ),
    "record_performance": Action(
        s.PerformanceIn,
        lambda c, by, p, now: record_performance(c, by=by, state=p.state, note=p.note, now=now),
    ),
    "record_judicial_confirmation": Action(
        s.JudicialConfirmationIn,
        lambda c, by, p, now: record_judicial_confirmation(
            c, by=by, applied_on=p.applied_on, court=p.court, result=p.result, result_on=p.result_on, now=now
        ),
    ),
}


def register(name: str, action: Action) -> None:
    """The function of a row of the transition table that an app above cases implements."""
    if name not in TRANSITIONS or name in ACTIONS:
        raise ValueError(f"{name!r} is not a transition, or already has its action")
    ACTIONS[name] = action


def perform(user: User, number: str, name: str, payload: dict, *, now: datetime | None = None) -> Case:
    """An action named by the HTTP layer, with its JSON payload."""
    action = ACTIONS.get(name)
    if action is None:
        raise DomainError("unknown_action", f"没有名为 {name} 的操作。", status=404)
    with refusals_noted(user, number), transaction.atomic():
        case = lock_case(user, number)
        authorize(case, user, name, version=_version(payload))
        return action.run(case, user, validate(action.schema, payload), now)


def _version(payload: Any) -> int | None:
    """The optimistic lock's version as the client sent it: a JSON number or a form's digits. Anything
    else is refused rather than skipped, so a "2" or a 2.0 still guards against a stale write."""
    value = payload.get("version") if isinstance(payload, dict) else None
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid({"version": "应为整数"})
    return value


def reveal(user: User, number: str, payload: dict) -> str:
    """One clear value for a stated reason; audited (DESIGN §8)."""
    data = validate(s.RevealIn, payload)
    with refusals_noted(user, number), transaction.atomic():
        case = Case.objects.visible_to(user).filter(number=number).first()
        if case is None:
            raise not_found()
        if not may_reveal(scope_of(user), case, data.field):
            raise forbidden("您无权查看该项个人信息。")
        value = _pii_value(case, data.field)
        record(
            user.username,
            "case.reveal",
            object_type="case",
            object_id=case.number,
            data={"field": data.field, "reason": data.reason},
        )
    return value


def _pii_value(case: Case, field: str) -> str:
    parts = field.split(".")
    if len(parts) == 2 and parts[0] == "reporter" and parts[1] in ("name", "phone", "address"):
        reporter = Reporter.objects.filter(case=case).first()
        return getattr(reporter, parts[1]) if reporter else ""
    if len(parts) == 3 and parts[0] == "parties" and parts[2] in ("name", "phone", "address", "id_number"):
        party_id = record_id(parts[1])
        party = Party.objects.filter(case=case, pk=party_id).first() if party_id else None
        if party is not None:
            return getattr(party, parts[2])
    raise invalid({"field": "没有这一项个人信息"})


__all__ = [
    "ACTIONS",
    "CREATE_ROLES",
    "RATEABLE",
    "Action",
    "PublicReport",
    "accept_case",
    "add_attachment",
    "answer_case",
    "archive_case",
    "assign_leader",
    "check_fail",
    "check_pass",
    "complete_plan_step",
    "create_case",
    "decide_extension",
    "decide_return",
    "decide_suspension",
    "dispatch_case",
    "exclude_from_tip",
    "file_report",
    "follow_up",
    "import_backlog",
    "leader_sign_off",
    "mark_backlog",
    "merge_case",
    "perform",
    "rate_outcome",
    "record_judicial_confirmation",
    "record_performance",
    "record_work",
    "register",
    "reject_case",
    "relate_case",
    "reopen_case",
    "reply_to_reporter",
    "request_extension",
    "request_return",
    "request_suspension",
    "resolve_case",
    "resume_case",
    "reveal",
    "sign_case",
    "take_message",
    "update_case",
    "withdraw_case",
]
