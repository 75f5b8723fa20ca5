"""Who reads and who acts in 平安创建: the subtree rule of the one policy (GOVERNANCE §1).

- Readers: leaders, supervisors and dispatchers over the subject's region; the handlers and unit heads
  of a unit that sits in the subject's town or village read what lies there.
- Self-assessment (自评、申报): the handlers and unit heads of a unit sitting in the subject's town or
  village (the town's 综治中心 fills in for its villages).
- Town review (乡镇审核): the unit heads of a unit sitting in the subject's town, or a supervisor granted
  on the town itself.
- County 认定 (and 不予认定 during 公示): a supervisor granted on the county.
- The organisation register: supervisors over the region, and town handlers for their own towns."""

from django.db.models import Q

from pingan.accounts import policy
from pingan.accounts.models import RoleGrant, User
from pingan.accounts.scope import Scope
from pingan.regions.models import Unit, subtree_q

REGION_READERS = ("leader", "supervisor", "dispatcher")
UNIT_ROLES = ("handler", "unit_head")
COUNTY, TOWN = 6, 9


def unit_places(scope: Scope, roles=UNIT_ROLES) -> tuple[str, ...]:
    """The towns and villages where the scope's units of `roles` sit (a county unit sits in none)."""
    ids = scope.units_for(*roles)
    if not ids:
        return ()
    codes = Unit.objects.filter(pk__in=ids).values_list("region_id", flat=True)
    return tuple(sorted({c for c in codes if len(c) >= TOWN}))


def may_read(scope: Scope, code: str) -> bool:
    if policy.covers(scope, REGION_READERS, code):
        return True
    return any(code.startswith(p) for p in unit_places(scope))


def readable_q(scope: Scope, field: str = "region") -> Q | None:
    """Rows whose `field` (a Region) this scope reads; None when it reads none."""
    clauses = []
    by_region = policy.region_q(scope, REGION_READERS, field)
    if by_region is not None:
        clauses.append(by_region)
    clauses += [subtree_q(field, code) for code in unit_places(scope)]
    if not clauses:
        return None
    q = clauses[0]
    for clause in clauses[1:]:
        q |= clause
    return q


def top_region(scope: Scope) -> str | None:
    codes = list(scope.regions_for(*REGION_READERS)) + list(unit_places(scope))
    return min(codes, key=len) if codes else None


def may_file(scope: Scope, code: str) -> bool:
    return any(code.startswith(p) for p in unit_places(scope))


def may_review(scope: Scope, code: str) -> bool:
    town = code[:TOWN]
    return town in unit_places(scope, ("unit_head",)) or town in scope.region_codes.get("supervisor", ())


def may_decide(scope: Scope, code: str) -> bool:
    return any(len(c) == COUNTY and code.startswith(c) for c in scope.region_codes.get("supervisor", ()))


def may_keep_register(scope: Scope, code: str) -> bool:
    if policy.covers(scope, ("supervisor",), code):
        return True
    return any(len(p) == TOWN and code.startswith(p) for p in unit_places(scope))


def register_regions(scope: Scope) -> tuple[str, ...]:
    """The regions under which this scope keeps the register (supervisors' grants, town units' towns)."""
    towns = tuple(p for p in unit_places(scope) if len(p) == TOWN)
    return tuple(sorted(set(scope.regions_for("supervisor")) | set(towns)))


def town_users(town: str) -> list[User]:
    """Whom a revocation is told to: the handlers and unit heads of the units sitting in the town, and
    the dispatchers and supervisors granted on the town or one of its villages."""
    grants = RoleGrant.objects.filter(
        Q(role__in=UNIT_ROLES, unit__region__code__startswith=town)
        | Q(role__in=("dispatcher", "supervisor"), region__code__startswith=town)
    )
    return list(User.objects.filter(is_active=True, grants__in=grants).distinct().order_by("pk"))
