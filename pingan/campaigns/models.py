"""专项整治 campaigns (GOVERNANCE §6): phases, indicators, tasks for units with their progress reports,
the 问题清单 (findings, each a `rectification` case) and the 回头看 rounds that re-inspect closed ones.

Cases never know about campaigns (STYLE: layers run one way): a finding is a link from here to its case.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

DEFAULT_PHASES = ("动员部署", "集中整治", "巩固提升", "检查验收")


class Direction(models.TextChoices):
    UP = "up", "越高越好"
    DOWN = "down", "越低越好"


class Campaign(models.Model):
    name = models.CharField("名称", max_length=100)
    scope_regions = models.ManyToManyField("regions.Region", verbose_name="整治范围", related_name="+")
    lead_unit = models.ForeignKey(
        "regions.Unit", verbose_name="牵头单位", on_delete=models.PROTECT, related_name="+"
    )
    units = models.ManyToManyField("regions.Unit", verbose_name="参与单位", blank=True, related_name="+")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    # 回头看: the share of each town's closed findings drawn for re-inspection (every major one besides).
    review_share = models.DecimalField(
        "回头看抽查比例", max_digits=4, decimal_places=3, default=Decimal("0.1")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = "专项整治"
        verbose_name_plural = "专项整治"
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name


class Phase(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="phases")
    position = models.PositiveSmallIntegerField("顺序")
    name = models.CharField("阶段", max_length=32)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")

    class Meta:
        verbose_name = "整治阶段"
        verbose_name_plural = "整治阶段"
        ordering = ["campaign_id", "position"]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveSmallIntegerField("顺序")
    name = models.CharField("指标", max_length=64)
    unit = models.CharField("计量单位", max_length=16, blank=True)
    baseline = models.DecimalField("基数", max_digits=16, decimal_places=4, null=True, blank=True)
    target = models.DecimalField("目标值", max_digits=16, decimal_places=4, null=True, blank=True)
    direction = models.CharField("方向", max_length=4, choices=Direction.choices, default=Direction.UP)
    # A KPI key (`closed_rate`), `statistic:<code>`, or `cases:<ledger query string>`; blank: entered
    # by hand elsewhere, no live value.
    source = models.CharField("数据来源", max_length=500, blank=True)

    class Meta:
        verbose_name = "整治指标"
        verbose_name_plural = "整治指标"
        ordering = ["campaign_id", "position"]

    def __str__(self) -> str:
        return self.name


class Supervision(models.TextChoices):
    NONE = "", "未督办"
    ROUTINE = "routine", "日常督办"
    LISTED = "listed", "挂牌督办"


class Task(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "推进中"
        COMPLETED = "completed", "已完成待验收"
        ACCEPTED = "accepted", "已验收"
        REJECTED = "rejected", "验收未通过"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField("任务", max_length=200)
    unit = models.ForeignKey(
        "regions.Unit", verbose_name="责任单位", on_delete=models.PROTECT, related_name="+"
    )
    official = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="责任领导",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due = models.DateField("完成时限")
    report_every_days = models.PositiveSmallIntegerField("进展报告间隔（日）", null=True, blank=True)
    next_report_due = models.DateField("下次报告截止", null=True, blank=True)
    evidence_required = models.BooleanField("须附佐证材料", default=False)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    accepted_at = models.DateTimeField("验收时间", null=True, blank=True)
    # 督办 of a task: pingan.supervision keeps records for cases only, so a task carries its own flag.
    supervision_level = models.CharField(
        "督办级别", max_length=8, choices=Supervision.choices, default="", blank=True
    )
    supervision_requirement = models.TextField("督办要求", max_length=2000, blank=True)
    supervised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="督办人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    supervised_at = models.DateTimeField("督办时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="下达人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("下达时间", default=timezone.now)

    class Meta:
        verbose_name = "整治任务"
        verbose_name_plural = "整治任务"
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return self.title


class TaskReport(models.Model):
    """What happened to a task: a progress report, its completion, acceptance or rejection."""

    class Kind(models.TextChoices):
        PROGRESS = "progress", "进展报告"
        COMPLETE = "complete", "报告完成"
        ACCEPT = "accept", "验收通过"
        REJECT = "reject", "验收不通过"
        SUPERVISE = "supervise", "督办"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    note = models.TextField("内容", max_length=5000)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填报人", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("时间")
    # For a progress report: filed by the report due then in force.
    on_time = models.BooleanField("按时报告", null=True, blank=True)

    class Meta:
        verbose_name = "任务进展"
        verbose_name_plural = "任务进展"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"


def evidence_path(instance, filename: str) -> str:
    # Random names, as for case attachments: the stored name says nothing about the task.
    return f"campaigns/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class Evidence(models.Model):
    report = models.ForeignKey(TaskReport, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField("文件", upload_to=evidence_path)
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField("大小")

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Finding(models.Model):
    """One item of the 问题清单: a rectification case opened for the campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="findings")
    case = models.OneToOneField(
        "cases.Case", verbose_name="整改案件", on_delete=models.PROTECT, related_name="+"
    )
    # The town the finding lies in (its case's region cut to the town): 清零率 is counted per town.
    town = models.ForeignKey(
        "regions.Region", verbose_name="乡镇（街道）", on_delete=models.PROTECT, related_name="+"
    )
    # The place of the hazard-inspection register the finding was made at (GOVERNANCE §6, §9), if any.
    place = models.ForeignKey(
        "inspections.Place", verbose_name="排查场所", on_delete=models.PROTECT, null=True, blank=True,
        related_name="campaign_findings",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "问题清单"
        verbose_name_plural = "问题清单"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"问题 {self.case_id}"


class ReviewRound(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reviews")
    number = models.PositiveSmallIntegerField("轮次")
    share = models.DecimalField("抽查比例", max_digits=4, decimal_places=3)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="组织人", on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField("抽取时间")

    class Meta:
        verbose_name = "回头看"
        verbose_name_plural = "回头看"
        ordering = ["campaign_id", "number"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="campaign_review_number")]

    def __str__(self) -> str:
        return f"第{self.number}轮回头看"


class ReviewItem(models.Model):
    class Reason(models.TextChoices):
        SAMPLE = "sample", "按比例抽查"
        MAJOR = "major", "重大问题必查"

    class Result(models.TextChoices):
        PENDING = "pending", "待复查"
        PASSED = "passed", "复查合格"
        FAILED = "failed", "复查不合格（反弹）"

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="items")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="reviews")
    reason = models.CharField("抽取原因", max_length=8, choices=Reason.choices)
    result = models.CharField("复查结果", max_length=8, choices=Result.choices, default=Result.PENDING)
    note = models.TextField("复查情况", max_length=2000, blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="复查人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    inspected_at = models.DateTimeField("复查时间", null=True, blank=True)

    class Meta:
        verbose_name = "回头看复查"
        verbose_name_plural = "回头看复查"
        ordering = ["round_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "finding"], name="review_item_once_per_round"),
            # A finding waits in one round at a time: a second draw skips it until it is re-inspected.
            models.UniqueConstraint(
                fields=["finding"], condition=Q(result="pending"), name="review_item_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.finding}"
