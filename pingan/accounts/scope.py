"""What a user may see and do: their role grants, resolved once per request (and kept by the process for
a few seconds, see SCOPES).

A grant on a region covers its subtree; a grant on a unit covers that unit and the units below it.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from pingan.core.memo import Memo
from pingan.regions.models import Unit

from .models import RoleGrant


@dataclass
class Scope:
    user_id: int | None
    region_codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unit_ids: dict[str, frozenset[int]] = field(default_factory=dict)
    # Codes of every unit a grant touches: the granted units, their ancestors and the units below them.
    # A tip naming any of these units is not shown to this user (回避).
    unit_codes: frozenset[str] = frozenset()

    @property
    def roles(self) -> set[str]:
        return set(self.region_codes) | set(self.unit_ids)

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    def covers_region(self, role: str, code: str) -> bool:
        return any(code.startswith(c) for c in self.region_codes.get(role, ()))

    def covers_unit(self, role: str, unit_id: int | None) -> bool:
        return unit_id is not None and unit_id in self.unit_ids.get(role, frozenset())

    def regions_for(self, *roles: str) -> tuple[str, ...]:
        codes = {c for r in roles for c in self.region_codes.get(r, ())}
        return _outermost(codes)

    def units_for(self, *roles: str) -> frozenset[int]:
        return frozenset().union(*(self.unit_ids.get(r, frozenset()) for r in roles))


def _outermost(codes: set[str]) -> tuple[str, ...]:
    """Drop codes already covered by a shorter code in the set."""
    kept: list[str] = []
    for code in sorted(codes, key=len):
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    return tuple(sorted(kept))


# A user's scope, kept by each process for a few seconds: a grant given or revoked takes effect within
# PINGAN_MEMO_SECONDS (pingan.core.memo), at once in the process that made the change.
SCOPES: Memo[Scope] = Memo("scope", forget_on=(RoleGrant, Unit))


def scope_of(user) -> Scope:
    cached = getattr(user, "_pingan_scope", None)
    if cached is not None:
        return cached
    if user is not None and user.is_authenticated and user.is_active:
        scope = SCOPES.get(user.pk, lambda: _read_scope(user))
    else:
        scope = Scope(user_id=getattr(user, "pk", None))
    user._pingan_scope = scope
    return scope


def _read_scope(user) -> Scope:
    scope = Scope(user_id=user.pk)
    grants = list(RoleGrant.objects.filter(user=user).select_related("unit"))
    regions: dict[str, set[str]] = defaultdict(set)
    unit_paths: dict[str, set[str]] = defaultdict(set)
    for g in grants:
        if g.region_id:
            regions[g.role].add(g.region_id)
        elif g.unit is not None:
            unit_paths[g.role].add(g.unit.path)
    scope.region_codes = {role: _outermost(codes) for role, codes in regions.items()}
    if unit_paths:
        all_paths = set().union(*unit_paths.values())
        q = Q()
        for p in all_paths:
            q |= Q(path__startswith=p)
        below = list(Unit.objects.filter(q).values_list("id", "path"))
        scope.unit_codes = frozenset(c for _, path in below for c in path.strip("/").split("/") if c)
        scope.unit_ids = {
            role: frozenset(uid for uid, path in below if any(path.startswith(p) for p in paths))
            for role, paths in unit_paths.items()
        }
    return scope
