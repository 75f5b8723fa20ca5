"""登记 and 受理: a new case, its corrections, and what the centre decides about it first."""

from datetime import datetime
from typing import Any

from django.db import OperationalError, transaction
from django.utils import timezone

from pingan.accounts.models import User
from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, forbidden, invalid
from pingan.core.validation import validate

from .. import events
from .. import schemas as s
from ..builder import People, build_from_intake, register, resolve_category, resolve_region
from ..clocks import LOCAL
from ..models import Case, Status, Stream
from ..rules import due_from, limit_snapshot, time_limit
from .base import transition

# Who may register which streams (DESIGN §3): the centre all of them, grid workers what they see in
# their grids, supervisors the rectifications they order.
CREATE_ROLES: dict[str, tuple[str, ...]] = {
    "dispatcher": tuple(Stream.values),
    "grid_worker": (Stream.GRID_EVENT, Stream.HAZARD, Stream.DISPUTE),
    "supervisor": (Stream.RECTIFICATION, Stream.HAZARD),
}


def create_case(
    by: User, payload: s.CaseIn | dict, *, channel: str | None = None, now: datetime | None = None
) -> Case:
    """Staff intake (登记): the form, the API and the grid worker's report."""
    data = payload if isinstance(payload, s.CaseIn) else validate(s.CaseIn, payload)
    scope = scope_of(by)
    roles = tuple(r for r, streams in CREATE_ROLES.items() if data.stream in streams and r in scope.roles)
    if not roles:
        raise forbidden("您没有登记此类事项的权限。")
    with transaction.atomic():
        case = build_from_intake(
            data,
            category=resolve_category(data.stream, data.category),
            region=resolve_region(data.region, by, roles),
            channel=channel or data.channel,
            reported_at=now or timezone.now(),
            reported_by=by,
        )
        people = People(
            reporter=data.reporter.model_dump() if data.reporter else None,
            parties=[p.model_dump() for p in data.parties],
        )
        register([case], by=by, people=[people], data=[{"channel": case.channel, "stream": case.stream}])
    return case


def update_case(case: Case, *, by: User, fields: dict[str, Any], now: datetime | None = None) -> Case:
    """修改登记信息: classify a case or correct its title, place or details before it is dispatched.
    `fields` are the given ones of UpdateIn (category and region as codes)."""
    with transition(case, "update", by=by, now=now) as c:
        case, changed, was = c.case, {}, {}
        fields = dict(fields)
        if "category" in fields:
            was["category"] = case.category.code if case.category else None
            case.category = resolve_category(case.stream, fields.pop("category"))
            changed["category"] = case.category.code if case.category else None
        if "region" in fields:
            was["region"] = case.region_id
            case.region = resolve_region(fields.pop("region"), by, ("dispatcher",))
            changed["region"] = case.region.code
        for name, value in fields.items():
            setattr(case, name, value)
            changed[name] = value
        # What the case was registered under: the rollups' rebuild replays its events from there.
        c.data = {"changed": changed, "was": was} if was else {"changed": changed}
    return c.case


def accept_case(case: Case, *, by: User, note: str = "", now: datetime | None = None) -> Case:
    """受理: the statutory handling period runs from here; a major hazard is listed for 挂牌督办 at once."""
    with transition(case, "accept", by=by, now=now) as c:
        case = c.case
        case.status = Status.ACCEPTED
        case.accepted_at = c.now
        case.resolve_limit = limit_snapshot(time_limit(case, "resolve", c.now.astimezone(LOCAL).date()))
        case.resolve_due = due_from(c.now, case.resolve_limit)
        c.data = {"note": note, "resolve_due": case.resolve_due}
        if case.stream == Stream.HAZARD and case.severity == Case.Severity.MAJOR:
            case.supervision_level = Case.Supervision.LISTED
            c.data["supervision"] = "listed"
    return c.case


def reject_case(
    case: Case, *, by: User, reason: str, channel_advice: str = "", now: datetime | None = None
) -> Case:
    """不予受理, telling the reporter the proper channel."""
    with transition(case, "reject", by=by, now=now) as c:
        c.case.status = Status.REJECTED
        c.case.closed_at = c.now
        c.data = {"reason": reason, "channel_advice": channel_advice}
    return c.case


def merge_case(case: Case, *, by: User, into: str, reason: str = "", now: datetime | None = None) -> Case:
    """合并 a duplicate into an open case: both are locked, and both get their event."""
    with transition(case, "merge", by=by, now=now) as c:
        target = _merge_target(by, into, c.case)
        c.case.status = Status.MERGED
        c.case.merged_into = target
        c.case.closed_at = c.now
        c.case.related.add(target)
        events.write(target, "merged_in", by=by, at=c.now, data={"case": c.case.number, "reason": reason})
        c.data = {"into": target.number, "reason": reason}
    return c.case


def relate_case(case: Case, *, by: User, to: str, note: str = "", now: datetime | None = None) -> Case:
    """关联 two cases both ways (not one matter, but to be handled with each other in view); the other
    case records `related_in`. A pair already linked is refused, so the timeline holds each link once."""
    with transition(case, "relate", by=by, now=now) as c:
        other = _other_case(by, to)
        if other is None:
            raise invalid({"case": "关联的案件不存在"})
        if other.pk == c.case.pk:
            raise invalid({"case": "不能关联本案件自身"})
        if c.case.related.filter(pk=other.pk).exists():
            raise DomainError("already_related", f"本案件已与 {other.number} 关联。", status=409)
        c.case.related.add(other)
        events.write(other, "related_in", by=by, at=c.now, data={"case": c.case.number, "note": note})
        c.data = {"case": other.number, "note": note}
    return c.case


def _merge_target(by: User, number: str, case: Case) -> Case:
    target = _other_case(by, number)
    if target is None or target.pk == case.pk or not target.is_open:
        raise invalid({"into": "目标案件不存在、已结束或就是本案件"})
    return target


def _other_case(by: User, number: str) -> Case | None:
    """The other case of a merge or a link, locked without waiting: two opposite merges at once must
    not deadlock, the second is told to retry."""
    try:
        return (
            Case.objects.visible_to(by)
            .select_for_update(of=("self",), nowait=True)
            .filter(number=number)
            .first()
        )
    except OperationalError:
        raise DomainError("case_busy", "目标案件正在被他人处理，请稍后重试。", status=409) from None


def withdraw_case(case: Case, *, by: User, reason: str, now: datetime | None = None) -> Case:
    """撤回 at the reporter's request."""
    with transition(case, "withdraw", by=by, now=now) as c:
        c.case.status = Status.WITHDRAWN
        c.case.closed_at = c.now
        c.data = {"reason": reason}
    return c.case


def answer_case(
    case: Case,
    *,
    by: User,
    summary: str,
    outcome: str = Case.Outcome.EXPLAINED,
    now: datetime | None = None,
) -> Case:
    """当场答复: answered on the spot (咨询, 就地化解) and closed without dispatch."""
    with transition(case, "answer", by=by, now=now) as c:
        c.case.status = Status.CLOSED
        c.case.closed_at = c.case.resolved_at = c.now
        c.case.outcome = outcome
        c.case.outcome_summary = summary
        c.data = {"summary": summary, "outcome": outcome}
    return c.case
