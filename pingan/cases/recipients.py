"""Who is told about what happens to a case: the holders of a role over that case."""

from pingan.accounts.models import RoleGrant, User
from pingan.regions.models import Unit

from .models import Case, Stream
from .tips import is_excluded


def _unit_and_ancestors(unit: Unit) -> list[str]:
    return [code for code in unit.path.strip("/").split("/") if code]


def holders(case: Case, role: str) -> list[User]:
    if role in ("handler", "unit_head"):
        if case.lead_unit is None:
            return []
        grants = RoleGrant.objects.filter(role=role, unit__code__in=_unit_and_ancestors(case.lead_unit))
    else:
        prefixes = [case.region_id[:n] for n in (6, 9, 12, 15) if n <= len(case.region_id)]
        grants = RoleGrant.objects.filter(role=role, region_id__in=prefixes)
    users = list(User.objects.filter(is_active=True, grants__in=grants).distinct())
    if case.stream == Stream.TIP and case.exclusions.exists():
        # A notice would tell an excluded person that the tip exists.
        users = [u for u in users if not is_excluded(u, case)]
    return users
