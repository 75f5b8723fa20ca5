"""The accountability ledger (问责, GOVERNANCE §3): entries against a unit or a region, proposed by rules
or entered by hand, confirmed by a supervisor, followed by rectification cases, lifted at the end.

Officials appear only in their official role (attendees are roles as text, never private persons)."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Level(models.TextChoices):
    REMINDER = "reminder", "提醒"
    BULLETIN = "bulletin", "通报批评"
    INTERVIEW = "interview", "约谈"
    LISTING = "listing", "挂牌"
    REFERRAL = "referral", "建议问责"


class Rule(models.Model):
    """A rule that proposes entries; configuration, edited by `admin` in the admin (audited)."""

    class Kind(models.TextChoices):
        LISTED_CASE_OVERDUE = "listed_case_overdue", "挂牌督办案件超期"
        RANKING_LAST = "ranking_last", "考核排名连续末位"

    # The parameters each kind reads, with their defaults (edited as JSON in the admin).
    DEFAULTS: dict[str, dict[str, int | str]] = {
        "listed_case_overdue": {"days": 30},
        "ranking_last": {"periods": 2, "level": "town", "period": "month"},
    }

    code = models.CharField("规则代码", max_length=32, unique=True)
    name = models.CharField("规则名称", max_length=64)
    kind = models.CharField("规则类型", max_length=24, choices=Kind.choices)
    level = models.CharField("建议问责方式", max_length=12, choices=Level.choices)
    params = models.JSONField(
        "参数",
        default=dict,
        blank=True,
        help_text='挂牌督办案件超期：{"days": 30}；连续末位：{"periods": 2, "level": "town" 或 "unit", '
        '"period": "month" 或 "quarter"}。未填的参数取默认值。',
    )
    requirement = models.TextField("默认整改要求", max_length=2000, blank=True)
    deadline_days = models.PositiveSmallIntegerField("整改期限（天）", null=True, blank=True)
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "问责规则"
        verbose_name_plural = "问责规则"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The admin's check of the parameters, so that a rule never fails when it runs."""
        defaults = self.DEFAULTS.get(self.kind, {})
        if not isinstance(self.params, dict) or set(self.params) - set(defaults):
            raise ValidationError({"params": f"参数只能是 {', '.join(defaults)}。"})
        for key, value in self.params.items():
            if isinstance(defaults[key], int) and not (type(value) is int and 1 <= value <= 3650):
                raise ValidationError({"params": f"参数 {key} 应为 1 到 3650 之间的整数。"})
        if self.params.get("level", "town") not in ("town", "unit"):
            raise ValidationError({"params": "参数 level 应为 town（乡镇排名）或 unit（部门排名）。"})
        if self.params.get("period", "month") not in ("month", "quarter"):
            raise ValidationError({"params": "参数 period 应为 month 或 quarter。"})

    def param(self, key: str) -> int | str:
        return self.params.get(key, self.DEFAULTS[self.kind][key])


def record_path(instance, filename: str) -> str:
    # Random names, as for case attachments: the stored name says nothing about the entry.
    return f"accountability/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class Entry(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "待确认"
        CONFIRMED = "confirmed", "生效"
        DISMISSED = "dismissed", "不予采纳"
        LIFTED = "lifted", "已解除"

    region = models.ForeignKey(
        "regions.Region",
        verbose_name="区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        "regions.Unit", verbose_name="单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField("问责方式", max_length=12, choices=Level.choices)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PROPOSED)
    trigger = models.TextField("触发原因", max_length=2000)
    rule = models.ForeignKey(
        Rule, verbose_name="提出规则", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    # What a rule proposed ("rule code:what"), so that running the rules again proposes nothing twice.
    dedup_key = models.CharField("去重键", max_length=128, null=True, blank=True, unique=True)
    date = models.DateField("日期", default=timezone.localdate)
    requirement = models.TextField("整改要求", max_length=2000, blank=True)
    deadline = models.DateField("整改期限", null=True, blank=True)
    attendees = models.CharField("参加人员（职务）", max_length=500, blank=True)
    cases = models.ManyToManyField(
        "cases.Case", verbose_name="整改案件", blank=True, related_name="accountability_entries"
    )
    record_file = models.FileField("记录文件", upload_to=record_path, blank=True)
    record_name = models.CharField("记录文件名", max_length=200, blank=True)
    record_type = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="确认人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("确认时间", null=True, blank=True)
    dismiss_reason = models.TextField("不予采纳理由", max_length=2000, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="解除人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField("解除时间", null=True, blank=True)
    lift_note = models.TextField("解除说明", max_length=2000, blank=True)

    class Meta:
        verbose_name = "问责记录"
        verbose_name_plural = "问责记录"
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(region__isnull=True) ^ Q(unit__isnull=True), name="accountability_region_or_unit"
            ),
        ]
        indexes = [models.Index(fields=["status", "level"], name="accountability_status_level")]

    def __str__(self) -> str:
        return f"{self.subject_name} {self.get_level_display()}"

    @property
    def subject_code(self) -> str:
        return self.region_id or (self.unit.code if self.unit else "")

    @property
    def subject_name(self) -> str:
        return self.region.name if self.region else (self.unit.name if self.unit else "")

    @property
    def subject_region(self) -> str:
        """The region the entry belongs to: a unit's entries belong to the region the unit sits in."""
        return self.region_id or (self.unit.region_id if self.unit else "")
