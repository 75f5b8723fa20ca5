"""矛盾纠纷排查 returns (GOVERNANCE §9): each month every town and village files what its screening
found — the disputes registered with channel `inspection` — or a 零报告, by a day of the next month."""

from django.conf import settings
from django.db import models


class Return(models.Model):
    region = models.ForeignKey(
        "regions.Region", verbose_name="报送区划", on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField("月份", max_length=7)  # 2026-10
    month = models.DateField("月份首日")
    zero_report = models.BooleanField("零报告", default=False)
    disputes = models.PositiveIntegerField("排查发现纠纷数", default=0)
    cases = models.ManyToManyField("cases.Case", verbose_name="排查发现的案件", blank=True, related_name="+")
    note = models.TextField("说明", blank=True, max_length=500)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="报送人", on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField("报送时间")
    # Judged when filed, against the due day then in force: a later change of the setting does not
    # turn past returns late.
    on_time = models.BooleanField("按时报送")

    class Meta:
        verbose_name = "排查月报"
        verbose_name_plural = "排查月报"
        ordering = ["-month", "region"]
        constraints = [models.UniqueConstraint(fields=["region", "period"], name="screening_one_per_month")]

    def __str__(self) -> str:
        return f"{self.region.name} {self.period}"
