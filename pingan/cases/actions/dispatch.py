"""分派 and 签收: the centre hands a case to its lead unit, and the unit's handler takes it."""

from collections.abc import Sequence
from datetime import datetime

from pingan.accounts import policy
from pingan.accounts.models import User
from pingan.accounts.scope import scope_of
from pingan.core.errors import invalid
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
    note: str = "",
    now: datetime | None = None,
) -> Case:
    """分派 to `lead_unit` (else the routing rule's unit) and co-units; `handler` names the person,
    `designated` forbids the unit to return it (指定承办). The sign clock starts."""
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
