"""The cases behind a KPI figure (GOVERNANCE §10: every figure opens the list of cases behind it, and the
list's total equals the figure).

A figure is read from the rollups; its list is the same counters replayed case by case
(pingan.analytics.bycase), each case with how many times a part counts it (a case reworked twice counts
twice in 返工). A rate has two lists, its numerator and its denominator.
"""

from dataclasses import dataclass

from pingan.analytics.bycase import sums_by_case
from pingan.core.errors import DomainError
from pingan.core.periods import Period, parse_period

from .kpis import KEYS, LABELS, PARTS, is_rate
from .selectors import Target, target_for

PART_LABELS = {"numerator": "分子", "denominator": "分母"}


@dataclass
class Behind:
    key: str
    label: str
    part: str
    target: Target
    period: Period
    counts: dict[int, int]  # case id → times the part counts it

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def behind(user, *, key: str, part: str, period: str, region=None, unit=None, stream=None) -> Behind:
    if key not in KEYS:
        raise DomainError("unknown_indicator", f"没有名为 {key} 的考核指标。", fields={"key": "未知指标"})
    if part not in PART_LABELS or (part == "denominator" and not is_rate(key)):
        raise DomainError("invalid_part", "请选择分子（numerator）；比率指标还可选择分母（denominator）。")
    p = parse_period(period)
    target = target_for(user, region, unit, stream)
    numerator, denominator = PARTS[key]
    count = denominator if part == "denominator" and denominator is not None else numerator
    counts = {pk: n for pk, s in sums_by_case(target.where, p.first, p.last).items() if (n := count(s))}
    return Behind(key, LABELS[key], part, target, p, counts)
