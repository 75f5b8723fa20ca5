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
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_id}"


class AuditHead(models.Model):
    """A single row locked by each append, so that the chain has no forks."""

    last_hash = models.CharField(max_length=64)
    count = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"审计链头 #{self.count}"
