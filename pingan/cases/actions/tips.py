"""回避 on tips: the units and people a tip names as involved never see it (DESIGN §8)."""

from collections.abc import Sequence
from datetime import datetime

from pingan.accounts.models import User
from pingan.accounts.scope import scope_of
from pingan.core.errors import invalid
from pingan.regions.models import Unit

from ..models import Case, TipExclusion
from ..tips import touches
from .base import transition


def exclude_from_tip(
    case: Case,
    *,
    by: User,
    units: Sequence[Unit] = (),
    users: Sequence[User] = (),
    reason: str,
    now: datetime | None = None,
) -> Case:
    """设置回避: replaces the tip's list. The lead unit and the handler cannot be named: return the tip
    and dispatch it elsewhere first."""
    with transition(case, "exclude", by=by, now=now) as c:
        case = c.case
        units, users = list(dict.fromkeys(units)), list(dict.fromkeys(users))
        if case.lead_unit and any(touches(u, case.lead_unit) for u in units):
            raise invalid({"units": "牵头单位（或其上下级单位）不能列为回避单位，请先退回后重新分派"})
        handler_units = scope_of(case.handler).unit_codes if case.handler else frozenset()
        if case.handler and (case.handler in users or handler_units & {u.code for u in units}):
            raise invalid({"users": "承办人（或其所在单位）不能列为回避对象，请先退回后重新分派"})
        case.exclusions.all().delete()
        TipExclusion.objects.bulk_create(
            [TipExclusion(case=case, unit=u) for u in units]
            + [TipExclusion(case=case, user=u) for u in users]
        )
        c.data = {"units": [u.code for u in units], "users": [u.username for u in users], "reason": reason}
    return c.case
