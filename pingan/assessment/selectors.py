"""KPI figures and rankings for what a user may see (GOVERNANCE §1–§3): the selectors the API (and
later the cockpit) call.

Who reads figures: the region roles that oversee cases (dispatcher, supervisor, leader, custodian) for
the subtree of their grant and the units in it; handlers and unit heads for their own units. Figures
are counts, tips included (GOVERNANCE §1: the county's totals add up); no case content is shown. A scope
outside the user's grants answers 404, as a case would.
"""

from dataclasses import dataclass

from pingan.accounts import policy
from pingan.accounts.scope import scope_of
from pingan.analytics import selectors as rollups
from pingan.cases.models import Stream
from pingan.core.errors import DomainError, not_found
from pingan.core.periods import parse_period
from pingan.regions.models import Region, Unit

from . import ranking as ranked
from .kpis import period_out, values

FIGURE_READERS = ("dispatcher", "supervisor", "leader", "custodian")
UNIT_READERS = ("handler", "unit_head")


@dataclass(frozen=True)
class Target:
    kind: str  # "region" or "unit"
    code: str
    name: str
    where: rollups.Where

    def out(self) -> dict[str, str]:
        return {self.kind: self.code, "name": self.name}


def _bad(code: str, message: str, field: str) -> DomainError:
    return DomainError(code, message, fields={field: message})


def _stream(stream: str | None) -> str:
    if stream and stream not in Stream.values:
        raise _bad("invalid_stream", f"没有名为 {stream} 的业务类型。", "stream")
    return stream or ""


def _region(user, code: str, stream: str) -> Target:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise _bad("invalid_region", f"区划代码 {code} 不存在。", "region")
    if len(code) > 12:
        raise _bad("region_too_fine", "考核指标统计到村（社区）一级，请选择村（社区）或以上区划。", "region")
    if not policy.covers(scope_of(user), FIGURE_READERS, code):
        raise not_found()
    return Target("region", code, region.name, rollups.Where(region=code, stream=stream))


def _unit(user, code: str, stream: str) -> Target:
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise _bad("invalid_unit", f"单位代码 {code} 不存在。", "unit")
    scope = scope_of(user)
    mine = unit.pk in scope.units_for(*UNIT_READERS)
    if not mine and not policy.covers(scope, FIGURE_READERS, unit.region_id):
        raise not_found()
    return Target("unit", code, unit.name, rollups.Where(unit=unit.pk, stream=stream))


def target_for(user, region: str | None = None, unit: str | None = None, stream: str | None = None) -> Target:
    """The scope asked for, or by default the user's top granted region (else his unit)."""
    s = _stream(stream)
    if region and unit:
        raise _bad("invalid_scope", "区划和单位只能选择其一。", "unit")
    if region:
        return _region(user, region, s)
    if unit:
        return _unit(user, unit, s)
    scope = scope_of(user)
    regions = sorted(scope.regions_for(*FIGURE_READERS), key=lambda c: (len(c), c))
    if regions:
        return _region(user, regions[0], s)
    units = Unit.objects.filter(pk__in=scope.units_for(*UNIT_READERS)).order_by("path")
    first = units.first()
    if first is None:
        raise not_found()
    return _unit(user, first.code, s)


# Figures of several periods read together (the cockpit's week, month and quarter under way) share their
# reads of today's counters and of the standing stocks: `with shared_reads(): ...`.
shared_reads = rollups.shared_reads


def kpis(user, *, period: str, region=None, unit=None, stream=None) -> dict:
    p = parse_period(period)
    target = target_for(user, region, unit, stream)
    found = rollups.sums(target.where, p.first, p.last).get(None) or rollups.Sums()
    return {"scope": target.out(), "period": period_out(p), "values": values(found)}


def breakdown(user, *, period: str, by: str, region=None, stream=None) -> dict:
    """One row per town of the region (or per unit whose seat lies in it), each with its figures."""
    p = parse_period(period)
    if by not in ("town", "unit"):
        raise _bad("invalid_breakdown", "分组方式应为 town（按乡镇）或 unit（按单位）。", "by")
    target = target_for(user, region, None, stream)
    if target.kind != "region":
        raise not_found()  # a table of towns or units is for those who oversee a region
    if by == "town":
        if len(target.code) > 9:
            raise _bad("invalid_breakdown", "村（社区）一级不能再按乡镇分组。", "by")
        members = list(
            Region.objects.filter(level="town", code__startswith=target.code).values_list("code", "name")
        )
        keys: list = [code for code, _ in members]
    else:
        units = Unit.objects.filter(region__code__startswith=target.code).order_by("code")
        members = [(u.code, u.name) for u in units]
        keys = [u.pk for u in units]
    where = rollups.Where(region=target.code if by == "town" else "", stream=target.where.stream)
    found = rollups.sums(where, p.first, p.last, by=by) if members else {}
    rows = []
    for (code, name), key in zip(members, keys, strict=True):
        rows.append({by: code, "name": name, "values": values(found.get(key) or rollups.Sums())})
    return {"scope": target.out(), "period": period_out(p), "by": by, "rows": rows}


def _county_of(user) -> Region:
    """The county whose ranking the user reads: that of his top granted region, else of his unit."""
    scope = scope_of(user)
    regions = sorted(scope.regions_for(*FIGURE_READERS), key=lambda c: (len(c), c))
    if regions:
        code = regions[0][:6]
    else:
        unit = Unit.objects.filter(pk__in=scope.units_for(*UNIT_READERS)).order_by("path").first()
        if unit is None:
            raise not_found()
        code = unit.region_id[:6]
    county = Region.objects.filter(code=code).first()
    if county is None:
        raise not_found()
    return county


def ranking(user, *, level: str, period: str, scheme: str | None = None) -> dict:
    """The county's ranking (GOVERNANCE §3), ranked over every town or department, with the rows the
    user may read: towns in his grants, departments seated there or his own."""
    p = parse_period(period)
    ranked.check_level(level)
    county = _county_of(user)
    result = ranked.ranking(level, p, scheme=scheme, county=county)
    scope = scope_of(user)
    if level == "town":
        visible = {r["code"] for r in result["rows"] if policy.covers(scope, FIGURE_READERS, r["code"])}
    else:
        mine = scope.units_for(*UNIT_READERS)
        units = Unit.objects.filter(code__in=[r["code"] for r in result["rows"]])
        visible = {
            code
            for code, pk, region in units.values_list("code", "pk", "region_id")
            if pk in mine or policy.covers(scope, FIGURE_READERS, region)
        }
    result["rows"] = [r for r in result["rows"] if r["code"] in visible]
    return result
