"""Imported statistics for the demo county (GOVERNANCE §8): the usual indicators of 公安, 应急, 消防,
政法委 and 统计局, and two years of invented monthly (surveys: quarterly; population: yearly) figures
per town, entered through the real action as the county's supervisor."""

import random
from datetime import date
from decimal import Decimal

from pingan.core.periods import Period, make, period_of
from pingan.statistics.actions import NewFigure, set_values
from pingan.statistics.models import Indicator, StatisticValue

from .county import County

# code, name, unit, source, direction, aggregation, survey, target, typical monthly figure per town
DEFINITIONS = (
    ("criminal_cases", "刑事案件立案数", "起", "县公安局", "down", "sum", False, None, 9),
    ("criminal_solved", "刑事案件破案数", "起", "县公安局", "up", "sum", False, None, 6),
    ("public_order_cases", "治安案件数", "起", "县公安局", "down", "sum", False, None, 14),
    ("telecom_fraud_cases", "电信网络诈骗案件数", "起", "县公安局", "down", "sum", False, None, 4),
    ("telecom_fraud_loss", "电信网络诈骗损失", "万元", "县公安局", "down", "sum", False, None, 12),
    ("work_accidents", "生产安全事故起数", "起", "县应急管理局", "down", "sum", False, None, 1),
    ("work_accident_deaths", "生产安全事故死亡人数", "人", "县应急管理局", "down", "sum", False, "0", 0),
    ("fires", "火灾起数", "起", "县消防救援大队", "down", "sum", False, None, 2),
    ("sense_of_safety", "群众安全感", "%", "县委政法委", "up", "mean", True, "95", 95),
    ("satisfaction", "政法队伍满意度", "%", "县委政法委", "up", "mean", True, "90", 91),
    ("awareness", "平安建设知晓率", "%", "县委政法委", "up", "mean", True, "85", 86),
    ("population", "常住人口", "人", "县统计局", "up", "sum", False, None, 26000),
)


def create_indicators() -> list[Indicator]:
    rows = enumerate(DEFINITIONS)
    return [
        Indicator.objects.get_or_create(
            code=code,
            defaults={
                "name": name, "unit": unit, "source": source, "direction": direction,
                "aggregation": aggregation, "survey": survey, "order": order,
                "target": Decimal(target) if target is not None else None,
            },
        )[0]
        for order, (code, name, unit, source, direction, aggregation, survey, target, _) in rows
    ]  # fmt: skip


def seed_statistics(county: County, *, today: date | None = None, seed: int = 0) -> int:
    """Two years of figures up to last month; nothing when figures exist. Returns how many."""
    if StatisticValue.objects.exists():
        return 0
    indicators = {i.code: i for i in create_indicators()}
    rng = random.Random(seed)
    last = period_of("month", (today or date.today()).replace(day=1)).previous()
    months = [last]
    while len(months) < 24:
        months.append(months[-1].previous())
    figures: list[NewFigure] = []
    for town in county.towns:
        size = rng.uniform(0.6, 1.5)  # towns differ in size, and so do their figures
        for code, *_, typical in DEFINITIONS:
            indicator = indicators[code]
            for period in _periods_of(indicator, months):
                figures.append(_figure(indicator, period, town, typical, size, rng, last))
    set_values(figures, by=county.users["supervisor"], via=StatisticValue.Via.IMPORT)
    return len(figures)


def _periods_of(indicator: Indicator, months: list[Period]) -> list[Period]:
    if indicator.code == "population":
        return sorted({make("year", m.year) for m in months}, key=lambda p: p.start)
    if indicator.survey:  # surveys are quarterly; only quarters that have ended
        quarters = {period_of("quarter", m.start) for m in months}
        return sorted((q for q in quarters if q.end <= months[0].end), key=lambda p: p.start)
    return months


def _figure(indicator, period, town, typical, size, rng, last) -> NewFigure:
    f = NewFigure(indicator, period, town, None)
    years_back = (last.start - period.start).days / 365
    if indicator.survey:
        value = min(99.5, typical + rng.uniform(-3, 2) - years_back)  # a little better every year
        f.sample_size = rng.randint(150, 400)
    elif indicator.code == "work_accident_deaths":  # rare: a death vetoes the town's assessment
        value = 1 if rng.random() < 0.03 else 0
    elif indicator.code == "population":
        value = typical * size * (1 - 0.004 * years_back)
    else:
        trend = 1 + 0.08 * years_back  # crime and accidents a little lower each year
        value = max(0.0, rng.gauss(typical * size * trend, max(0.8, typical * 0.25)))
        value = value if indicator.code == "telecom_fraud_loss" else round(value)
    f.value = Decimal(str(round(value, 1)))
    return f
