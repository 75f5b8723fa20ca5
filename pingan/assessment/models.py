"""Scoring schemes (GOVERNANCE §3) as data, edited by `admin` in the admin (audited): for towns or for
county departments, in force between two dates, with scored items, deductions and vetoes. How a scheme
turns figures into a score is pingan.assessment.scoring; these are only the rules as entered."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .kpis import KEYS, LABELS, is_rate

# Figures of the 排查月报 a rule may read (`screening:<key>`): a share, like the KPI rates.
SCREENING_SOURCES = {"reporting_rate": "矛盾纠纷排查按时报送率"}


class Scheme(models.Model):
    class Level(models.TextChoices):
        TOWN = "town", "乡镇（街道）"
        UNIT = "unit", "县直部门（单位）"

    code = models.CharField("方案代码", max_length=32, unique=True)
    name = models.CharField("方案名称", max_length=64)
    level = models.CharField("考核对象", max_length=8, choices=Level.choices)
    effective_from = models.DateField("生效日期")
    effective_to = models.DateField("截止日期（含）", null=True, blank=True, help_text="留空为长期有效。")
    note = models.TextField("说明", max_length=2000, blank=True)

    class Meta:
        verbose_name = "考核方案"
        verbose_name_plural = "考核方案"
        ordering = ["level", "-effective_from", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": "截止日期不能早于生效日期。"})
        if not self.effective_from or not self.level:
            return
        # One scheme of a level in force on any day, so that "the scheme in force" is never a choice.
        overlapping = Scheme.objects.filter(level=self.level).exclude(pk=self.pk)
        overlapping = overlapping.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=self.effective_from)
        )
        if self.effective_to:
            overlapping = overlapping.filter(effective_from__lte=self.effective_to)
        other = overlapping.first()
        if other is not None:
            raise ValidationError({"effective_from": f"与同类考核方案“{other.name}”的有效期重叠。"})

    def in_force_on(self, day) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class Source(models.Model):
    """What a rule reads: one KPI of GOVERNANCE §2 or one imported statistic (§8)."""

    name = models.CharField("名称", max_length=64)
    kpi = models.CharField("考核指标", max_length=32, blank=True, choices=[(k, LABELS[k]) for k in KEYS])
    indicator = models.ForeignKey(
        "statistics.Indicator",
        verbose_name="统计指标",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    screening = models.CharField(
        "排查指标", max_length=32, blank=True, choices=[(k, v) for k, v in SCREENING_SOURCES.items()]
    )
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        abstract = True
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        """The KPI key, `statistic:` and the indicator code (an indicator may share a KPI's name), or
        `screening:` and a figure of the 排查月报 (GOVERNANCE §9)."""
        if self.kpi:
            return self.kpi
        if self.indicator:
            return f"statistic:{self.indicator.code}"
        return f"screening:{self.screening}" if self.screening else ""

    def clean(self) -> None:
        if [bool(self.kpi), self.indicator_id is not None, bool(self.screening)].count(True) != 1:
            raise ValidationError({"kpi": "考核指标、统计指标和排查指标应选且只选其一。"})


class Item(Source):
    """A scored item: `weight` points at the target, none at the floor, linear between them."""

    class Direction(models.TextChoices):
        UP = "up", "越高越好"
        DOWN = "down", "越低越好"

    scheme = models.ForeignKey(
        Scheme, verbose_name="考核方案", on_delete=models.CASCADE, related_name="items"
    )
    weight = models.DecimalField("分值", max_digits=6, decimal_places=2)
    direction = models.CharField("方向", max_length=4, choices=Direction.choices, default=Direction.UP)
    floor = models.DecimalField(
        "起评值（0 分）", max_digits=16, decimal_places=4, help_text="比率按小数填写，如 60% 填 0.6。"
    )
    target = models.DecimalField("目标值（满分）", max_digits=16, decimal_places=4)

    class Meta(Source.Meta):
        verbose_name = "计分项"
        verbose_name_plural = "计分项"

    def clean(self) -> None:
        super().clean()
        if self.weight is not None and self.weight <= 0:
            raise ValidationError({"weight": "分值应大于 0。"})
        if self.floor is None or self.target is None:
            return
        if self.direction == self.Direction.UP and not self.target > self.floor:
            raise ValidationError({"target": "越高越好的指标，目标值应高于起评值。"})
        if self.direction == self.Direction.DOWN and not self.target < self.floor:
            raise ValidationError({"target": "越低越好的指标，目标值应低于起评值。"})


class Deduction(Source):
    """Points off per case or incident counted (超期件、生产安全事故…), at most `cap`."""

    scheme = models.ForeignKey(
        Scheme, verbose_name="考核方案", on_delete=models.CASCADE, related_name="deductions"
    )
    per = models.DecimalField("每件（起）扣分", max_digits=6, decimal_places=2)
    cap = models.DecimalField("扣分上限", max_digits=6, decimal_places=2)

    class Meta(Source.Meta):
        verbose_name = "扣分项"
        verbose_name_plural = "扣分项"

    def clean(self) -> None:
        super().clean()
        if (self.kpi and is_rate(self.kpi)) or self.screening:
            raise ValidationError({"kpi": "扣分项按件（起）数计算，请选择件数类指标（如超期件数）。"})
        for field in ("per", "cap"):
            value = getattr(self, field)
            if value is not None and value <= 0:
                raise ValidationError({field: "应大于 0。"})


class Veto(Source):
    """A condition that makes the grade E whatever the score (一票否决)."""

    class Comparison(models.TextChoices):
        GT = "gt", "大于"
        GE = "ge", "大于等于"
        LT = "lt", "小于"
        LE = "le", "小于等于"

    scheme = models.ForeignKey(
        Scheme, verbose_name="考核方案", on_delete=models.CASCADE, related_name="vetoes"
    )
    comparison = models.CharField("条件", max_length=2, choices=Comparison.choices, default=Comparison.GT)
    threshold = models.DecimalField("阈值", max_digits=16, decimal_places=4)

    class Meta(Source.Meta):
        verbose_name = "否决项"
        verbose_name_plural = "否决项"
