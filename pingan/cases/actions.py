"""Every write to a case goes through here (DESIGN §9).

Each action locks the row, checks scope (404) → role (403) → version and state (409) → fields (400),
writes the change, its CaseEvent and an audit entry in one transaction, and enqueues side effects on
commit.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic import BaseModel

from pingan.accounts.models import User
from pingan.accounts.scope import scope_of
from pingan.audit.log import record
from pingan.core.errors import DomainError, forbidden, invalid, invalid_transition, not_found
from pingan.core.validation import validate
from pingan.regions.models import Region, Unit

from . import schemas as s
from .clocks import LOCAL, get_calendar
from .models import (
    Agreement,
    Attachment,
    Case,
    CaseEvent,
    CaseRequest,
    CaseSerial,
    Category,
    FollowUp,
    Party,
    PublicMessage,
    Reporter,
    Status,
    Stream,
    TipExclusion,
    WorkRecord,
)
from .rules import due_from, limit_snapshot, step_due, suggest_lead_unit, time_limit
from .tasks import EVENT_NOTICES, notify_case_event
from .tips import excluded_units, is_excluded, touches
from .workflow import TRANSITIONS, is_legal, may_reveal, may_take

CREATE_ROLES: dict[str, tuple[str, ...]] = {
    "dispatcher": tuple(Stream.values),
    "grid_worker": (Stream.GRID_EVENT, Stream.HAZARD, Stream.DISPUTE),
    "supervisor": (Stream.RECTIFICATION, Stream.HAZARD),
}


def log_event(
    case: Case,
    actor: User | None,
    action: str,
    from_status: str,
    data: dict | None = None,
    *,
    actor_name: str | None = None,
) -> CaseEvent:
    """The CaseEvent and audit entry of a change, and its notice once committed."""
    name = actor.username if actor else (actor_name or "system")
    event = CaseEvent.objects.create(
        case=case, action=action, actor=name, from_status=from_status, to_status=case.status, data=data or {}
    )
    record(name, f"case.{action}", object_type="case", object_id=case.number, data=data or {})
    if action in EVENT_NOTICES:
        transaction.on_commit(lambda: notify_case_event.enqueue(event.pk))
    return event


# ---------------------------------------------------------------- creation


def reserve_numbers(county: str, year: int, count: int = 1) -> list[str]:
    """The next `count` case numbers of a county and year, never reused. The row lock serialises
    numbering per county and year until the cases are committed."""
    serial, _ = CaseSerial.objects.select_for_update().get_or_create(county=county, year=year)
    first = serial.last + 1
    serial.last += count
    serial.save(update_fields=["last"])
    return [f"PA-{county}-{year}-{n:06d}" for n in range(first, serial.last + 1)]


def resolve_category(stream: str, code: str | None, field: str = "category") -> Category | None:
    if not code:
        return None
    category = Category.objects.select_related("parent").filter(code=code, active=True).first()
    if category is None:
        raise invalid({field: f"分类代码 {code} 不存在"})
    if category.stream != stream:
        raise invalid({field: f"分类 {category.name} 不属于该业务类型"})
    return category


def resolve_region(code: str, user: User, roles: tuple[str, ...], field: str = "region") -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise invalid({field: f"区划代码 {code} 不存在"})
    scope = scope_of(user)
    if not any(scope.covers_region(r, code) for r in roles):
        raise invalid({field: "该区划不在您的管辖范围内"})
    return region


def build_case(
    data: s.CaseIn, user: User, *, category: Category | None, region: Region, reported_at, channel=None
) -> Case:
    """An unsaved case from checked intake data: the one field mapping, shared with the Excel import."""
    return Case(
        stream=data.stream,
        category=category,
        title=data.title,
        description=data.description,
        channel=channel or data.channel,
        region=region,
        address=data.address,
        lat=data.lat,
        lng=data.lng,
        occurred_at=data.occurred_at,
        reported_at=reported_at,
        severity=data.severity,
        people_involved=data.people_involved,
        is_group=data.is_group,
        reported_by=user,
    )


def create_case(user: User, payload: dict | BaseModel, *, channel: str | None = None) -> Case:
    data = payload if isinstance(payload, s.CaseIn) else validate(s.CaseIn, payload)
    scope = scope_of(user)
    roles = tuple(r for r, streams in CREATE_ROLES.items() if data.stream in streams and r in scope.roles)
    if not roles:
        raise forbidden("您没有登记此类事项的权限。")
    with transaction.atomic():
        category = resolve_category(data.stream, data.category)
        region = resolve_region(data.region, user, roles)
        now = timezone.now()
        case = build_case(data, user, category=category, region=region, reported_at=now, channel=channel)
        case.accept_due = step_due(case, "accept", now)
        # Numbering takes a row lock held until commit: take it as late as possible.
        case.number = reserve_numbers(region.code[:6], now.astimezone(LOCAL).year)[0]
        case.save()
        if data.reporter:
            Reporter.objects.create(case=case, **data.reporter.model_dump())
        for p in data.parties:
            Party.objects.create(case=case, **p.model_dump())
        log_event(case, user, "create", "", {"channel": case.channel, "stream": case.stream})
    return case


# ---------------------------------------------------------------- the actions

Handler = Callable[[Case, User, Any], dict]
HANDLERS: dict[str, tuple[type[BaseModel], Handler]] = {}


def action(name: str, schema: type[BaseModel]):
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = (schema, fn)
        return fn

    return register


def _pending(case: Case, kind: str) -> CaseRequest | None:
    return case.requests.filter(kind=kind, decision=CaseRequest.Decision.PENDING).first()


def _open_request(case: Case, user: User, kind: str, reason: str, new_due: datetime | None = None) -> dict:
    try:
        with transaction.atomic():
            req = CaseRequest.objects.create(
                case=case, kind=kind, reason=reason, new_due=new_due, requested_by=user
            )
    except IntegrityError:
        raise DomainError("request_pending", "已有一项同类申请在审批中。", status=409) from None
    return {"request": req.pk, "reason": reason, **({"new_due": new_due.isoformat()} if new_due else {})}


def _decide(case: Case, user: User, kind: str, p: s.DecisionIn) -> CaseRequest:
    req = _pending(case, kind)
    if req is None:
        raise invalid_transition("没有待审批的申请。")
    req.decision = CaseRequest.Decision.APPROVED if p.decision == "approve" else CaseRequest.Decision.DENIED
    req.decided_by = user
    req.decided_at = timezone.now()
    req.note = p.note
    req.save()
    return req


def _clear_overdue(case: Case) -> None:
    case.overdue_since = None
    case.escalation_level = 0


@action("update", s.UpdateIn)
def _update(case, user, p: s.UpdateIn):
    changed = {}
    fields = p.model_dump(exclude_unset=True, exclude={"version"})
    if "category" in fields:
        case.category = resolve_category(case.stream, fields.pop("category"))
        changed["category"] = case.category.code if case.category else None
    if "region" in fields:
        case.region = resolve_region(fields.pop("region"), user, ("dispatcher",))
        changed["region"] = case.region.code
    for name, value in fields.items():
        setattr(case, name, value)
        changed[name] = value
    return {"changed": changed}


@action("accept", s.NoteIn)
def _accept(case, user, p: s.NoteIn):
    now = timezone.now()
    case.status = Status.ACCEPTED
    case.accepted_at = now
    case.resolve_limit = limit_snapshot(time_limit(case, "resolve", now.astimezone(LOCAL).date()))
    case.resolve_due = due_from(now, case.resolve_limit)
    _clear_overdue(case)
    data: dict[str, Any] = {"note": p.note, "resolve_due": case.resolve_due}
    if case.stream == Stream.HAZARD and case.severity == Case.Severity.MAJOR:
        case.supervision_level = Case.Supervision.LISTED
        data["supervision"] = "listed"
    return data


@action("reject", s.RejectIn)
def _reject(case, user, p: s.RejectIn):
    case.status = Status.REJECTED
    case.closed_at = timezone.now()
    return {"reason": p.reason, "channel_advice": p.channel_advice}


@action("merge", s.MergeIn)
def _merge(case, user, p: s.MergeIn):
    target = Case.objects.visible_to(user).filter(number=p.into).first()
    if target is None or target.pk == case.pk or not target.is_open or target.status == Status.MERGED:
        raise invalid({"into": "目标案件不存在、已结束或就是本案件"})
    case.status = Status.MERGED
    case.merged_into = target
    case.closed_at = timezone.now()
    case.related.add(target)
    CaseEvent.objects.create(
        case=target,
        action="merged_in",
        actor=user.username,
        from_status=target.status,
        to_status=target.status,
        data={"case": case.number},
    )
    return {"into": target.number, "reason": p.reason}


@action("withdraw", s.ReasonIn)
def _withdraw(case, user, p: s.ReasonIn):
    case.status = Status.WITHDRAWN
    case.closed_at = timezone.now()
    return {"reason": p.reason}


@action("answer", s.AnswerIn)
def _answer(case, user, p: s.AnswerIn):
    case.status = Status.CLOSED
    case.closed_at = case.resolved_at = timezone.now()
    case.outcome = p.outcome
    case.outcome_summary = p.summary
    return {"summary": p.summary, "outcome": p.outcome}


def _unit(code: str, field: str) -> Unit:
    unit = Unit.objects.filter(code=code, active=True).first()
    if unit is None:
        raise invalid({field: f"单位代码 {code} 不存在或已停用"})
    return unit


@action("dispatch", s.DispatchIn)
def _dispatch(case, user, p: s.DispatchIn):
    now = timezone.now()
    if p.lead_unit:
        lead = _unit(p.lead_unit, "lead_unit")
    else:
        suggested = suggest_lead_unit(case.category, case.region_id, now.astimezone(LOCAL).date())
        if suggested is None:
            raise invalid({"lead_unit": "没有适用的分派规则，请指定牵头单位"})
        lead = suggested
    co_units = [_unit(code, "co_units") for code in dict.fromkeys(p.co_units) if code != lead.code]
    excluded = excluded_units(case)
    if any(touches(u, x) for u in (lead, *co_units) for x in excluded):
        raise invalid({"lead_unit": "该线索已对此单位（或其上下级单位）设置回避，不能分派给它"})
    handler = None
    if p.handler:
        handler = User.objects.filter(username=p.handler, is_active=True).first()
        if handler is None or not scope_of(handler).covers_unit("handler", lead.pk):
            raise invalid({"handler": "该承办人不属于牵头单位"})
        if is_excluded(handler, case):
            raise invalid({"handler": "该线索已对此人设置回避"})
    case.status = Status.DISPATCHED
    case.lead_unit = lead
    case.handler = handler
    case.designated = p.designated
    case.dispatched_at = now
    case.sign_due = step_due(case, "sign", now)
    case.co_units.set(co_units)
    return {
        "lead_unit": lead.code,
        "co_units": [u.code for u in co_units],
        "handler": p.handler,
        "designated": p.designated,
        "sign_due": case.sign_due,
        "note": p.note,
    }


@action("sign", s.NoteIn)
def _sign(case, user, p: s.NoteIn):
    case.status = Status.IN_PROGRESS
    case.signed_at = timezone.now()
    case.sign_due = None
    if case.handler_id is None:
        case.handler = user
    return {"note": p.note}


@action("request_return", s.ReasonIn)
def _request_return(case, user, p: s.ReasonIn):
    return _open_request(case, user, CaseRequest.Kind.RETURN, p.reason)


@action("decide_return", s.DecisionIn)
def _decide_return(case, user, p: s.DecisionIn):
    req = _decide(case, user, CaseRequest.Kind.RETURN, p)
    data = {"request": req.pk, "decision": p.decision, "note": p.note, "unit": case.lead_unit.code}
    if req.decision == CaseRequest.Decision.APPROVED:
        case.status = Status.ACCEPTED
        case.return_count += 1
        case.lead_unit = case.handler = None
        case.dispatched_at = case.signed_at = case.sign_due = None
        case.co_units.clear()
    else:
        # A unit whose return was refused is designated and may not return the case again.
        case.designated = True
    return data


@action("request_extension", s.ExtensionIn)
def _request_extension(case, user, p: s.ExtensionIn):
    if case.resolve_due and p.new_due <= case.resolve_due:
        raise invalid({"new_due": "延期后的时限应晚于当前办理时限"})
    max_days = (case.resolve_limit or {}).get("max_extension_days")
    if max_days and case.resolve_due and (p.new_due - case.resolve_due).days >= max_days + 1:
        raise invalid({"new_due": f"本类事项最多延期 {max_days} 日"})
    return _open_request(case, user, CaseRequest.Kind.EXTENSION, p.reason, p.new_due)


@action("decide_extension", s.DecisionIn)
def _decide_extension(case, user, p: s.DecisionIn):
    req = _decide(case, user, CaseRequest.Kind.EXTENSION, p)
    data: dict[str, Any] = {"request": req.pk, "decision": p.decision, "note": p.note}
    if req.decision == CaseRequest.Decision.APPROVED:
        data["old_due"] = case.resolve_due
        case.resolve_due = req.new_due
        case.extension_count += 1
        _clear_overdue(case)
        data["new_due"] = req.new_due
    return data


@action("request_suspension", s.ReasonIn)
def _request_suspension(case, user, p: s.ReasonIn):
    return _open_request(case, user, CaseRequest.Kind.SUSPENSION, p.reason)


@action("decide_suspension", s.DecisionIn)
def _decide_suspension(case, user, p: s.DecisionIn):
    req = _decide(case, user, CaseRequest.Kind.SUSPENSION, p)
    if req.decision == CaseRequest.Decision.APPROVED:
        case.status = Status.SUSPENDED
        case.suspended_at = timezone.now()
    return {"request": req.pk, "decision": p.decision, "note": p.note}


@action("resume", s.NoteIn)
def _resume(case, user, p: s.NoteIn):
    now = timezone.now()
    data: dict[str, Any] = {"note": p.note, "suspended_at": case.suspended_at}
    if case.resolve_due and case.suspended_at:
        unit = (case.resolve_limit or {}).get("unit", "natural_days")
        case.resolve_due = get_calendar().shift_for_pause(case.resolve_due, case.suspended_at, now, unit)
        data["resolve_due"] = case.resolve_due
    case.status = Status.IN_PROGRESS
    case.suspended_at = None
    return data


@action("record_work", s.WorkRecordIn)
def _record_work(case, user, p: s.WorkRecordIn):
    rec = WorkRecord.objects.create(
        case=case, kind=p.kind, content=p.content, happened_at=p.happened_at or timezone.now(), author=user
    )
    return {"work_record": rec.pk, "kind": p.kind}


@action("resolve", s.ResolveIn)
def _resolve(case, user, p: s.ResolveIn):
    evidence = list(case.attachments.filter(pk__in=p.evidence).values_list("pk", flat=True))
    if len(set(p.evidence)) != len(evidence):
        raise invalid({"evidence": "佐证材料不属于本案件或不存在"})
    if case.category and case.category.evidence_required and not evidence:
        raise DomainError(
            "evidence_required",
            "本类事项办结须上传佐证材料（如整改后照片）。",
            status=400,
            fields={"evidence": "请先上传佐证材料"},
        )
    now = timezone.now()
    case.status = Status.RESOLVED
    case.resolved_at = now
    case.outcome = p.outcome
    case.outcome_summary = p.summary
    case.check_due = step_due(case, "check", now)
    if p.agreement:
        Agreement.objects.update_or_create(case=case, defaults=p.agreement.model_dump())
    return {"outcome": p.outcome, "summary": p.summary, "evidence": evidence, "check_due": case.check_due}


@action("check_pass", s.NoteIn)
def _check_pass(case, user, p: s.NoteIn):
    case.status = Status.CLOSED
    case.closed_at = timezone.now()
    case.check_due = None
    return {"note": p.note}


@action("check_fail", s.ReasonIn)
def _check_fail(case, user, p: s.ReasonIn):
    case.status = Status.IN_PROGRESS
    case.check_fail_count += 1
    case.check_due = None
    case.resolved_at = None
    return {"reason": p.reason}


@action("follow_up", s.FollowUpIn)
def _follow_up(case, user, p: s.FollowUpIn):
    fu = FollowUp.objects.create(
        case=case, satisfaction=p.satisfaction, resolved=p.resolved, note=p.note, by=user
    )
    return {"follow_up": fu.pk, "satisfaction": p.satisfaction, "resolved": p.resolved}


@action("reopen", s.ReasonIn)
def _reopen(case, user, p: s.ReasonIn):
    now = timezone.now()
    case.status = Status.IN_PROGRESS
    case.reopen_count += 1
    case.closed_at = case.resolved_at = None
    case.resolve_due = due_from(now, case.resolve_limit)
    _clear_overdue(case)
    return {"reason": p.reason, "resolve_due": case.resolve_due}


@action("archive", s.NoteIn)
def _archive(case, user, p: s.NoteIn):
    case.status = Status.ARCHIVED
    return {"note": p.note}


@action("supervise", s.SuperviseIn)
def _supervise(case, user, p: s.SuperviseIn):
    case.supervision_level = "" if p.level == "none" else p.level
    return {"level": p.level, "note": p.note}


@action("reply", s.ReplyIn)
def _reply(case, user, p: s.ReplyIn):
    """A reply the reporter reads with their receipt; it must say nothing internal."""
    msg = PublicMessage.objects.create(
        case=case, direction=PublicMessage.Direction.OUT, text=p.text, author=user
    )
    return {"message": msg.pk, "text": p.text}


@action("exclude", s.ExcludeIn)
def _exclude(case, user, p: s.ExcludeIn):
    """Units and users named in a tip as involved (回避): replaces the list."""
    units = [_unit(code, "units") for code in dict.fromkeys(p.units)]
    if case.lead_unit and any(touches(u, case.lead_unit) for u in units):
        raise invalid({"units": "牵头单位（或其上下级单位）不能列为回避单位，请先退回后重新分派"})
    users = []
    for name in dict.fromkeys(p.users):
        found = User.objects.filter(username=name).first()
        if found is None:
            raise invalid({"users": f"用户 {name} 不存在"})
        users.append(found)
    handler_units = scope_of(case.handler).unit_codes if case.handler else frozenset()
    if case.handler and (case.handler in users or handler_units & {u.code for u in units}):
        raise invalid({"users": "承办人（或其所在单位）不能列为回避对象，请先退回后重新分派"})
    case.exclusions.all().delete()
    TipExclusion.objects.bulk_create(
        [TipExclusion(case=case, unit=u) for u in units] + [TipExclusion(case=case, user=u) for u in users]
    )
    return {"units": [u.code for u in units], "users": [u.username for u in users], "reason": p.reason}


assert set(HANDLERS) == set(TRANSITIONS), set(TRANSITIONS) ^ set(HANDLERS)  # noqa: S101


def lock_case(user: User, number: str) -> Case:
    case = (
        Case.objects.visible_to(user)
        .select_for_update(of=("self",))
        .select_related("category__parent")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise not_found()
    return case


def _illegal(case: Case, name: str) -> DomainError:
    label = TRANSITIONS[name].label
    if case.status in TRANSITIONS[name].from_states:
        if name == "request_return" and case.designated:
            return invalid_transition("该案件为指定承办，不能再申请退单。")
        if name.startswith("request_"):
            return DomainError("request_pending", "已有一项同类申请在审批中。", status=409)
        if name.startswith("decide_"):
            return invalid_transition("没有待审批的申请。")
    return invalid_transition(f"案件当前状态为“{case.get_status_display()}”，不能执行“{label}”。")


def perform(user: User, number: str, name: str, payload: dict) -> Case:
    if name not in TRANSITIONS:
        raise DomainError("unknown_action", f"没有名为 {name} 的操作。", status=404)
    schema, handler = HANDLERS[name]
    with transaction.atomic():
        case = lock_case(user, number)
        if not may_take(scope_of(user), case, name):
            raise forbidden(f"您无权对该案件执行“{TRANSITIONS[name].label}”。")
        expected = payload.get("version") if isinstance(payload, dict) else None
        if isinstance(expected, int) and expected != case.version:
            raise DomainError(
                "version_conflict",
                "案件已被他人修改，请刷新后重试。",
                status=409,
                fields={"version": f"当前版本为 {case.version}"},
            )
        if not is_legal(case, name):
            raise _illegal(case, name)
        data = validate(schema, payload)
        from_status = case.status
        event_data = handler(case, user, data)
        if case.status != from_status:
            _clear_overdue(case)  # a new step starts with a clean escalation ladder
        case.version += 1
        case.save()
        log_event(case, user, name, from_status, event_data)
    return case


def reveal(user: User, number: str, payload: dict) -> str:
    """One clear value for a stated reason; audited (DESIGN §8)."""
    data = validate(s.RevealIn, payload)
    with transaction.atomic():
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
        party = Party.objects.filter(case=case, pk=parts[1]).first() if parts[1].isdigit() else None
        if party is not None:
            return getattr(party, parts[2])
    raise invalid({"field": "没有这一项个人信息"})


def add_attachment(
    user: User, number: str, *, kind: str, name: str, content: bytes, content_type: str
) -> Attachment:
    from .uploads import store_attachment

    with transaction.atomic():
        case = lock_case(user, number)
        if not case.is_open:
            raise invalid_transition("案件已结束，不能再上传附件。")
        att = store_attachment(case, user, kind=kind, name=name, content=content, content_type=content_type)
        log_event(
            case, user, "attach", case.status, {"attachment": att.pk, "kind": kind, "name": att.original_name}
        )
    return att
