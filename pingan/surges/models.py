"""研判预警: aggregate alerts of unusual case counts (a rise in a village and category, reports piling
up at one address, a large 群体性 case), and the daily runs that raise them.

An alert names a place, a category and counts, never a person: no reporter, party, name or phone. It
is read by the dispatchers, supervisors and leaders whose region covers it; dispatchers act on it
(dismiss with a reason, or open a rectification case). Rows are never deleted."""

from django.conf import settings
from django.db import models


class SurgeAlert(models.Model):
    class Kind(models.TextChoices):
        RISE = "rise", "数量异常上升"
        CLUSTER = "cluster", "同一地点集中报告"
        GROUP = "group", "较大群体性事项"

    class Status(models.TextChoices):
        OPEN = "open", "待研判"
        DISMISSED = "dismissed", "已排除"
        CASE_OPENED = "case_opened", "已转整改"

    # What makes a re-run of the same day write nothing twice: kind, place, category and window (or,
    # for a group alert, the case). See detection.alert_key.
    key = models.CharField("去重键", max_length=96, unique=True)
    kind = models.CharField("预警类型", max_length=8, choices=Kind.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name="区划", on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        "cases.Category",
        verbose_name="分类",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The address the reports of a cluster share (as written on the cases, which everyone who reads
    # the alert may read); blank for the other kinds.
    place = models.CharField("地点", max_length=200, blank=True)
    window_start = models.DateField("统计起始日")
    window_end = models.DateField("统计截止日")  # inclusive
    count = models.PositiveIntegerField("件数")  # a group alert: the people involved
    baseline = models.FloatField("基线（前8周周均）", null=True, blank=True)
    p_value = models.FloatField("P 值", null=True, blank=True)
    source_case = models.ForeignKey(
        "cases.Case", verbose_name="群体性案件", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    run_day = models.DateField("研判日期")
    detected_at = models.DateTimeField("发现时间")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.OPEN)
    reason = models.TextField("排除理由", max_length=2000, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="整改案件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="处理人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    acted_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = "研判预警"
        verbose_name_plural = "研判预警"
        ordering = ["-run_day", "-id"]
        indexes = [
            models.Index(fields=["run_day", "region"], name="surgealert_day_region"),
            models.Index(fields=["status", "region"], name="surgealert_status_region"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region_id} {self.count}"


class SurgeRun(models.Model):
    """One daily detection: what it looked at and what it found. A re-run of a day updates its row."""

    day = models.DateField("研判日期", unique=True)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    counts = models.JSONField("结果", default=dict)

    class Meta:
        verbose_name = "研判运行记录"
        verbose_name_plural = "研判运行记录"
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day} {self.counts}"
