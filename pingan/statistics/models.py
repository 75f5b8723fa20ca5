"""Figures Pingan does not own (GOVERNANCE §8): 刑事案件立案数, 火灾起数, 安全感… entered or imported per
region or unit and period, then shown beside Pingan's own KPIs and usable in scoring schemes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Indicator(models.Model):
    class Direction(models.TextChoices):
        UP = "up", "越高越好"
        DOWN = "down", "越低越好"

    class Aggregation(models.TextChoices):
        SUM = "sum", "求和"
        MEAN = "mean", "平均"

    code = models.CharField("指标代码", max_length=32, unique=True)
    name = models.CharField("指标名称", max_length=64)
    unit = models.CharField("计量单位", max_length=16, blank=True)
    source = models.CharField("来源部门", max_length=64)
    direction = models.CharField("方向", max_length=4, choices=Direction.choices, default=Direction.DOWN)
    aggregation = models.CharField(
        "汇总方式", max_length=4, choices=Aggregation.choices, default=Aggregation.SUM
    )
    # A survey figure (安全感, 满意度…) carries its sample size, and means weigh by it.
    survey = models.BooleanField("调查类指标（填写样本量）", default=False)
    target = models.DecimalField("目标值", max_digits=16, decimal_places=4, null=True, blank=True)
    order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "统计指标"
        verbose_name_plural = "统计指标"
        ordering = ["source", "order", "code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit}）" if self.unit else self.name


class StatisticValue(models.Model):
    """One figure of one indicator for one region or unit and one period."""

    class Via(models.TextChoices):
        FORM = "form", "页面填报"
        IMPORT = "import", "Excel 导入"
        API = "api", "接口报送"

    indicator = models.ForeignKey(
        Indicator, verbose_name="指标", on_delete=models.PROTECT, related_name="values"
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name="区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        "regions.Unit", verbose_name="单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField("期间", max_length=8)
    starts_on = models.DateField("起始日")
    ends_on = models.DateField("截止日（不含）")
    value = models.DecimalField("数值", max_digits=16, decimal_places=4)
    sample_size = models.PositiveIntegerField("样本量", null=True, blank=True)
    via = models.CharField("来源", max_length=8, choices=Via.choices, default=Via.FORM)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填报人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField("填报时间", default=timezone.now)

    class Meta:
        verbose_name = "统计数值"
        verbose_name_plural = "统计数值"
        ordering = ["indicator", "-starts_on", "region", "unit"]
        constraints = [
            models.CheckConstraint(
                condition=Q(region__isnull=True) ^ Q(unit__isnull=True), name="statistic_region_or_unit"
            ),
            models.UniqueConstraint(
                fields=["indicator", "region", "period"],
                condition=Q(region__isnull=False),
                name="statistic_one_per_region_period",
            ),
            models.UniqueConstraint(
                fields=["indicator", "unit", "period"],
                condition=Q(unit__isnull=False),
                name="statistic_one_per_unit_period",
            ),
        ]
        indexes = [models.Index(fields=["indicator", "starts_on"], name="statistic_indicator_start")]

    def __str__(self) -> str:
        return f"{self.indicator.name} {self.period} {self.subject_code}"

    @property
    def subject_code(self) -> str:
        return self.region_id or (self.unit.code if self.unit else "")
