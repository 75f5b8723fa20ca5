"""Who may see, act on and be told about what: the one policy (DESIGN §2, §8; GOVERNANCE §1).

A user's grants are resolved once per request into a `Scope` (scope.py). Whatever is asked about is
described to the policy as a `Subject`: the region it lies in, the units that carry it, whether it is
confidential (a tip) and whom it is kept from (回避). Cases answer to it through `Case.subject()` and
`CASE_FIELDS`; campaigns, tasks, KPI figures, reports and places answer to the same subtree rule through
`covers` and `region_q`.

Each rule has two forms that must agree: one for a single subject (`may_see`, `holds`) and one for a
query (`see_q`, `holds_q`). tests/test_policy.py checks them against each other.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q

from pingan.regions.models import Unit, subtree_q, with_ancestors

from .models import RoleGrant, User
from .scope import Scope, scope_of

# Roles that read whatever lies in the subtree of their region, and roles that read whatever their unit
# (or a unit below it) carries as lead or co-unit.
REGION_READERS = ("dispatcher", "supervisor", "leader", "grid_worker", "custodian")
UNIT_READERS = ("handler", "unit_head")
UNIT_ROLES = frozenset(UNIT_READERS)
# Every role that reads cases; `admin` and `auditor` read none (configuration, the audit log).
CASE_ROLES = frozenset(REGION_READERS + UNIT_READERS)
# A confidential subject (a tip) is read only by the centre's dispatchers, who triage it, by custodians
# and by its lead unit; never by co-units, leaders, supervisors or grid workers (DESIGN §8).
CONFIDENTIAL_REGION_READERS = ("dispatcher", "custodian")
# Leaders do not see confidential subjects, so the custodian takes the leader's part on them (DESIGN §4).
STAND_INS = {"leader": "custodian"}


@dataclass(frozen=True)
class Subject:
    """What the policy needs to know about one object."""

    region: str
    lead_unit: int | None = None
    co_units: frozenset[int] = frozenset()
    reported_by: int | None = None
    confidential: bool = False
    excluded_users: frozenset[int] = frozenset()
    excluded_units: frozenset[str] = frozenset()  # unit codes named as involved (回避)


@dataclass(frozen=True)
class Fields:
    """Where a model keeps what a `Subject` holds: the query form of the policy reads these."""

    region: str = "region"
    lead_unit: str | None = None
    co_units: Callable[[frozenset[int]], Q] | None = None  # rows with a co-unit among the given ids
    reported_by: str | None = None
    confidential: Q | None = None  # the confidential rows
    excluded: Callable[[Scope], Q] | None = None  # confidential rows that keep this scope out


def acting_role(role: str, subject: Subject) -> str:
    return STAND_INS.get(role, role) if subject.confidential else role


def kept_out(scope: Scope, subject: Subject) -> bool:
    """Named in a confidential subject as involved, or in a unit above or below one that is."""
    return subject.confidential and (
        scope.user_id in subject.excluded_users or bool(scope.unit_codes & subject.excluded_units)
    )


def covers(scope: Scope, roles: Iterable[str], region: str) -> bool:
    """The subtree rule: a grant of one of `roles` on `region` or on a region above it."""
    return any(scope.covers_region(role, region) for role in roles)


# ---------------------------------------------------------------- one subject


def may_see(scope: Scope, subject: Subject) -> bool:
    if kept_out(scope, subject):
        return False
    readers = CONFIDENTIAL_REGION_READERS if subject.confidential else REGION_READERS
    if covers(scope, readers, subject.region):
        return True
    units = scope.units_for(*UNIT_READERS)
    if subject.lead_unit in units or (not subject.confidential and units & subject.co_units):
        return True
    return "grid_worker" in scope.roles and subject.reported_by == scope.user_id


def confidential_hidden(scope: Scope) -> bool:
    """Does this scope read a region's subjects but not its confidential ones? Its counts and lists
    then leave tips out, and pages say so (a leader's numbers differ from the dispatcher's by them)."""
    return bool(scope.roles & set(REGION_READERS)) and not scope.roles & set(CONFIDENTIAL_REGION_READERS)


def holds(scope: Scope, role: str, subject: Subject, *, co_units_too: bool = False) -> bool:
    """Does the scope hold `role` over the subject? Region roles hold it over their subtree, unit roles
    over their unit's subjects (co-units only where `co_units_too`); nobody over what they cannot see."""
    role = acting_role(role, subject)
    if not may_see(scope, subject):
        return False
    if role in UNIT_ROLES:
        ids = scope.unit_ids.get(role, frozenset())
        return subject.lead_unit in ids or (co_units_too and bool(ids & subject.co_units))
    return scope.covers_region(role, subject.region)


