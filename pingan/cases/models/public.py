"""The public side of a case: its receipt and the messages with a reporter who holds it."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .case import Case


class Receipt(models.Model):
    """The reporter's key to a case. Only a keyed hash of the code is kept (DESIGN §8)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="receipt")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    feedback_at = models.DateTimeField("评价时间", null=True, blank=True)

    class Meta:
        verbose_name = "查询码"
        verbose_name_plural = "查询码"

    def __str__(self) -> str:
        return f"查询码（案件 {self.case_id}）"


class PublicMessage(models.Model):
    """What the reporter and the staff say to each other through the receipt; nothing internal."""

    class Direction(models.TextChoices):
        IN = "in", "群众留言"
        OUT = "out", "答复"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="public_messages")
    direction = models.CharField("方向", max_length=4, choices=Direction.choices)
    text = models.TextField("内容", max_length=2000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "群众沟通"
        verbose_name_plural = "群众沟通"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.at:%Y-%m-%d %H:%M}"
