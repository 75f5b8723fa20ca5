"""周调度表, 月通报, 季考评 (GOVERNANCE §5): one report per kind, period and region. A draft is regenerated
at will; publishing freezes its figures and its files for ever, whatever happens to the cases later."""

from django.conf import settings
from django.db import models
from django.utils import timezone


def report_path(instance, filename: str) -> str:
    return f"reports/{instance.period}/{instance.kind}-{instance.region_id}-{instance.pk}-{filename}"


class Report(models.Model):
    class Kind(models.TextChoices):
        WEEKLY = "weekly", "周调度表"
        MONTHLY = "monthly", "月通报"
        QUARTERLY = "quarterly", "季考评"

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"

    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    period = models.CharField("期间", max_length=8)
    region = models.ForeignKey(
        "regions.Region", verbose_name="区划", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    # The report as data: what the screen, the .docx and the .xlsx are all drawn from.
    document = models.JSONField("内容", default=dict)
    commentary = models.TextField("按语", max_length=5000, blank=True)
    docx = models.FileField("Word 文件", upload_to=report_path, blank=True)
    xlsx = models.FileField("Excel 文件", upload_to=report_path, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="生成人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    generated_at = models.DateTimeField("生成时间", default=timezone.now)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发布人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    # A draft asked for from the pages is built by `pingan worker`: the figures of a large county take
    # longer than a request may (82 s at 10M cases). Set while the job waits or runs; cleared when the
    # draft is written or the job fails, which leaves its reason in `error`.
    queued_at = models.DateTimeField("排队生成时间", null=True, blank=True)
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请生成人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    error = models.CharField("生成失败原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "调度通报"
        verbose_name_plural = "调度通报"
        ordering = ["-period", "kind", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period", "region"], name="report_one_per_kind_period_region"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document.get('title', self.get_kind_display())}（{self.period}）"

    @property
    def published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def generating(self) -> bool:
        return self.queued_at is not None

    @property
    def ready(self) -> bool:
        """Drawn at least once: it has its document and both files."""
        return bool(self.document) and bool(self.docx) and bool(self.xlsx)
