"""督办 records (GOVERNANCE §4): who supervises a case, what they require, and the progress reports owed.

A case has at most one supervision in force (a partial unique constraint, as Wagtail keeps one workflow
per object); `Case.supervision_level` mirrors its level for the ledger filters and the home tile, and the
actions that change the record change the mirror in the same transaction.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from pingan.cases.models import Case, WorkRecord


class Supervision(models.Model):
    class Level(models.TextChoices):
        ROUTINE = "routine", "日常督办"
        LISTED = "listed", "挂牌督办"

    case = models.ForeignKey(Case, verbose_name="案件", on_delete=models.CASCADE, related_name="supervisions")
    level = models.CharField("督办级别", max_length=8, choices=Level.choices)
    requirement = models.TextField("督办要求", max_length=2000)
    report_every_days = models.PositiveSmallIntegerField("报告间隔（日）")
    deadline = models.DateField("督办时限", null=True, blank=True)
    # None: the system, which lists a major hazard when it is accepted (DESIGN §4).
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="督办人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField("督办时间")
    next_report_due = models.DateTimeField("下次报告截止")
    last_report_at = models.DateTimeField("最近报告时间", null=True, blank=True)
    # The due of the first cycle missed since the last report: the handler is behind until he reports.
    missed_since = models.DateTimeField("逾期未报起算", null=True, blank=True)
    lifted_at = models.DateTimeField("解除时间", null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="解除人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lift_note = models.TextField("解除说明", max_length=2000, blank=True)

    class Meta:
        verbose_name = "督办"
        verbose_name_plural = "督办"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(lifted_at__isnull=True), name="one_supervision_in_force_per_case"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_report_due"], condition=Q(lifted_at__isnull=True), name="supervision_report_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()}（案件 {self.case_id}）"


class ProgressReport(models.Model):
    """One progress report: the work record the handler wrote, and whether it came by its due."""

    supervision = models.ForeignKey(Supervision, on_delete=models.CASCADE, related_name="reports")
    work_record = models.OneToOneField(WorkRecord, on_delete=models.CASCADE, related_name="+")
    filed_at = models.DateTimeField("报告时间")
    due = models.DateTimeField("应报截止")
    on_time = models.BooleanField("按时报告")

    class Meta:
        verbose_name = "督办进展报告"
        verbose_name_plural = "督办进展报告"
        ordering = ["-filed_at", "-id"]

    def __str__(self) -> str:
        return f"进展报告 {self.filed_at:%Y-%m-%d}"
