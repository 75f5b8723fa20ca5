"""A scheme's rules applied to one town's or one department's figures (GOVERNANCE §3): the maths only,
with no database, so that it can be checked by hand.

- A scored item earns `weight` × (value − floor) ÷ (target − floor), held between 0 and `weight`: no
  points at or beyond the floor, full points at or beyond the target, linear between. The same formula
  serves both directions: for "lower is better" the target lies below the floor.
- A null figure (a rate whose denominator is 0, a statistic not entered) is neither good nor bad: the
  item is left out and the points earned are scaled to the weights that count, so a town with no
  backlog case is judged on the rest instead of gaining or losing the 积案 item's points. With no
  item counting at all there is no score (and no rank).
- Deductions: `per` points for each case or incident counted, at most `cap`; a null figure deducts
  nothing. The score never goes below 0.
- A veto (一票否决) whose condition holds makes the grade E whatever the score; a null figure never
  vetoes. Vetoed subjects rank after all others.
- Grade bands on the score as a share of the scheme's full mark (the sum of the item weights; 100 for
  the demo's schemes): A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, else E.
"""

import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

GRADES = (("A", 90), ("B", 75), ("C", 60), ("D", 40))
LOWEST = "E"
COMPARE = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}

Number = int | float | Decimal


def _num(value: Number | None) -> float | None:
    return None if value is None else float(value)


def item_points(weight: Number, floor: Number, target: Number, value: Number | None) -> float | None:
    v = _num(value)
    if v is None:
        return None
    share = (v - float(floor)) / (float(target) - float(floor))
    return round(float(weight) * min(1.0, max(0.0, share)), 2)


def deduction_points(per: Number, cap: Number, value: Number | None) -> float:
    v = _num(value)
    if not v or v < 0:
        return 0.0
    return round(min(float(cap), float(per) * v), 2)


def vetoes(comparison: str, threshold: Number, value: Number | None) -> bool:
    v = _num(value)
    return v is not None and COMPARE[comparison](v, float(threshold))


def grade_for(score: float | None, full: float) -> str | None:
    if score is None or full <= 0:
        return None
    share = score / full * 100
    return next((grade for grade, least in GRADES if share >= least - 1e-9), LOWEST)


@dataclass
class Result:
    score: float | None
    grade: str | None
    items: list[dict] = field(default_factory=list)
    deductions: list[dict] = field(default_factory=list)
    vetoes: list[dict] = field(default_factory=list)  # those whose condition held

    @property
    def vetoed(self) -> bool:
        return bool(self.vetoes)


def score(items: Iterable, deductions: Iterable, veto_rules: Iterable, figures: Mapping) -> Result:
    """Apply a scheme's rules (Item, Deduction and Veto rows, or anything with their fields and `key`)
    to `figures` {key: value or None}."""
    result = Result(None, None)
    full = counted = earned = 0.0
    for item in items:
        value = figures.get(item.key)
        points = item_points(item.weight, item.floor, item.target, value)
        full += float(item.weight)
        if points is not None:
            counted += float(item.weight)
            earned += points
        result.items.append({"name": item.name, "key": item.key, "value": _num(value),
                             "weight": float(item.weight), "points": points})  # fmt: skip
    deducted = 0.0
    for rule in deductions:
        value = figures.get(rule.key)
        points = deduction_points(rule.per, rule.cap, value)
        deducted += points
        result.deductions.append({"name": rule.name, "key": rule.key, "value": _num(value), "points": points})
    for rule in veto_rules:
        value = figures.get(rule.key)
        if vetoes(rule.comparison, rule.threshold, value):
            result.vetoes.append({"name": rule.name, "key": rule.key, "value": _num(value)})
    if counted:
        result.score = round(max(0.0, earned * full / counted - deducted), 2)
    result.grade = LOWEST if result.vetoed else grade_for(result.score, full)
    return result


def competition_ranks(keys: list[tuple[bool, float | None]]) -> list[int | None]:
    """Ranks for (vetoed, score) pairs, best first, ties sharing a rank (1, 1, 3); vetoed subjects after
    all others; no score, no rank."""
    order = sorted(
        (i for i, (_, s) in enumerate(keys) if s is not None), key=lambda i: (keys[i][0], -(keys[i][1] or 0))
    )
    ranks: list[int | None] = [None] * len(keys)
    for position, i in enumerate(order):
        previous = order[position - 1] if position else None
        same = previous is not None and keys[previous] == keys[i]
        ranks[i] = ranks[previous] if same and previous is not None else position + 1
    return ranks
