"""包案 (GOVERNANCE §7): 「一个问题、一名领导、一套班子、一个方案、一抓到底」.

A case taken under 包案 has one assignment in force: the leader, his team of units and his dated plan.
`Case.responsible_leader` and `Case.leader_signed_off_at` mirror the assignment in force (the desk, the
ledger and the archive check read the case row); a new assignment ends the previous one, which is kept.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .case import Case


class LeaderAssignment(models.Model):
    case = models.ForeignKey(
        Case, verbose_name="案件", on_delete=models.CASCADE, related_name="leader_assignments"
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="包案领导", on_delete=models.PROTECT, related_name="+"
    )
    team_units = models.ManyToManyField("regions.Unit", verbose_name="工作专班单位", related_name="+")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="指定人", on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField("指定时间")
    signed_off_at = models.DateTimeField("签字销号时间", null=True, blank=True)
    sign_off_note = models.TextField("销号意见", max_length=2000, blank=True)
    ended_at = models.DateTimeField("改由他人包案时间", null=True, blank=True)

    class Meta:
        verbose_name = "包案"
        verbose_name_plural = "包案"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(ended_at__isnull=True), name="one_leader_assignment_per_case"
            )
        ]

    def __str__(self) -> str:
        return f"包案（案件 {self.case_id}）"


class PlanStep(models.Model):
    """One dated step of the 包案 plan (倒排工期): late when not done by the end of its due day."""

    assignment = models.ForeignKey(LeaderAssignment, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField("序号")
    text = models.CharField("工作步骤", max_length=200)
    due = models.DateField("完成期限")
    done_at = models.DateTimeField("完成时间", null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="完成登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField("完成情况", max_length=2000, blank=True)

    class Meta:
        verbose_name = "包案工作步骤"
        verbose_name_plural = "包案工作步骤"
        ordering = ["assignment", "position"]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"
