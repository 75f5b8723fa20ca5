"""Who reads the ranking and the list of 重点整治地区, and who keeps it: the subtree rule of the one
policy (GOVERNANCE §1). Leaders and supervisors read; supervisors list and delist. Dashboards show the
areas under 整治 to everyone whose grants cover them, and to those who work inside them."""

from django.db.models import Q

from pingan.accounts import policy
from pingan.accounts.scope import Scope
from pingan.regions.models import CODE_LENGTHS, Unit, subtree_q

READERS = ("leader", "supervisor")
WRITERS = ("supervisor",)


def may_read(scope: Scope, code: str) -> bool:
    return policy.covers(scope, READERS, code)


def may_keep(scope: Scope, code: str) -> bool:
    return policy.covers(scope, WRITERS, code)


def readable_q(scope: Scope) -> Q | None:
    return policy.region_q(scope, READERS, "region")


def top_region(scope: Scope) -> str | None:
    codes = scope.regions_for(*READERS)
    return min(codes, key=lambda c: (len(c), c)) if codes else None


def dashboard_q(scope: Scope) -> Q | None:
    """Areas a dashboard in this scope shows: those in the region roles' subtrees, the village that
    holds the grid a grid worker works in, and those under the region a unit role's unit sits in (a
    town's 综治中心 and 司法所 see the villages of their town under 整治)."""
    clauses = []
    below = policy.region_q(scope, policy.REGION_READERS, "region")
    if below is not None:
        clauses.append(below)
    places = scope.regions_for(*policy.REGION_READERS)
    above = {code[:n] for code in places for n in CODE_LENGTHS if n < len(code)}
    if above:
        clauses.append(Q(region_id__in=above))
    units = scope.units_for(*policy.UNIT_READERS)
    for seat in set(Unit.objects.filter(pk__in=units).values_list("region_id", flat=True)) if units else ():
        clauses.append(subtree_q("region", seat))
    if not clauses:
        return None
    q = clauses[0]
    for clause in clauses[1:]:
        q |= clause
    return q
