"""退单、延期、挂起: a unit asks, the one who may decide decides (DESIGN §3, §4)."""

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from pingan.accounts.models import User
from pingan.core.errors import DomainError, invalid, invalid_transition

from ..clocks import get_calendar
from ..models import Case, CaseRequest, Status
from .base import Change, transition
from .dispatch import restore_resolve_due


def _ask(c: Change, kind: str, reason: str, new_due: datetime | None = None) -> None:
    try:
        with transaction.atomic():
            req = CaseRequest.objects.create(
                case=c.case, kind=kind, reason=reason, new_due=new_due, requested_by=c.by, requested_at=c.now
            )
    except IntegrityError:
        raise DomainError("request_pending", "已有一项同类申请在审批中。", status=409) from None
    c.data = {"request": req.pk, "reason": reason, **({"new_due": new_due.isoformat()} if new_due else {})}


def _decide(c: Change, kind: str, approve: bool, note: str) -> CaseRequest:
    req = c.case.requests.filter(kind=kind, decision=CaseRequest.Decision.PENDING).first()
    if req is None:
        raise invalid_transition("没有待审批的申请。")
    req.decision = CaseRequest.Decision.APPROVED if approve else CaseRequest.Decision.DENIED
    req.decided_by = c.by
    req.decided_at = c.now
    req.note = note
    req.save()
    c.data = {"request": req.pk, "decision": "approve" if approve else "deny", "note": note}
    return req


def request_return(case: Case, *, by: User, reason: str, now: datetime | None = None) -> Case:
    """申请退单: the unit head says the case is not theirs."""
    with transition(case, "request_return", by=by, now=now) as c:
        _ask(c, CaseRequest.Kind.RETURN, reason)
    return c.case


def decide_return(
    case: Case, *, by: User, approve: bool, note: str = "", now: datetime | None = None
) -> Case:
    """审批退单: approved, the case goes back to the centre to dispatch again (and gets back the time a
    交办时限 had taken off its resolve clock); refused, the unit is designated and may not return it again."""
    with transition(case, "decide_return", by=by, now=now) as c:
        case = c.case
        _decide(c, CaseRequest.Kind.RETURN, approve, note)
        c.data["unit"] = case.lead_unit.code if case.lead_unit else None
        if approve:
            case.status = Status.ACCEPTED
            case.return_count += 1
            case.lead_unit = case.handler = None
            case.dispatched_at = case.signed_at = case.sign_due = None
            case.co_units.clear()
            restore_resolve_due(case)
        else:
            case.designated = True
    return c.case


def request_extension(
    case: Case, *, by: User, reason: str, new_due: datetime, now: datetime | None = None
) -> Case:
    """申请延期 to `new_due`, within the category's longest extension."""
    with transition(case, "request_extension", by=by, now=now) as c:
        due = c.case.resolve_due
        if due and new_due <= due:
            raise invalid({"new_due": "延期后的时限应晚于当前办理时限"})
        max_days = (c.case.resolve_limit or {}).get("max_extension_days")
        if max_days and due and (new_due - due).days >= max_days + 1:
            raise invalid({"new_due": f"本类事项最多延期 {max_days} 日"})
        _ask(c, CaseRequest.Kind.EXTENSION, reason, new_due)
    return c.case


def decide_extension(
    case: Case, *, by: User, approve: bool, note: str = "", now: datetime | None = None
) -> Case:
    """审批延期: approved, the resolve clock moves to the requested time."""
    with transition(case, "decide_extension", by=by, now=now) as c:
        req = _decide(c, CaseRequest.Kind.EXTENSION, approve, note)
        if approve:
            c.data.update(old_due=c.case.resolve_due, new_due=req.new_due)
            c.case.resolve_due = req.new_due
            c.case.extension_count += 1
            c.case.overdue_since = None
            c.case.escalation_level = 0
    return c.case


def request_suspension(case: Case, *, by: User, reason: str, now: datetime | None = None) -> Case:
    """申请挂起 (e.g. waiting for a court or an appraisal)."""
    with transition(case, "request_suspension", by=by, now=now) as c:
        _ask(c, CaseRequest.Kind.SUSPENSION, reason)
    return c.case


def decide_suspension(
    case: Case, *, by: User, approve: bool, note: str = "", now: datetime | None = None
) -> Case:
    """审批挂起, by a leader (a custodian for a tip): approved, the resolve clock pauses."""
    with transition(case, "decide_suspension", by=by, now=now) as c:
        _decide(c, CaseRequest.Kind.SUSPENSION, approve, note)
        if approve:
            c.case.status = Status.SUSPENDED
            c.case.suspended_at = c.now
    return c.case


def resume_case(case: Case, *, by: User, note: str = "", now: datetime | None = None) -> Case:
    """恢复办理: the resolve clock gets back the time that was left when the case was suspended."""
    with transition(case, "resume", by=by, now=now) as c:
        case = c.case
        data: dict[str, Any] = {"note": note, "suspended_at": case.suspended_at}
        if case.resolve_due and case.suspended_at:
            unit = (case.resolve_limit or {}).get("unit", "natural_days")
            case.resolve_due = get_calendar().shift_for_pause(
                case.resolve_due, case.suspended_at, c.now, unit
            )
            data["resolve_due"] = case.resolve_due
        case.status = Status.IN_PROGRESS
        case.suspended_at = None
        c.data = data
    return c.case
