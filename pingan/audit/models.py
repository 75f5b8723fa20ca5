"""Append-only, hash-chained audit log (DESIGN §8)."""

from django.db import models
from django.utils import timezone

from pingan.core.models import AppendOnlyModel


class AuditEntry(AppendOnlyModel):
    at = models.DateTimeField("时间", default=timezone.now)
    actor = models.CharField("操作人", max_length=150)
    action = models.CharField("操作", max_length=64)
    object_type = models.CharField("对象类型", max_length=32, blank=True)
    object_id = models.CharField("对象", max_length=64, blank=True)
    data = models.JSONField("详情", default=dict, blank=True)
    # Which chain the entry belongs to (pingan.audit.log.partition_of); 0 is the one chain written
    # before there were several.
    partition = models.PositiveSmallIntegerField("链", default=0)
    prev_hash = models.CharField("前一条的哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64, unique=True)

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            # The 审计日志 page's filters, each with the id its pages are ordered by.
            models.Index(fields=["action", "id"], name="audit_action"),
            models.Index(fields=["actor", "id"], name="audit_actor"),
            models.Index(fields=["at"], name="audit_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_id}"


class AuditHead(models.Model):
    """The head of one chain, locked by each append to it, so that the chain has no forks. Several
    chains (PINGAN_AUDIT_PARTITIONS) let writes about different objects append side by side."""

    partition = models.PositiveSmallIntegerField("链", unique=True, default=0)
    last_hash = models.CharField("最后一条的哈希", max_length=64)
    count = models.PositiveBigIntegerField("记录条数", default=0)

    class Meta:
        verbose_name = "审计链头"
        verbose_name_plural = "审计链头"

    def __str__(self) -> str:
        return f"审计链 {self.partition} 头 #{self.count}"


class ChainVerification(models.Model):
    """One run of the chain check (`check_chain`): asked for on the 审计日志 page and run by the task
    worker, or run by `pingan audit verify`. The page shows the latest, so the ~10 s walk over 150,000
    entries never runs inside a page request."""

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "校验中"
        DONE = "done", "已完成"
        FAILED = "failed", "未能完成"

    requested_by = models.CharField("发起人", max_length=150)
    requested_at = models.DateTimeField("发起时间", default=timezone.now)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.QUEUED)
    checked = models.PositiveBigIntegerField("已校验条数", default=0)
    total = models.PositiveBigIntegerField("链头记录条数", default=0)
    intact = models.BooleanField("完整", null=True)
    # The entry where the chain breaks; a plain id, since the row is what is in doubt.
    first_bad_id = models.BigIntegerField("断开处记录", null=True, blank=True)
    truncated = models.BooleanField("末尾缺失", default=False)
    # Per chain: {"broken": {chain: id of its first bad entry}, "short": [chains cut off at the end]}.
    findings = models.JSONField("各链结果", default=dict, blank=True)
    error = models.CharField("错误", max_length=300, blank=True)

    class Meta:
        verbose_name = "审计链校验"
        verbose_name_plural = "审计链校验"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"审计链校验 {self.requested_at:%Y-%m-%d %H:%M} {self.get_state_display()}"
