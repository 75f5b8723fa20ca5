"""平安创建 (GOVERNANCE §9): programmes with a scored checklist, the register of organisations that may
be their subjects, and the yearly cycle of each subject × programme × year — self-assessment with
evidence → town review → county 认定 → 公示 → awarded, revoked by a veto event.

Organisations only, never persons: a subject is a village (社区) or an organisation of the register."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class SubjectKind(models.TextChoices):
    VILLAGE = "village", "村（社区）"
    ORGANISATION = "organisation", "单位"


class OrganisationKind(models.TextChoices):
    UNIT = "unit", "机关事业单位"
    SCHOOL = "school", "学校"
    HOSPITAL = "hospital", "医院"
    MARKET = "market", "市场"
    ENTERPRISE = "enterprise", "企业"
    OTHER = "other", "其他"


class Programme(models.Model):
    """A 创建 programme and its rules: configuration, edited by `admin` in the admin (audited)."""

    code = models.CharField("代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=64)
    subject_kind = models.CharField("创建对象", max_length=16, choices=SubjectKind.choices)
    # Which organisations of the register a programme for organisations is about (平安校园: schools);
    # blank: every organisation.
    organisation_kind = models.CharField(
        "单位类型",
        max_length=16,
        choices=OrganisationKind.choices,
        blank=True,
        help_text="仅对单位类创建有效；不填为所有单位。",
    )
    pass_mark = models.PositiveSmallIntegerField("达标分数")
    notice_days = models.PositiveSmallIntegerField("公示天数", default=7)
    veto_listing = models.BooleanField(
        "挂牌整治一票否决", default=True, help_text="创建对象所在村（社区）当年被挂牌的，撤销命名。"
    )
    veto_indicators = models.ManyToManyField(
        "statistics.Indicator",
        verbose_name="一票否决的统计指标",
        blank=True,
        related_name="+",
        help_text="创建对象所在村（社区）当年该指标数值大于 0 的（如命案起数），撤销命名。",
    )
    description = models.TextField("说明", blank=True, max_length=2000)
    order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "创建项目"
        verbose_name_plural = "创建项目"
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def for_villages(self) -> bool:
        return self.subject_kind == SubjectKind.VILLAGE


class ChecklistItem(models.Model):
    programme = models.ForeignKey(
        Programme, verbose_name="创建项目", on_delete=models.CASCADE, related_name="items"
    )
    order = models.PositiveSmallIntegerField("序号", default=0)
    text = models.CharField("考评内容", max_length=300)
    points = models.PositiveSmallIntegerField("分值")

    class Meta:
        verbose_name = "考评细则"
        verbose_name_plural = "考评细则"
        ordering = ["programme", "order", "id"]

    def __str__(self) -> str:
        return f"{self.text}（{self.points} 分）"


class Organisation(models.Model):
    """An organisation that may be the subject of a programme: a unit, school, hospital, market or
    enterprise, in a village or community. Never a person."""

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=OrganisationKind.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name="所在村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField("地址", max_length=200, blank=True)
    active = models.BooleanField("在册", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "创建单位"
        verbose_name_plural = "创建单位名册"
        ordering = ["region", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="organisation_name_in_village")
        ]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    DRAFT = "draft", "自评中"
    SUBMITTED = "submitted", "待乡镇审核"
    REVIEWED = "reviewed", "待县级认定"
    NOTICE = "notice", "公示中"
    AWARDED = "awarded", "已命名"
    REJECTED = "rejected", "未通过"
    REVOKED = "revoked", "已撤销"


class Application(models.Model):
    """One subject's cycle in one programme and one year (创建申报)."""

    programme = models.ForeignKey(
        Programme, verbose_name="创建项目", on_delete=models.PROTECT, related_name="applications"
    )
    year = models.PositiveSmallIntegerField("年度")
    village = models.ForeignKey(
        "regions.Region",
        verbose_name="创建村（社区）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name="创建单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    # Where the subject lies (the village itself, or the organisation's village): scope and rates.
    region = models.ForeignKey(
        "regions.Region", verbose_name="所在村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    score = models.PositiveSmallIntegerField("自评得分", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填报人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申报人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField("申报时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="乡镇审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("乡镇审核时间", null=True, blank=True)
    review_note = models.TextField("乡镇审核意见", blank=True, max_length=1000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="县级认定人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("县级认定时间", null=True, blank=True)
    decision_note = models.TextField("县级认定意见", blank=True, max_length=1000)
    notice_starts = models.DateField("公示开始", null=True, blank=True)
    notice_ends = models.DateField("公示截止（含）", null=True, blank=True)
    awarded_at = models.DateTimeField("命名时间", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoke_reason = models.TextField("撤销原因", blank=True, max_length=1000)

    class Meta:
        verbose_name = "创建申报"
        verbose_name_plural = "创建申报"
        ordering = ["-year", "region", "programme", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(village__isnull=True) ^ Q(organisation__isnull=True),
                name="application_one_subject",
            ),
            models.UniqueConstraint(
                fields=["programme", "year", "village"],
                condition=Q(village__isnull=False),
                name="application_one_per_village_year",
            ),
            models.UniqueConstraint(
                fields=["programme", "year", "organisation"],
                condition=Q(organisation__isnull=False),
                name="application_one_per_organisation_year",
            ),
        ]
        indexes = [models.Index(fields=["year", "status"], name="application_year_status")]

    def __str__(self) -> str:
        return f"{self.subject_name} {self.year}年{self.programme.name}"

    @property
    def subject_name(self) -> str:
        if self.organisation_id:
            return self.organisation.name if self.organisation else ""
        return self.village.name if self.village else ""


class ItemScore(models.Model):
    application = models.ForeignKey(
        Application, verbose_name="创建申报", on_delete=models.CASCADE, related_name="scores"
    )
    item = models.ForeignKey(
        ChecklistItem, verbose_name="考评细则", on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField("自评得分")

    class Meta:
        verbose_name = "自评得分"
        verbose_name_plural = "自评得分"
        constraints = [models.UniqueConstraint(fields=["application", "item"], name="item_score_once")]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.score}"


def evidence_path(instance, filename: str) -> str:
    # Random names, as for case attachments: the stored name says nothing about the subject.
    return f"creation/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class Evidence(models.Model):
    """A 佐证材料 of a self-assessment: a PDF or a photo, checked by content as case attachments are."""

    application = models.ForeignKey(
        Application, verbose_name="创建申报", on_delete=models.CASCADE, related_name="evidence"
    )
    item = models.ForeignKey(
        ChecklistItem,
        verbose_name="对应细则",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    file = models.FileField("文件", upload_to=evidence_path)
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["application", "id"]

    def __str__(self) -> str:
        return self.name
