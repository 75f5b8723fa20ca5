"""Configuration as data (DESIGN §5): categories, time limits, routing and the business calendar."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from .case import Stream


class TimeUnit(models.TextChoices):
    WORK_HOURS = "work_hours", "工作时"
    WORK_DAYS = "work_days", "工作日"
    NATURAL_DAYS = "natural_days", "自然日"


class Category(models.Model):
    code = models.CharField("分类代码", max_length=16, unique=True)
    stream = models.CharField("业务类型", max_length=16, choices=Stream.choices)
    name = models.CharField("名称", max_length=64)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级分类",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    evidence_required = models.BooleanField("办结须上传佐证材料", default=False)
    default_lead_unit = models.ForeignKey(
        "regions.Unit", verbose_name="默认牵头单位", null=True, blank=True, on_delete=models.SET_NULL
    )
    sort = models.PositiveIntegerField("排序", default=0)
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "事项分类"
        verbose_name_plural = "事项分类"
        ordering = ["stream", "sort", "code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class TimeLimitRule(models.Model):
    """How long a step may take. The most specific rule effective when the clock starts wins:
    the category itself, then its ancestors, then the stream default (no category); a rule for the
    case's severity beats one for any severity."""

    class Step(models.TextChoices):
        ACCEPT = "accept", "受理"
        SIGN = "sign", "签收"
        RESOLVE = "resolve", "办理"
        CHECK = "check", "核查"

    stream = models.CharField("业务类型", max_length=16, choices=Stream.choices)
    category = models.ForeignKey(
        Category,
        verbose_name="分类",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="time_limits",
    )
    severity = models.CharField("严重程度", max_length=8, blank=True, help_text="留空表示不限")
    step = models.CharField("环节", max_length=8, choices=Step.choices)
    amount = models.PositiveIntegerField("时限")
    unit = models.CharField("计时单位", max_length=16, choices=TimeUnit.choices)
    max_extension_days = models.PositiveIntegerField("最长延期（自然日）", null=True, blank=True)
    effective_from = models.DateField("生效日期", null=True, blank=True)
    effective_to = models.DateField("失效日期", null=True, blank=True)

    class Meta:
        verbose_name = "办理时限规则"
        verbose_name_plural = "办理时限规则"
        ordering = ["stream", "step"]

    def __str__(self) -> str:
        return f"{self.stream}·{self.get_step_display()}·{self.amount}{self.get_unit_display()}"


class RoutingRule(models.Model):
    """(category, region subtree) → lead unit; the longest region code, then the deepest category, wins."""

    category = models.ForeignKey(Category, verbose_name="分类", on_delete=models.CASCADE)
    region = models.ForeignKey("regions.Region", verbose_name="区划（含下级）", on_delete=models.CASCADE)
    lead_unit = models.ForeignKey("regions.Unit", verbose_name="牵头单位", on_delete=models.CASCADE)
    effective_from = models.DateField("生效日期", null=True, blank=True)
    effective_to = models.DateField("失效日期", null=True, blank=True)

    class Meta:
        verbose_name = "分派规则"
        verbose_name_plural = "分派规则"

    def __str__(self) -> str:
        return f"{self.category} × {self.region} → {self.lead_unit}"


def effective_on(day) -> Q:
    return (Q(effective_from__isnull=True) | Q(effective_from__lte=day)) & (
        Q(effective_to__isnull=True) | Q(effective_to__gte=day)
    )


class CalendarDay(models.Model):
    """An exception to Monday–Friday: a holiday on a weekday, or a make-up working day on a weekend."""

    date = models.DateField("日期", primary_key=True)
    is_workday = models.BooleanField("是否工作日")
    note = models.CharField("说明", max_length=32, blank=True)

    class Meta:
        verbose_name = "节假日安排"
        verbose_name_plural = "节假日安排"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'调休上班' if self.is_workday else '放假'} {self.note}"


class RetentionPolicy(models.Model):
    """How long a stream's ended cases keep their personal data and files (DESIGN §8).

    Counted from the case's end (结案、不予受理、撤回、合并); `pingan purge` then clears the personal data
    and files and keeps the case as a tombstone for the statistics."""

    stream = models.CharField("业务类型", max_length=16, choices=Stream.choices, unique=True)
    # A floor, so that a slip in the admin cannot purge cases the day they close.
    days = models.PositiveIntegerField(
        "保存期限（日）", validators=[MinValueValidator(30, "保存期限不能少于 30 日。")]
    )

    class Meta:
        verbose_name = "保存期限"
        verbose_name_plural = "保存期限"
        ordering = ["stream"]

    def __str__(self) -> str:
        return f"{self.get_stream_display()}：{self.days} 日"
