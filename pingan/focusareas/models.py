"""重点地区 (GOVERNANCE §6): villages a supervisor lists as 重点整治地区 from the ranking of cases per
1,000 residents, each with a reason and a rectification deadline, delisted after 验收. Rows are never
deleted: a delisted area stays as history, and the same village may be listed again later."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class FocusArea(models.Model):
    class Status(models.TextChoices):
        LISTED = "listed", "整治中"
        DELISTED = "delisted", "已验收摘牌"

    region = models.ForeignKey(
        "regions.Region", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.LISTED)
    reason = models.TextField("列入理由", max_length=2000)
    deadline = models.DateField("整治期限")
    # What the ranking showed when the village was listed, so that the history says why even after
    # the figures have moved on: the window, the rate per 1,000 and the place in the ranking.
    basis_window = models.CharField("依据期间", max_length=32, blank=True)
    basis_rate = models.DecimalField(
        "列入时千人发案率", max_digits=10, decimal_places=2, null=True, blank=True
    )
    basis_rank = models.PositiveIntegerField("列入时排名", null=True, blank=True)
    listed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="列入人", on_delete=models.PROTECT, related_name="+"
    )
    listed_at = models.DateTimeField("列入时间")
    delisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="验收人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    delisted_at = models.DateTimeField("摘牌时间", null=True, blank=True)
    acceptance_note = models.TextField("验收意见", max_length=2000, blank=True)

    class Meta:
        verbose_name = "重点整治地区"
        verbose_name_plural = "重点整治地区"
        ordering = ["-listed_at", "-id"]
        constraints = [
            # One listing in force per village, kept true by the database itself (two supervisors at once).
            models.UniqueConstraint(
                fields=["region"], condition=Q(status="listed"), name="focusarea_one_listed_per_region"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.get_status_display()}"
