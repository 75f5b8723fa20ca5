"""Who reads and who enters imported statistics: the subtree rule of the one policy (GOVERNANCE §1).
A unit's figures belong to the region the unit sits in."""

from django.db.models import Q

from pingan.accounts import policy
from pingan.accounts.scope import Scope
from pingan.regions.models import Region, Unit

READERS = ("leader", "supervisor")
WRITERS = ("supervisor",)


def may_read(scope: Scope, region: Region) -> bool:
    return policy.covers(scope, READERS, region.code)


def may_enter(scope: Scope, region: Region) -> bool:
    return policy.covers(scope, WRITERS, region.code)


def subject_region(region: Region | None, unit: Unit | None) -> Region:
    if region is not None:
        return region
    if unit is None:
        raise TypeError("a statistic belongs to a region or a unit")
    return unit.region


def readable_q(scope: Scope) -> Q | None:
    """StatisticValue rows this scope reads; None when it reads none."""
    by_region = policy.region_q(scope, READERS, "region")
    by_unit = policy.region_q(scope, READERS, "unit__region")
    if by_region is None or by_unit is None:
        return None
    return by_region | by_unit


def top_region(scope: Scope, roles=READERS) -> str | None:
    codes = scope.regions_for(*roles)
    return min(codes, key=len) if codes else None
