"""An export written in the background by `pingan worker`, and offered to its requester for a while."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ExportJob(models.Model):
    """One ledger export too large to write during the request.

    The rows are the requester's: the worker reads `Case.objects.visible_to(requester)` under
    `filters` when it writes the file, so a grant lost meanwhile is lost for the export too."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "导出中"
        DONE = "done", "已完成"
        FAILED = "failed", "导出失败"
        EXPIRED = "expired", "已过期"

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        on_delete=models.CASCADE,
        related_name="export_jobs",
    )
    filters = models.JSONField("筛选条件", default=dict, blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField("总条数", default=0)
    rows_done = models.PositiveIntegerField("已完成条数", default=0)
    # Relative to the media root, under exports/; written owner-only and deleted when the job expires.
    file = models.CharField("文件", max_length=200, blank=True)
    error = models.CharField("失败原因", max_length=200, blank=True)
    created_at = models.DateTimeField("申请时间", default=timezone.now)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    expires_at = models.DateTimeField("过期时间")

    class Meta:
        verbose_name = "导出任务"
        verbose_name_plural = "导出任务"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["requester", "-id"], name="exportjob_requester"),
            models.Index(fields=["status", "expires_at"], name="exportjob_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.requester_id} {self.get_status_display()} {self.created_at:%Y-%m-%d %H:%M}"
