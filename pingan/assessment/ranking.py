"""Rankings of a county's towns or departments by a scoring scheme (GOVERNANCE §3), for the system: the
API (narrowed to what the caller may see), the reports and the accountability rule `ranking_last` read
this. Figures come from the KPI engine (rollups, grouped by town or by unit), from the imported
statistics, one query per indicator, and from the 排查月报 (`screening:reporting_rate`, towns only, a
few queries per town and month); no case is read.

- Towns: the towns (街道) of the county. Departments (level `unit`): the active units seated in the county
  itself (县直部门), each judged on the cases it leads (a town's 综治中心 or 司法所 is the town's).
- The scheme: the one named, else the level's scheme in force on the period's last day.
- `rank_change` = the rank in the previous period of the same kind − the rank now (3 means up three
  places), by the scheme in force then (the named one when a scheme is named); null when either
  period has no rank.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from pingan.analytics import selectors as rollups
from pingan.core.errors import DomainError
from pingan.core.periods import Period
from pingan.regions.models import Region, Unit
from pingan.screening.selectors import period_reporting_rate
from pingan.statistics.selectors import values_by_subject

from .kpis import period_out, values
from .models import Scheme
from .scoring import competition_ranks, score

LEVELS = {"town": "乡镇（街道）", "unit": "县直部门"}


@dataclass(frozen=True)
class Member:
    code: str
    name: str
    key: str | int  # how rollups and statistics group it: the town code or the unit id


def _bad(code: str, message: str, field: str) -> DomainError:
    return DomainError(code, message, fields={field: message})


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise _bad("invalid_level", "考核对象应为 town（乡镇街道）或 unit（县直部门）。", "level")
    return level


def scheme_for(level: str, period: Period, code: str | None = None) -> Scheme | None:
    """The scheme named by `code` (checked against the level), else the one in force on the last day."""
    if code:
        scheme = Scheme.objects.filter(code=code).first()
        if scheme is None:
            raise _bad("invalid_scheme", f"没有代码为 {code} 的考核方案。", "scheme")
        if scheme.level != level:
            raise _bad(
                "scheme_level_mismatch", f"考核方案“{scheme.name}”不是{LEVELS[level]}的方案。", "scheme"
            )
        return scheme
    last = period.last
    in_force = Scheme.objects.filter(level=level, effective_from__lte=last).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=last)
    )
    return in_force.order_by("-effective_from").first()


def members(level: str, county: Region) -> list[Member]:
    if level == "town":
        towns = Region.objects.filter(level=Region.Level.TOWN, code__startswith=county.code).order_by("code")
        return [Member(t.code, t.name, t.code) for t in towns]
    units = Unit.objects.filter(region=county, active=True).order_by("code")
    return [Member(u.code, u.name, u.pk) for u in units]


def scored(scheme: Scheme, county: Region, period: Period) -> list[dict]:
    """Every member's score, grade and rank by the scheme, in the members' order."""
    items = list(scheme.items.select_related("indicator"))
    deductions = list(scheme.deductions.select_related("indicator"))
    vetoes = list(scheme.vetoes.select_related("indicator"))
    subjects = members(scheme.level, county)
    where = rollups.Where(region=county.code if scheme.level == "town" else "")
    found = rollups.sums(where, period.first, period.last, by=scheme.level) if subjects else {}
    indicators = {r.indicator.pk: r.indicator for r in (*items, *deductions, *vetoes) if r.indicator}
    keys = [m.key for m in subjects]
    statistics = {
        f"statistic:{indicator.code}": values_by_subject(indicator, period, scheme.level, keys)
        for indicator in indicators.values()
    }
    screened = {r.key for r in (*items, *deductions, *vetoes) if r.screening}
    if "screening:reporting_rate" in screened:
        statistics["screening:reporting_rate"] = reporting_rates(scheme.level, period, keys)
    rows: list[dict[str, Any]] = []
    for member in subjects:
        kpis = values(found.get(member.key) or rollups.Sums())
        figures = dict(kpis) | {key: by.get(member.key) for key, by in statistics.items()}
        result = score(items, deductions, vetoes, figures)
        rows.append({
            "code": member.code, "name": member.name, "score": result.score, "grade": result.grade,
            "vetoed": result.vetoed, "values": kpis, "items": result.items,
            "deductions": result.deductions, "vetoes": result.vetoes,
        })  # fmt: skip
    ranks = competition_ranks([(r["vetoed"], r["score"]) for r in rows])
    for row, rank in zip(rows, ranks, strict=True):
        row["rank"] = rank
    return rows


def reporting_rates(level: str, period: Period, keys: list) -> dict:
    """排查按时报送率 of each town's subtree (the town's own return and its villages'), over the months of
    the period. Departments file no returns: they have no such figure (the item is left out)."""
    if level != "town":
        return {}
    return {code: period_reporting_rate(code, period).rate for code in keys}


def default_county() -> Region | None:
    return Region.objects.filter(level=Region.Level.COUNTY).order_by("code").first()


def ranking(
    level: str,
    period: Period,
    *,
    scheme: str | None = None,
    county: Region | None = None,
    change: bool = True,
) -> dict:
    """The ranking of the county's towns or departments: rows best first (unranked last), each with
    `rank_change` against the previous period (left null when `change` is False)."""
    check_level(level)
    chosen = scheme_for(level, period, scheme)
    if chosen is None:
        raise _bad("no_scheme", f"{period.label}没有在用的{LEVELS[level]}考核方案。", "scheme")
    county = county or default_county()
    rows = scored(chosen, county, period) if county else []
    before_scheme = chosen if scheme else scheme_for(level, period.previous())
    before = {}
    if change and rows and before_scheme is not None and county is not None:
        before = {r["code"]: r["rank"] for r in scored(before_scheme, county, period.previous())}
    for row in rows:
        was = before.get(row["code"])
        row["rank_change"] = was - row["rank"] if was is not None and row["rank"] is not None else None
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["code"]))
    full = sum(float(weight) for weight in chosen.items.values_list("weight", flat=True))
    return {
        "level": level,
        "period": period_out(period),
        "scheme": {"code": chosen.code, "name": chosen.name, "full_mark": full},
        "rows": rows,
    }


def provider(level: str, period: Period) -> list[dict]:
    """For the accountability rule `ranking_last` (setting PINGAN_RANKING_PROVIDER): each county's
    ranking of the level by the scheme in force, as rows {code, rank, county}; none without a scheme."""
    check_level(level)
    if scheme_for(level, period) is None:
        return []
    rows = []
    for county in Region.objects.filter(level=Region.Level.COUNTY).order_by("code"):
        ranked = ranking(level, period, county=county, change=False)["rows"]
        rows += [{"code": r["code"], "rank": r["rank"], "county": county.code} for r in ranked]
    return rows
