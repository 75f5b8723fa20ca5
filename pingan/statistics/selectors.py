"""Reading imported statistics: one figure for any region subtree or unit and any period, with the
same period a year earlier and the gap to the target.

How a figure is found for a subject and a period P, from the stored values that lie inside both:
- a region subtree takes the values at the highest level that has any (a county figure when one was
  entered, else the towns' figures summed or averaged; never a town's and its villages' together);
- among those, the longest periods win (a quarter entered as such, else its months);
- they are then combined by the indicator's aggregation: a sum, or a mean (weighted by sample size
  where every value has one).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from pingan.core.periods import Period, parse_period
from pingan.regions.models import Region, Unit, subtree_q

from .access import readable_q
from .models import Indicator, StatisticValue

FIELDS = ("region_id", "starts_on", "ends_on", "value", "sample_size")


@dataclass(frozen=True)
class Figure:
    value: Decimal | None
    year_ago: Decimal | None
    target: Decimal | None

    @property
    def yoy(self) -> float | None:
        """Change against a year earlier, as a fraction (−0.12 is 12 % down); None without a base."""
        if self.value is None or not self.year_ago:
            return None
        return round(float((self.value - self.year_ago) / self.year_ago), 4)

    @property
    def gap(self) -> Decimal | None:
        """How far the figure stands from its target: positive is better than the target."""
        return None if self.value is None or self.target is None else self.value - self.target

    def met(self, indicator: Indicator) -> bool | None:
        if self.gap is None:
            return None
        return self.gap >= 0 if indicator.direction == Indicator.Direction.UP else self.gap <= 0


def value_for(
    indicator: Indicator, period: Period, *, region: Region | None = None, unit: Unit | None = None
):
    rows = StatisticValue.objects.filter(
        indicator=indicator, starts_on__gte=period.start, ends_on__lte=period.end
    )
    if unit is not None:
        rows = rows.filter(unit=unit)
    elif region is not None:
        rows = rows.filter(subtree_q("region", region.code))
    else:
        raise TypeError("a figure is asked for a region or a unit")
    return _pick(indicator, list(rows.values_list(*FIELDS)))


def values_by_subject(indicator: Indicator, period: Period, by: str, keys: list) -> dict:
    """`value_for` of many towns (`by` "town", keys their codes), villages (`by` "village") or units
    (`by` "unit", keys their ids) at once, in one query: what a ranking of towns or departments, or
    a table of villages, reads. A subject without figures is left out."""
    rows = StatisticValue.objects.filter(
        indicator=indicator, starts_on__gte=period.start, ends_on__lte=period.end
    )
    found: dict = {}
    if by == "unit":
        for row in rows.filter(unit__in=keys).values_list("unit_id", *FIELDS):
            found.setdefault(row[0], []).append(row[1:])
    elif keys:
        q = Q()
        length = 12 if by == "village" else 9
        for above in {code[: length - 3] for code in keys}:  # the counties of towns, the towns of villages
            q |= Q(region__code__startswith=above)
        wanted = set(keys)
        for row in rows.filter(q).values_list(*FIELDS):
            if row[0][:length] in wanted:
                found.setdefault(row[0][:length], []).append(row)
    return {key: _pick(indicator, values) for key, values in found.items()}


def _pick(indicator: Indicator, found: list) -> Decimal | None:
    """From (region, starts_on, ends_on, value, sample_size) rows: the highest level, the longest
    periods, combined by the indicator's aggregation."""
    if not found:
        return None
    level = min(len(r[0] or "") for r in found)
    found = [r for r in found if len(r[0] or "") == level]
    span = max(r[2] - r[1] for r in found)
    return combine(indicator, [(r[3], r[4]) for r in found if r[2] - r[1] == span])


def combine(indicator: Indicator, values: list[tuple[Decimal, int | None]]) -> Decimal:
    if indicator.aggregation == Indicator.Aggregation.SUM:
        return sum((v for v, _ in values), Decimal(0))
    weights = (
        [Decimal(n or 0) for _, n in values] if all(n for _, n in values) else [Decimal(1)] * len(values)
    )
    weighted = sum((v * w for (v, _), w in zip(values, weights, strict=True)), Decimal(0))
    return (weighted / sum(weights, Decimal(0))).quantize(Decimal("0.0001"))


def figure(indicator: Indicator, period: Period, *, region=None, unit=None) -> Figure:
    return Figure(
        value=value_for(indicator, period, region=region, unit=unit),
        year_ago=value_for(indicator, period.year_ago(), region=region, unit=unit),
        target=indicator.target,
    )


def readable_values(scope, *, indicator: str = "", period: str = "", region: str = "", unit: str = ""):
    """Stored figures this scope reads, newest period first, filtered as the page and the API filter."""
    q = readable_q(scope)
    if q is None:
        return StatisticValue.objects.none()
    rows = StatisticValue.objects.filter(q).select_related("indicator", "region", "unit", "entered_by")
    if indicator:
        rows = rows.filter(indicator__code=indicator)
    if period:
        p = parse_period(period)
        rows = rows.filter(starts_on__gte=p.start, ends_on__lte=p.end)
    if region:
        rows = rows.filter(subtree_q("region", region))
    if unit:
        rows = rows.filter(unit__code=unit)
    return rows.order_by("-starts_on", "indicator__order", "indicator__code", "region_id", "unit__code", "id")
