"""Who reads and who keeps the accountability ledger: the subtree rule of the one policy (GOVERNANCE §1).
A unit's entries belong to the region the unit sits in.

Leaders and supervisors read the ledger; supervisors keep it. Dashboards show the entries in force to
everyone whose scope covers them: region roles over the subtree, unit roles over their own units."""

from django.db.models import Q

from pingan.accounts import policy
from pingan.accounts.scope import Scope
from pingan.regions.models import CODE_LENGTHS, Unit

READERS = ("leader", "supervisor")
WRITERS = ("supervisor",)


def subject_q(scope: Scope, roles) -> Q | None:
    """Entries whose region (or whose unit's region) lies under a grant of one of `roles`."""
    by_region = policy.region_q(scope, roles, "region")
    by_unit = policy.region_q(scope, roles, "unit__region")
    if by_region is None or by_unit is None:
        return None
    return by_region | by_unit


def readable_q(scope: Scope) -> Q | None:
    return subject_q(scope, READERS)


def may_read(scope: Scope, region_code: str) -> bool:
    return policy.covers(scope, READERS, region_code)


def may_keep(scope: Scope, region_code: str) -> bool:
    return policy.covers(scope, WRITERS, region_code)


def dashboard_q(scope: Scope) -> Q | None:
    """Entries a dashboard in this scope shows: those in the region roles' subtrees, those of the unit
    roles' own units, and those of a region that holds the place where one works (a listed town shows
    to its villages' grid workers and to its units)."""
    clauses = []
    below = subject_q(scope, policy.REGION_READERS)
    if below is not None:
        clauses.append(below)
    units = scope.units_for(*policy.UNIT_READERS)
    if units:
        clauses.append(Q(unit__in=units))
    places = set(scope.regions_for(*policy.REGION_READERS))
    places |= set(Unit.objects.filter(pk__in=units).values_list("region_id", flat=True)) if units else set()
    above = {code[:n] for code in places for n in CODE_LENGTHS if n <= len(code)}
    if above:
        clauses.append(Q(region_id__in=above))
    if not clauses:
        return None
    q = clauses[0]
    for clause in clauses[1:]:
        q |= clause
    return q
