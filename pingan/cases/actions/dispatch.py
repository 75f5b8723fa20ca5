"""分派 and 签收: the centre hands a case to its lead unit, and the unit's handler takes it."""

from collections.abc import Sequence
from datetime import datetime

from pingan.accounts import policy
from pingan.accounts.models import User
from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, invalid
from pingan.regions.models import Unit

from ..clocks import LOCAL
from ..models import Case, Status
from ..rules import step_due, suggest_lead_unit
from ..tips import excluded_units, touches
from .base import transition


def dispatch_case(
    case: Case,
    *,
    by: User,
    lead_unit: Unit | None = None,
    co_units: Sequence[Unit] = (),
    handler: User | None = None,
    designated: bool = False,
    due: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Case:
    """分派 to `lead_unit` (else the routing rule's unit) and co-units; `handler` names the person,
    `designated` forbids the unit to return it (指定承办). The sign clock starts. `due` (交办时限)
    gives the unit less time than the category allows: it becomes the case's resolve due."""
    with transition(case, "dispatch", by=by, now=now) as c:
        case = c.case
        lead = lead_unit or suggest_lead_unit(case.category, case.region_id, c.now.astimezone(LOCAL).date())
        if lead is None:
            raise invalid({"lead_unit": "没有适用的分派规则，请指定牵头单位"})
        co = [u for u in dict.fromkeys(co_units) if u.pk != lead.pk]
        if any(touches(u, x) for u in (lead, *co) for x in excluded_units(case)):
            raise invalid({"lead_unit": "该线索已对此单位（或其上下级单位）设置回避，不能分派给它"})
        if handler is not None:
            if not scope_of(handler).covers_unit("handler", lead.pk):
                raise invalid({"handler": "该承办人不属于牵头单位"})
            if policy.kept_out(scope_of(handler), case.subject()):
                raise invalid({"handler": "该线索已对此人设置回避"})
        case.status = Status.DISPATCHED
        case.lead_unit = lead
        case.handler = handler
        case.designated = designated
        case.dispatched_at = c.now
        case.sign_due = step_due(case, "sign", c.now)
        case.co_units.set(co)
        c.data = {
            "lead_unit": lead.code,
            "co_units": [u.code for u in co],
            "handler": handler.username if handler else None,
            "designated": designated,
            "sign_due": case.sign_due,
            "note": note,
        }
        if due is not None:
            _check_due(due, case.resolve_due, c.now)
            c.data.update(due=due, limit_due=case.resolve_due)
            case.resolve_due = due
    return c.case


def sign_case(case: Case, *, by: User, note: str = "", now: datetime | None = None) -> Case:
    """签收: the handler takes the case; it becomes theirs unless the centre named another handler."""
    with transition(case, "sign", by=by, now=now) as c:
        c.case.status = Status.IN_PROGRESS
        c.case.signed_at = c.now
        c.case.sign_due = None
        if c.case.handler_id is None:
            c.case.handler = by
        c.data = {"note": note}
    return c.case


def _check_due(due: datetime, limit: datetime | None, now: datetime) -> None:
    """A 交办时限 lies ahead, and within the handling period the category allows (the resolve due in
    force: the category's limit from acceptance, moved only by an approved extension or a suspension)."""
    if due <= now:
        raise DomainError("due_in_past", "交办时限应晚于现在。", fields={"due": "交办时限应晚于现在"})
    if limit is not None and due > limit:
        shown = f"{limit.astimezone(LOCAL):%Y-%m-%d %H:%M}"
        raise DomainError(
            "due_too_late",
            f"交办时限不能晚于本案的办理时限（{shown}）。",
            fields={"due": f"不能晚于 {shown}"},
        )


def restore_resolve_due(case: Case) -> None:
    """After an approved return: a 交办时限 belonged to the unit that had it, so the case gets back the
    resolve due its last dispatch replaced (or the later one an extension or a pause has given since)."""
    data = case.events.filter(action="dispatch").order_by("-id").values_list("data", flat=True).first()
    if not data or not data.get("due"):
        return
    before = datetime.fromisoformat(data["limit_due"]) if data.get("limit_due") else None
    case.resolve_due = None if before is None else max(before, case.resolve_due or before)
