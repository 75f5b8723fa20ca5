"""A user's notices (消息): what happened to a case they hold a role over, and other things they must know."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name="案件", null=True, blank=True, on_delete=models.CASCADE
    )
    # The event a case notice tells of: one notice per recipient and event, however often the worker
    # delivers it (a task re-run after a crash writes nothing twice).
    event = models.ForeignKey(
        "cases.CaseEvent",
        verbose_name="事件",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField("类型", max_length=32)
    message = models.CharField("内容", max_length=300)
    # Where a notice about something other than a case leads (a case notice leads to its case page).
    link = models.CharField("链接", max_length=200, blank=True)
    # A notice about no single event that is sent once per recipient and key (the 包案 weekly digest:
    # `leader_digest:2026-W23`), however often its job runs.
    key = models.CharField("去重键", max_length=64, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "消息"
        verbose_name_plural = "消息"
        ordering = ["-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_inbox")]
        constraints = [
            models.UniqueConstraint(fields=["event", "recipient"], name="notification_once_per_event"),
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="notification_once_per_key"
            ),
        ]

    def __str__(self) -> str:
        return self.message
