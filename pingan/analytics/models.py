"""The rollups (DESIGN §9): counters that KPIs, dashboards and reports read instead of cases and events.

Every counter row is keyed by the dimensions of a case at the moment of the event that counted it:
its region (to the village: KPI scopes stop there), its lead unit, stream, category and whether it was
under 督办. Units and categories are plain ids with 0 for "none", so that the unique keys never hold a
NULL (NULLs never conflict in an upsert) and the counters need no joins.
"""

from django.db import models

DIMENSIONS = ("region", "unit", "stream", "category", "supervised")
# A month's counters leave out the category: the KPIs never read it, and without it a county's month is
# a few tens of thousands of rows however many cases there are.
MONTH_DIMENSIONS = ("region", "unit", "stream", "supervised")


class Dimensions(models.Model):
    region = models.CharField("区划（至村社区）", max_length=12)
    unit = models.IntegerField("牵头单位 id（0 为无）", default=0)
    stream = models.CharField("业务类型", max_length=16)
    category = models.IntegerField("分类 id（0 为无）", default=0)
    supervised = models.BooleanField("督办中", default=False)
    measure = models.CharField("指标", max_length=24)
    n = models.IntegerField("数量", default=0)

    class Meta:
        abstract = True


class DailyCount(Dimensions):
    """How many events of a kind happened on a local (Asia/Shanghai) day."""

    day = models.DateField("日期")

    class Meta:
        verbose_name = "每日计数"
        verbose_name_plural = "每日计数"
        constraints = [
            models.UniqueConstraint(fields=["day", "measure", *DIMENSIONS], name="dailycount_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.measure} {self.n}"


class MonthlyCount(models.Model):
    """The daily counts of a local month summed over categories: what a KPI of whole months reads."""

    month = models.DateField("月份（当月 1 日）")
    region = models.CharField("区划（至村社区）", max_length=12)
    unit = models.IntegerField("牵头单位 id（0 为无）", default=0)
    stream = models.CharField("业务类型", max_length=16)
    supervised = models.BooleanField("督办中", default=False)
    measure = models.CharField("指标", max_length=24)
    n = models.IntegerField("数量", default=0)

    class Meta:
        verbose_name = "每月计数"
        verbose_name_plural = "每月计数"
        constraints = [
            models.UniqueConstraint(fields=["month", "measure", *MONTH_DIMENSIONS], name="monthlycount_key"),
        ]
        # What the KPIs read, with the count, so that PostgreSQL reads a county's month from the index
        # alone (880k cases: its 16.5k rows lay on 9.2k heap pages, about 90 ms). SQLite builds no
        # index with included columns (models.W040) and needs none at the demo's size.
        indexes = [
            models.Index(
                fields=["month", "measure", "region"],
                include=["stream", "supervised", "unit", "n"],
                name="monthlycount_read",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.measure} {self.n}"


class StockChange(Dimensions):
    """A change to a standing figure (open cases past due, cases due, open 积案): +1 on the day a case
    starts to count under `due_day`, −1 on the day it stops or moves. The figure as of a day is the sum
    of the changes up to it; see pingan.analytics.track for what each figure holds."""

    day = models.DateField("变化日期")
    due_day = models.DateField("时限日期")

    class Meta:
        verbose_name = "存量变化"
        verbose_name_plural = "存量变化"
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "due_day", "day", *DIMENSIONS], name="stockchange_key"
            ),
        ]
        # "As of the period end" reads the changes dated after it: few for a recent period, found by
        # measure and day (without an index PostgreSQL scanned all 8.4M changes of 880k cases: 1.3 s).
        # Covering, so the read never visits the table: after `rollups rebuild` the changes of a recent
        # day lie scattered over it (1M cases: 54 ms through the table, against 3 ms when they were not).
        indexes = [
            models.Index(
                fields=["measure", "day"],
                include=["due_day", *DIMENSIONS, "n"],
                name="stockchange_after",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.measure} {self.due_day} {self.n:+d}"


class StockNet(Dimensions):
    """The sum of all `StockChange`s of a key, whatever their day: what counts now. Rows that come to
    zero are deleted, so this holds about one row per open case and reads stay small: a figure as of
    day L is the net minus the changes dated after L (few, for a recent period)."""

    due_day = models.DateField("时限日期")

    class Meta:
        verbose_name = "存量净值"
        verbose_name_plural = "存量净值"
        constraints = [
            models.UniqueConstraint(fields=["measure", "due_day", *DIMENSIONS], name="stocknet_key"),
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.due_day} {self.n}"


class CaseTrack(models.Model):
    """What the rollups know of one case after its last event: the state its next event changes.
    Derived from events only, so `pingan rollups rebuild` rebuilds it too."""

    case = models.OneToOneField("cases.Case", primary_key=True, on_delete=models.CASCADE, related_name="+")
    facts = models.JSONField(default=dict)

    class Meta:
        verbose_name = "案件汇总状态"
        verbose_name_plural = "案件汇总状态"

    def __str__(self) -> str:
        return f"{self.case_id}"
