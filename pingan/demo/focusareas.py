"""重点地区 for the demo county (GOVERNANCE §6): the 派出所 of the towns that have one report 警情 per
village (an imported statistic, two years of months), and the county's supervisor lists the two
villages at the top of the ranking as 重点整治地区 — one of them listed long enough ago that its deadline
has passed — and a third, listed last year, has been delisted after 验收. All through the real actions."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from pingan.core.periods import Period, period_of
from pingan.focusareas import actions
from pingan.focusareas.models import FocusArea
from pingan.focusareas.ranking import INCIDENTS, rank_villages, window_for
from pingan.regions.models import Region
from pingan.statistics.actions import NewFigure, set_values
from pingan.statistics.models import Indicator, StatisticValue

from .county import County

MONTHS = 24
INCIDENTS_PER_1000_A_MONTH = 1.6


def incident_indicator() -> Indicator:
    return Indicator.objects.get_or_create(
        code=INCIDENTS,
        defaults={"name": "警情数", "unit": "起", "source": "县公安局", "direction": "down",
                  "aggregation": "sum", "order": 13},
    )[0]  # fmt: skip


def seed_incidents(county: County, *, today: date | None = None, seed: int = 0) -> int:
    """Monthly 警情 per village of the towns with a 派出所, for two years up to last month; nothing when
    some exist. A village's figure follows its population, a little lower each year."""
    indicator = incident_indicator()
    if StatisticValue.objects.filter(indicator=indicator).exists():
        return 0
    rng = random.Random(seed + 6)
    months: list[Period] = [period_of("month", (today or timezone.localdate()).replace(day=1)).previous()]
    while len(months) < MONTHS:
        months.append(months[-1].previous())
    policed = [t for t in county.towns if f"{t.code}-police" in county.units]
    villages = Region.objects.filter(parent__in=policed, population__isnull=False).order_by("code")
    figures = []
    for village in villages:
        busy = rng.uniform(0.5, 1.8)  # a market village by the highway, a quiet one in the hills
        monthly = (village.population or 0) / 1000 * INCIDENTS_PER_1000_A_MONTH * busy
        for i, month in enumerate(months):
            expected = monthly * (1 + 0.06 * i / 12)  # i months back: a little higher then
            figure = NewFigure(indicator, month, village, None)
            figure.value = Decimal(max(0, round(rng.gauss(expected, max(1.0, expected * 0.3)))))
            figures.append(figure)
    set_values(figures, by=county.users["supervisor"], via=StatisticValue.Via.IMPORT)
    return len(figures)


def seed_focus_areas(county: County) -> int:
    """The two worst villages of the county listed, one delisted after 验收; nothing when any exist."""
    if FocusArea.objects.exists():
        return 0
    supervisor = county.users["supervisor"]
    scope = Region.objects.get(code=county.code)
    ranked = [r for r in rank_villages(scope, window_for()).rows if r.rank is not None and r.cases]
    if len(ranked) < 3:
        return 0
    now = timezone.now()
    reason = "近12个月千人发案率 {}，居全县第 {} 位，矛盾纠纷和群众诉求集中，列为重点整治地区，限期整治。"
    top, late = ranked[0], ranked[1]
    actions.list_area(
        by=supervisor,
        region=top.region.code,
        reason=reason.format(top.rate, top.rank),
        deadline=timezone.localdate(now) + timedelta(days=75),
        at=now - timedelta(days=15),
    )
    # Listed three months ago with a 30-day deadline that has passed: the page marks it 已逾期.
    at = now - timedelta(days=90)
    actions.list_area(
        by=supervisor,
        region=late.region.code,
        reason=reason.format(late.rate, late.rank),
        deadline=timezone.localdate(at) + timedelta(days=30),
        at=at,
    )
    # A village listed last year that has come right down the table since: delisted after 验收.
    past, at = ranked[-1], now - timedelta(days=300)
    earlier = actions.list_area(
        by=supervisor,
        region=past.region.code,
        at=at,
        deadline=timezone.localdate(at) + timedelta(days=90),
        reason="上年千人发案率居全县前列，邻里纠纷和土地纠纷多发。",
    )
    actions.delist(
        earlier,
        by=supervisor,
        at=now - timedelta(days=190),
        note="经县平安办组织验收：纠纷排查化解机制已建立，发案率明显下降，同意摘牌。",
    )
    return 3
