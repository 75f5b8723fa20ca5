"""The tests behind the alerts, on plain numbers: the product's detection and benchmarks/surges.py call
the same functions."""

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

WEEKS = 8  # the baseline: the eight weeks before the last seven days
# A category with no case in the baseline is taken as if it had had one: without a floor any three
# cases of a rare category would be "infinitely" unusual.
BASELINE_FLOOR = 1 / WEEKS


def poisson_tail(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam), summed from k upward (accurate for the small tails that matter)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    term = math.exp(-lam + k * math.log(lam) - math.lgamma(k + 1))
    total, i = 0.0, k
    while term > 0 and (term > total * 1e-12 or i < lam):
        total += term
        i += 1
        term *= lam / i
    return min(1.0, total)


def rise(recent: int, baseline_total: int, *, p_max: float, min_cases: int) -> tuple[float, float] | None:
    """(weekly mean of the baseline, P) when the last seven days' count is a surge, else None. The P
    is taken against the mean raised to the floor."""
    if recent < min_cases:
        return None
    mean = baseline_total / WEEKS
    lam = max(mean, BASELINE_FLOOR)
    if recent <= lam:
        return None
    p = poisson_tail(recent, lam)
    return (mean, p) if p < p_max else None


def cluster(
    times: Sequence[datetime], since: datetime, *, reports: int, hours: int
) -> tuple[int, int] | None:
    """The largest run of `times` (sorted) within `hours` that ends at or after `since` and holds at
    least `reports`, as (first index, last index); None when there is none."""
    span = timedelta(hours=hours)
    best: tuple[int, int] | None = None
    first = 0
    for last, t in enumerate(times):
        while t - times[first] > span:
            first += 1
        if t >= since and last - first + 1 >= reports and (best is None or last - first > best[1] - best[0]):
            best = (first, last)
    return best
