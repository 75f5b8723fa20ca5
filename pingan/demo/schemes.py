"""The demo's scoring schemes (GOVERNANCE §3): a 100-point scheme for towns and one for county
departments, in force from two years back, with the floors and targets a county 平安办 might set for
the demo's figures. Rates are fractions (0.9 is 90 %); statistics are read by their indicator codes
(pingan/demo/statistics.py)."""

from datetime import date
from decimal import Decimal

from pingan.assessment.models import Deduction, Item, Scheme, Veto
from pingan.statistics.models import Indicator

from .statistics import create_indicators

# name, KPI key or "statistic:code", weight, direction, floor, target
TOWN_ITEMS = (
    ("按期办结率", "closed_on_time_rate", 25, "up", "0.5", "0.85"),
    ("按时受理率", "accepted_on_time_rate", 10, "up", "0.6", "0.95"),
    ("矛盾纠纷化解率", "resolution_rate", 15, "up", "0.4", "0.85"),
    ("就地化解率", "local_resolution_rate", 10, "up", "0.3", "0.75"),
    ("群众满意率", "satisfaction_rate", 15, "up", "0.6", "0.95"),
    ("返工率", "rework_rate", 5, "down", "0.2", "0.03"),
    ("督办件按期办结率", "supervised_on_time_rate", 5, "up", "0.3", "0.85"),
    ("积案化解率", "backlog_resolution_rate", 5, "up", "0.2", "0.8"),
    ("群众安全感（季度调查）", "statistic:sense_of_safety", 10, "up", "85", "98"),
)
TOWN_DEDUCTIONS = (
    ("超期未办结案件", "overdue_open", "0.2", "5"),
    ("生产安全事故", "statistic:work_accidents", "1", "4"),
    ("火灾", "statistic:fires", "0.5", "2"),
)
TOWN_VETOES = (("发生生产安全事故死亡", "statistic:work_accident_deaths", "gt", "0"),)

UNIT_ITEMS = (
    ("按期办结率", "closed_on_time_rate", 35, "up", "0.5", "0.85"),
    ("群众满意率", "satisfaction_rate", 20, "up", "0.6", "0.95"),
    ("矛盾纠纷化解率", "resolution_rate", 15, "up", "0.4", "0.85"),
    ("返工率", "rework_rate", 10, "down", "0.2", "0.03"),
    ("督办件按期办结率", "supervised_on_time_rate", 10, "up", "0.3", "0.85"),
    ("回访参评率", "rating_rate", 10, "up", "0.4", "0.8"),
)
UNIT_DEDUCTIONS = (("超期未办结案件", "overdue_open", "0.5", "10"),)


def _source(key: str, indicators: dict[str, Indicator]) -> dict:
    if key.startswith("statistic:"):
        return {"indicator": indicators[key.split(":", 1)[1]]}
    return {"kpi": key}


def create_schemes(effective_from: date) -> list[Scheme]:
    """The two schemes, in force from `effective_from`; the existing ones when there are any."""
    if Scheme.objects.exists():
        return list(Scheme.objects.all())
    indicators = {i.code: i for i in create_indicators()}
    made = []
    for code, name, level, items, deductions, vetoes in (
        ("town-2025", "乡镇（街道）平安建设考核方案", "town", TOWN_ITEMS, TOWN_DEDUCTIONS, TOWN_VETOES),
        ("unit-2025", "县直部门平安建设考核方案", "unit", UNIT_ITEMS, UNIT_DEDUCTIONS, ()),
    ):
        note = "满分 100 分；等次：A ≥ 90，B ≥ 75，C ≥ 60，D ≥ 40，其余为 E。"
        scheme = Scheme.objects.create(
            code=code, name=name, level=level, effective_from=effective_from, note=note
        )
        for order, (label, key, weight, direction, floor, target) in enumerate(items):
            Item.objects.create(
                scheme=scheme, order=order, name=label, weight=weight, direction=direction,
                floor=Decimal(floor), target=Decimal(target), **_source(key, indicators),
            )  # fmt: skip
        for order, (label, key, per, cap) in enumerate(deductions):
            Deduction.objects.create(
                scheme=scheme, order=order, name=label, per=Decimal(per), cap=Decimal(cap),
                **_source(key, indicators),
            )  # fmt: skip
        for order, (label, key, comparison, threshold) in enumerate(vetoes):
            Veto.objects.create(
                scheme=scheme, order=order, name=label, comparison=comparison,
                threshold=Decimal(threshold), **_source(key, indicators),
            )  # fmt: skip
        made.append(scheme)
    return made


def seed_schemes(*, today: date | None = None) -> int:
    """The demo's schemes from the start of the year two years back; 0 when schemes exist."""
    if Scheme.objects.exists():
        return 0
    return len(create_schemes(date((today or date.today()).year - 2, 1, 1)))