def may_reveal(scope: Scope, subject: Subject, *, identity: bool) -> bool:
    """Clear personal data (DESIGN §4, §8): custodians; dispatchers and the lead unit's handlers; but on a
    confidential subject the lead unit never, and the reporter's `identity` only custodians."""
    if holds(scope, "custodian", subject):
        return True
    if subject.confidential:
        return not identity and holds(scope, "dispatcher", subject)
    return holds(scope, "dispatcher", subject) or holds(scope, "handler", subject)


# ---------------------------------------------------------------- the same rules as queries


def region_q(scope: Scope, roles: Iterable[str], field: str = "region") -> Q | None:
    """Rows whose region lies under a grant of one of `roles`; None when there are none. The rule for
    non-case objects (campaigns, tasks, places, KPI figures) and a part of `see_q`."""
    codes = scope.regions_for(*roles)
    if not codes:
        return None
    q = subtree_q(field, codes[0])
    for code in codes[1:]:
        q |= subtree_q(field, code)
    return q


def _any(clauses: list[Q]) -> Q | None:
    if not clauses:
        return None
    q = clauses[0]
    for clause in clauses[1:]:
        q |= clause
    return q


def see_q(scope: Scope, f: Fields) -> Q | None:
    """The query form of `may_see`: None when the scope sees nothing."""
    clauses: list[Q] = []
    secret = f.confidential
    confidential_codes = scope.regions_for(*CONFIDENTIAL_REGION_READERS) if secret is not None else ()
    all_kinds = []  # regions where the user sees confidential rows too: one clause with no kind condition
    for code in scope.regions_for(*REGION_READERS):
        if any(code.startswith(c) for c in confidential_codes):
            all_kinds.append(code)
            clauses.append(subtree_q(f.region, code))
        else:
            clauses.append(
                subtree_q(f.region, code) & ~secret if secret is not None else subtree_q(f.region, code)
            )
    for code in confidential_codes:
        if not any(code.startswith(a) for a in all_kinds):
            clauses.append(subtree_q(f.region, code) & secret)  # type: ignore[operator]
    units = scope.units_for(*UNIT_READERS)
    if units and f.lead_unit:
        clauses.append(Q(**{f"{f.lead_unit}__in": units}))
        if f.co_units is not None:
            clauses.append(f.co_units(units) & ~secret if secret is not None else f.co_units(units))
    if "grid_worker" in scope.roles and f.reported_by:
        clauses.append(Q(**{f.reported_by: scope.user_id}))
    q = _any(clauses)
    if q is not None and secret is not None and f.excluded is not None and _may_see_secrets(scope, f):
        q &= ~(secret & f.excluded(scope))
    return q


def _may_see_secrets(scope: Scope, f: Fields) -> bool:
    """Only a scope that could see a confidential row needs the exclusion test (it costs a subquery)."""
    return bool(
        scope.regions_for(*CONFIDENTIAL_REGION_READERS)
        or (f.lead_unit and scope.units_for(*UNIT_READERS))
        or (f.reported_by and "grid_worker" in scope.roles)
    )


def holds_q(scope: Scope, role: str, f: Fields) -> Q | None:
    """The query form of `holds` (lead units only): rows over which the scope holds `role`."""
    see = see_q(scope, f)
    if see is None:
        return None

    def held(r: str) -> Q | None:
        if r in UNIT_ROLES:
            ids = scope.unit_ids.get(r)
            return Q(**{f"{f.lead_unit}__in": ids}) if ids and f.lead_unit else None
        return region_q(scope, (r,), f.region)

    plain = held(role)
    if f.confidential is None:
        return plain & see if plain is not None else None
    stand_in = held(STAND_INS.get(role, role))
    parts = []
    if plain is not None:
        parts.append(plain & ~f.confidential)
    if stand_in is not None:
        parts.append(stand_in & f.confidential)
    q = _any(parts)
    return q & see if q is not None else None


# ---------------------------------------------------------------- who holds a role over a subject


def holders(role: str, subject: Subject) -> list[User]:
    """Active users who hold `role` over the subject and can see it: whom a notice about it reaches."""
    role = acting_role(role, subject)
    if role in UNIT_ROLES:
        if subject.lead_unit is None:
            return []
        path = Unit.objects.filter(pk=subject.lead_unit).values_list("path", flat=True).first()
        if not path:
            return []
        grants = RoleGrant.objects.filter(role=role, unit__code__in=[c for c in path.split("/") if c])
    else:
        grants = RoleGrant.objects.filter(role=role, region_id__in=with_ancestors(subject.region))
    users = User.objects.filter(is_active=True, grants__in=grants).distinct().order_by("pk")
    return [u for u in users if holds(scope_of(u), role, subject)]
