"""办理: work on a case, its evidence and its result."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from pingan.accounts.models import User
from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, forbidden, invalid, invalid_transition

from .. import events
from ..models import Agreement, Attachment, Case, Status, WorkRecord
from ..rules import step_due
from ..tips import refusals_noted
from ..uploads import store_attachment
from ..workflow import may_attach
from .base import Change, lock_case, transition


def record_work(
    case: Case,
    *,
    by: User,
    kind: str,
    content: str,
    happened_at: datetime | None = None,
    now: datetime | None = None,
) -> Case:
    """记录工作: a mediation, visit, site visit or call, by the lead unit or a co-unit."""
    with transition(case, "record_work", by=by, now=now) as c:
        record = add_work_record(c, kind=kind, content=content, happened_at=happened_at)
        c.data = {"work_record": record.pk, "kind": kind}
    return c.case


def add_work_record(c: Change, *, kind: str, content: str, happened_at: datetime | None = None) -> WorkRecord:
    """A work record written by the action under way (记录工作, or a 督办 progress report)."""
    return WorkRecord.objects.create(
        case=c.case, kind=kind, content=content, happened_at=happened_at or c.now, author=c.by
    )


def resolve_case(
    case: Case,
    *,
    by: User,
    outcome: str,
    summary: str,
    evidence: Sequence[int] = (),
    agreement: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Case:
    """办结反馈 with the outcome, a summary, evidence where the category requires it and a mediation
    agreement where one was signed. The check clock starts."""
    with transition(case, "resolve", by=by, now=now) as c:
        case = c.case
        found = list(case.attachments.filter(pk__in=evidence).values_list("pk", flat=True))
        if len(set(evidence)) != len(found):
            raise invalid({"evidence": "佐证材料不属于本案件或不存在"})
        if case.category and case.category.evidence_required and not found:
            raise DomainError(
                "evidence_required",
                "本类事项办结须上传佐证材料（如整改后照片）。",
                status=400,
                fields={"evidence": "请先上传佐证材料"},
            )
        case.status = Status.RESOLVED
        case.resolved_at = c.now
        case.outcome = outcome
        case.outcome_summary = summary
        case.check_due = step_due(case, "check", c.now)
        if agreement:
            Agreement.objects.update_or_create(case=case, defaults={**agreement, "signed_at": c.now})
        c.data = {"outcome": outcome, "summary": summary, "evidence": found, "check_due": case.check_due}
    return c.case


def add_attachment(
    user: User, number: str, *, kind: str, name: str, content: bytes, content_type: str
) -> Attachment:
    """A file on an open case the user can see: checked by content, stored, and its event written."""
    with refusals_noted(user, number), transaction.atomic():
        case = lock_case(user, number)
        if not may_attach(scope_of(user), case):
            raise forbidden("您无权为该案件上传附件：只有承办、受理和核查中的人员可以上传。")
        if not case.is_open:
            raise invalid_transition("案件已结束，不能再上传附件。")
        att = store_attachment(case, user, kind=kind, name=name, content=content, content_type=content_type)
        events.write(
            case, "attach", by=user, data={"attachment": att.pk, "kind": kind, "name": att.original_name}
        )
    return att
