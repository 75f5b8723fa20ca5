"""Hazard inspections (GOVERNANCE §9,「安全生产大检查」「九小场所」): a register of places with a risk
grade that sets how often they are inspected, inspection records with a checklist and findings, each
finding a `hazard` case, and the re-inspection (复查) once that case is resolved.

Places are organisations and premises, never persons (DESIGN §1)."""

from django.conf import settings
from django.db import models


class PlaceKind(models.TextChoices):
    # 九小场所
    SMALL_RESTAURANT = "restaurant", "小餐饮"
    SMALL_HOTEL = "hotel", "小旅馆"
    SMALL_NETBAR = "netbar", "小网吧"
    SMALL_KTV = "ktv", "小歌舞娱乐"
    SMALL_BATH = "bath", "小美容洗浴"
    SMALL_SHOP = "shop", "小商店"
    SMALL_SCHOOL = "school", "小学校/幼儿园"
    SMALL_CLINIC = "clinic", "小医院/诊所"
    SMALL_WORKSHOP = "workshop", "小生产加工"
    # 重点单位
    ENTERPRISE = "enterprise", "企业"
    CONSTRUCTION = "construction", "工地"
    CHEMICALS = "chemicals", "危化品"
    OTHER = "other", "其他"


NINE_SMALL = tuple(PlaceKind.values[:9])


class RiskGrade(models.Model):
    """A risk grade and the days between two inspections it asks for: configuration (admin)."""

    code = models.CharField("代码", max_length=16, primary_key=True)
    name = models.CharField("风险等级", max_length=16, unique=True)
    interval_days = models.PositiveIntegerField("检查周期（天）", help_text="两次检查之间最多相隔的天数")
    sort = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "风险等级"
        verbose_name_plural = "风险等级"
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return f"{self.name}（每 {self.interval_days} 天）"


class InspectingUnit(models.Model):
    """A unit whose handlers and heads register places and inspect them in their unit's region (the
    县应急管理局 for the county). A town's own unit (乡镇综治中心) does so in its town without a row here."""

    unit = models.OneToOneField(
        "regions.Unit", verbose_name="单位", on_delete=models.CASCADE, related_name="inspecting"
    )

    class Meta:
        verbose_name = "排查检查单位"
        verbose_name_plural = "排查检查单位"

    def __str__(self) -> str:
        return str(self.unit)


class ChecklistItem(models.Model):
    """One item of the checklist for a kind of place (blank kind: every place)."""

    kind = models.CharField("场所类型", max_length=16, choices=PlaceKind.choices, blank=True)
    text = models.CharField("检查内容", max_length=200)
    # The hazard category of a finding against this item (消防, 燃气, 危化品…); none: 其他.
    category = models.CharField("隐患分类代码", max_length=16, blank=True)
    sort = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "检查项目"
        verbose_name_plural = "检查项目"
        ordering = ["kind", "sort", "pk"]

    def __str__(self) -> str:
        return self.text


class Place(models.Model):
    kind = models.CharField("场所类型", max_length=16, choices=PlaceKind.choices)
    name = models.CharField("场所名称", max_length=100)
    region = models.ForeignKey(
        "regions.Region", verbose_name="所在村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField("地址", max_length=200)
    lat = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    responsible_unit = models.CharField("责任单位", max_length=100, blank=True)
    grade = models.ForeignKey(RiskGrade, verbose_name="风险等级", on_delete=models.PROTECT, related_name="+")
    registered_on = models.DateField("登记日期")
    # Kept by the actions: the last routine inspection and the day the next one is due (from it, or
    # from registration, plus the grade's interval). Re-inspections of findings do not move it.
    last_inspected_on = models.DateField("最近检查日期", null=True, blank=True)
    next_due_on = models.DateField("下次检查截止", db_index=True)
    active = models.BooleanField("在册", default=True)

    class Meta:
        verbose_name = "排查场所"
        verbose_name_plural = "排查场所"
        ordering = ["region", "name", "pk"]
        indexes = [models.Index(fields=["region", "kind"], name="inspections_place_region_kind")]

    def __str__(self) -> str:
        return self.name


class Inspection(models.Model):
    place = models.ForeignKey(
        Place, verbose_name="场所", on_delete=models.PROTECT, related_name="inspections"
    )
    inspected_on = models.DateField("检查日期")
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name="检查人员", related_name="+")
    note = models.TextField("检查情况", blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("记录时间")
    # Judged when recorded: on or before the day the place was due.
    on_schedule = models.BooleanField("按期检查")
    due_on = models.DateField("应检查日期")

    class Meta:
        verbose_name = "检查记录"
        verbose_name_plural = "检查记录"
        ordering = ["-inspected_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.place} {self.inspected_on}"


class ItemResult(models.Model):
    class Result(models.TextChoices):
        PASSED = "passed", "合格"
        FAILED = "failed", "不合格"
        NOT_APPLICABLE = "na", "不适用"

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(
        ChecklistItem, verbose_name="检查项目", on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField("结果", max_length=8, choices=Result.choices)

    class Meta:
        verbose_name = "检查项目结果"
        verbose_name_plural = "检查项目结果"
        ordering = ["item__sort", "item_id"]
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="inspections_one_result")]

    def __str__(self) -> str:
        return f"{self.item} {self.get_result_display()}"


class Finding(models.Model):
    """A hazard found by an inspection, and the link to the `hazard` case it opened (cases never
    import this app: the link lives here)."""

    class Severity(models.TextChoices):
        NORMAL = "normal", "一般隐患"
        MAJOR = "major", "重大隐患"

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="findings")
    item = models.ForeignKey(
        ChecklistItem,
        verbose_name="检查项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField("发现问题", max_length=500)
    severity = models.CharField("隐患等级", max_length=8, choices=Severity.choices, default=Severity.NORMAL)
    case = models.OneToOneField(
        "cases.Case", verbose_name="隐患案件", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "检查发现问题"
        verbose_name_plural = "检查发现问题"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description


class Recheck(models.Model):
    """复查: the re-inspection of a finding once its case was resolved, and what it did to the case."""

    class Effect(models.TextChoices):
        CLOSED = "check_pass", "核查通过，案件结案"
        RETURNED = "check_fail", "核查不通过，退回整改"
        REOPENED = "reopen", "案件重新办理"
        NONE = "", "仅记录（由核查人员据此核查）"

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="rechecks")
    rechecked_on = models.DateField("复查日期")
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name="复查人员", related_name="+")
    passed = models.BooleanField("复查合格")
    note = models.TextField("复查情况", max_length=2000)
    effect = models.CharField("对案件的处理", max_length=16, choices=Effect.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "复查记录"
        verbose_name_plural = "复查记录"
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.finding} {self.rechecked_on} {'合格' if self.passed else '不合格'}"
