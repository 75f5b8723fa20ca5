"""Entering imported statistics: one figure from the form or the API, or a whole workbook at once.
Every figure written is audited with the value it replaced."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from pingan.accounts.scope import scope_of
from pingan.audit.changes import actor_name
from pingan.audit.log import record_many
from pingan.audit.models import AuditEntry
from pingan.core.errors import DomainError, forbidden, invalid
from pingan.core.periods import Period
from pingan.regions.models import Region, Unit

from .access import may_enter, subject_region
from .models import Indicator, StatisticValue

MAX_VALUE = Decimal("1e12")
# Sent once the figures written by `set_values` are committed, with `values` (the saved rows): apps
# above statistics react without statistics knowing them (平安创建 revokes an award on a 命案 figure).
figures_set = Signal()


class NewFigure:
    """A figure checked field by field; `errors` maps a field to its Chinese message."""

    def __init__(self, indicator: Indicator, period: Period, region: Region | None, unit: Unit | None):
        self.indicator, self.period, self.region, self.unit = indicator, period, region, unit
        self.value = Decimal(0)
        self.sample_size: int | None = None
        self.entered = False  # a value was given (an import row may leave an indicator's cell empty)


@transaction.atomic
def set_values(figures: list[NewFigure], *, by, via: str) -> list[StatisticValue]:
    """Write figures (new or replacing), all or none, each with its audit entry."""
    scope = scope_of(by)
    for f in figures:
        if not may_enter(scope, subject_region(f.region, f.unit)):
            raise forbidden("您无权填报该区划或单位的统计数据（需在其所属区划具有“督导”角色）。")
    now = timezone.now()
    saved, entries = [], []
    for f in figures:
        # Ordered by the key alone: the model's ordering joins the nullable region and unit, which
        # PostgreSQL refuses to lock ("FOR UPDATE cannot be applied to the nullable side of an outer join").
        row = StatisticValue.objects.select_for_update().filter(
            indicator=f.indicator, region=f.region, unit=f.unit, period=f.period.key
        ).order_by("pk").first() or StatisticValue(
            indicator=f.indicator, region=f.region, unit=f.unit, period=f.period.key
        )
        old = None if row.pk is None else str(row.value)
        row.starts_on, row.ends_on = f.period.start, f.period.end
        row.value, row.sample_size = f.value, f.sample_size
        row.via, row.entered_by, row.entered_at = via, by, now
        row.save()
        saved.append(row)
        entries.append(
            AuditEntry(
                at=now,
                actor=actor_name(by),
                action="statistic.set",
                object_type="statistics.statisticvalue",
                object_id=str(row.pk),
                data={
                    "indicator": f.indicator.code,
                    "subject": row.subject_code,
                    "period": f.period.key,
                    "value": str(f.value),
                    "replaced": old,
                    "via": via,
                },
            )
        )
    record_many(entries)
    transaction.on_commit(lambda: figures_set.send(sender=StatisticValue, values=saved))
    return saved


def parse_value(raw) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError from None
    if not value.is_finite() or value < 0 or value >= MAX_VALUE:
        raise ValueError
    return value.quantize(Decimal("0.0001"))


def value_error(indicator: Indicator) -> str:
    return f"“{indicator.name}”应为不小于 0 的数字（如 12 或 95.6）。"


def sample_error(indicator: Indicator, sample_size) -> str | None:
    if indicator.survey and not sample_size:
        return f"“{indicator.name}”是调查类指标，请同时填写样本量（正整数）。"
    if not indicator.survey and sample_size:
        return f"“{indicator.name}”不是调查类指标，不填写样本量。"
    return None


def figure_from(indicator: Indicator, period: Period, region, unit, value, sample_size) -> NewFigure:
    """One figure from the form or the API; a bad field is a 400 naming it."""
    f = NewFigure(indicator, period, region, unit)
    try:
        f.value = parse_value(value)
    except ValueError:
        raise invalid({"value": value_error(indicator)}) from None
    problem = sample_error(indicator, sample_size)
    if problem:
        raise invalid({"sample_size": problem})
    f.sample_size = sample_size or None
    return f


def indicator_of(code) -> Indicator:
    indicator = Indicator.objects.filter(code=str(code), active=True).first()
    if indicator is None:
        raise DomainError("unknown_indicator", f"没有代码为“{code}”的在用统计指标。")
    return indicator
