"""What hangs off a case: people, files, work, decisions, and the immutable event log."""

import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from pingan.core.bulk import Insert, insert_rows
from pingan.core.crypto import EncryptedTextField
from pingan.core.models import AppendOnlyModel, AppendOnlyQuerySet

from .case import Case


class Reporter(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="reporter")
    name = EncryptedTextField("姓名", blank=True)
    phone = EncryptedTextField("电话", blank=True)
    address = EncryptedTextField("住址", blank=True)
    anonymous = models.BooleanField("匿名", default=False)

    class Meta:
        verbose_name = "反映人"
        verbose_name_plural = "反映人"

    def __str__(self) -> str:
        return f"{self.case_id} 反映人"


class Party(models.Model):
    class Role(models.TextChoices):
        APPLICANT = "applicant", "申请人"
        RESPONDENT = "respondent", "被申请人"
        THIRD = "third", "第三人"
        OTHER = "other", "其他当事人"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField("身份", max_length=16, choices=Role.choices, default=Role.APPLICANT)
    name = EncryptedTextField("姓名")
    phone = EncryptedTextField("电话", blank=True)
    address = EncryptedTextField("住址", blank=True)
    id_number = EncryptedTextField("身份证号", blank=True)

    class Meta:
        verbose_name = "当事人"
        verbose_name_plural = "当事人"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_role_display()}"


def attachment_path(instance, filename: str) -> str:
    # Random names: the stored name says nothing about the case or the uploader's file name.
    day = timezone.now().strftime("%Y/%m")
    return f"attachments/{day}/{secrets.token_hex(16)}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        EVIDENCE = "evidence", "佐证材料"
        PHOTO = "photo", "照片"
        DOCUMENT = "document", "文书"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"


class WorkRecord(models.Model):
    class Kind(models.TextChoices):
        MEDIATION = "mediation", "调解"
        VISIT = "visit", "走访"
        SITE = "site", "现场处置"
        CALL = "call", "电话联系"
        OTHER = "other", "其他"
        PROGRESS = "progress", "督办进展报告"  # written only by the report_progress action

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="work_records")
    kind = models.CharField("方式", max_length=16, choices=Kind.choices)
    content = models.TextField("工作内容", max_length=5000)
    happened_at = models.DateTimeField("时间", default=timezone.now)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta:
        verbose_name = "工作记录"
        verbose_name_plural = "工作记录"
        ordering = ["happened_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.happened_at:%Y-%m-%d}"


class Agreement(models.Model):
    """调解协议 (GOVERNANCE §11): its terms and deadline, then what became of it — 履行情况 as the handler
    records it (`record_performance`) and the 司法确认 the parties sought (`record_judicial_confirmation`).
    The reminder fields hold the deadline a reminder was sent for, so that each is sent once per
    deadline (a deadline changed by a new resolution is reminded of again)."""

    class Performance(models.TextChoices):
        PERFORMED = "performed", "已履行"
        PARTLY = "partly", "部分履行"
        NOT = "not", "未履行"

    class Confirmation(models.TextChoices):
        CONFIRMED = "confirmed", "确认有效"
        REJECTED = "rejected", "驳回申请"
        WITHDRAWN = "withdrawn", "撤回申请"

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="agreement")
    terms = models.TextField("协议内容", max_length=10000)
    performance_due = models.DateField("履行期限", null=True, blank=True)
    judicial_confirmation = models.BooleanField("申请司法确认", default=False)
    signed_at = models.DateTimeField("签订时间", default=timezone.now)
    performance = models.CharField("履行情况", max_length=16, choices=Performance.choices, blank=True)
    performance_note = models.TextField("履行情况说明", max_length=2000, blank=True)
    performance_recorded_at = models.DateTimeField("履行情况登记时间", null=True, blank=True)
    confirmation_applied_on = models.DateField("申请司法确认日期", null=True, blank=True)
    confirmation_court = models.CharField("受理法院", max_length=100, blank=True)
    confirmation_result = models.CharField(
        "司法确认结果", max_length=16, choices=Confirmation.choices, blank=True
    )
    confirmation_result_on = models.DateField("司法确认结果日期", null=True, blank=True)
    due_soon_reminded_for = models.DateField("已发履行期限将到提醒（对应期限）", null=True, blank=True)
    late_reminded_for = models.DateField("已发履行期限已过提醒（对应期限）", null=True, blank=True)

    class Meta:
        verbose_name = "调解协议"
        verbose_name_plural = "调解协议"

    def __str__(self) -> str:
        return f"调解协议（案件 {self.case_id}）"

    def performance_pending_on(self, day) -> bool:
        """Performance not yet recorded while its deadline has not passed: the case may not be archived."""
        return not self.performance and self.performance_due is not None and day <= self.performance_due


class FollowUp(models.Model):
    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", "满意"
        BASICALLY = "basically", "基本满意"
        DISSATISFIED = "dissatisfied", "不满意"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="follow_ups")
    satisfaction = models.CharField("满意度", max_length=16, choices=Satisfaction.choices, blank=True)
    resolved = models.BooleanField("问题是否解决", null=True)
    note = models.TextField("回访记录", max_length=2000, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "回访"
        verbose_name_plural = "回访"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"回访 {self.get_satisfaction_display()}"


class CaseRequest(models.Model):
    class Kind(models.TextChoices):
        EXTENSION = "extension", "延期"
        RETURN = "return", "退单"
        SUSPENSION = "suspension", "挂起"

    class Decision(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "同意"
        DENIED = "denied", "不同意"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="requests")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    reason = models.TextField("理由", max_length=2000)
    new_due = models.DateTimeField("申请延至", null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField("审批结果", max_length=16, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField("审批意见", max_length=2000, blank=True)

    class Meta:
        verbose_name = "申请"
        verbose_name_plural = "申请"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"], condition=Q(decision="pending"), name="one_pending_request_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}申请（{self.get_decision_display()}）"


EVENT_COLUMNS = (
    "case_id",
    "action",
    "actor",
    "at",
    "from_status",
    "to_status",
    "data",
    "step",
    "due",
    "audit_id",
)


class CaseEventQuerySet(AppendOnlyQuerySet):
    """Only the event writer (pingan.cases.events) adds events: each with its audit entry, checked against
    the transition table. Anything else that tries is a bug, and fails here."""

    def create(self, **kwargs):
        raise TypeError("案件事件只能由 pingan.cases.events 写入。")

    def bulk_create(self, objs, *args, **kwargs):
        raise TypeError("案件事件只能由 pingan.cases.events 写入。")

    def append(self, events: list["CaseEvent"], insert: Insert = insert_rows) -> list["CaseEvent"]:
        """For pingan.cases.events only: inserts the events and gives them their ids."""
        rows = [[getattr(e, c) for c in EVENT_COLUMNS] for e in events]
        for event, pk in zip(events, insert(CaseEvent, EVENT_COLUMNS, rows), strict=True):
            event.pk, event._state.adding = pk, False
        return events


class CaseEvent(AppendOnlyModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("动作", max_length=32)
    actor = models.CharField("操作人", max_length=150)
    at = models.DateTimeField("时间", default=timezone.now)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # The step whose clock this event stopped, and the due time then in force: whether it was on time
    # stays decidable for ever, whatever later extensions do (GOVERNANCE §2).
    step = models.CharField("结束环节", max_length=8, blank=True)
    due = models.DateTimeField("环节时限", null=True, blank=True)
    # Every event has its entry in the hash-chained audit log. Null only on events written before
    # migration 0005, whose entries were not linked.
    audit = models.OneToOneField(
        "audit.AuditEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # A narrower append-only manager than the base class's.
    objects = CaseEventQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        verbose_name = "案件事件"
        verbose_name_plural = "案件事件"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["action", "at"], name="event_action_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"

    def save(self, *args, **kwargs):
        raise TypeError("案件事件只能由 pingan.cases.events 写入。")


class Escalation(models.Model):
    """One row per (case, overdue step, level): the unique constraint makes `sweep` idempotent."""

    LEVEL_ROLES = {1: "handler", 2: "unit_head", 3: "dispatcher", 4: "leader"}

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="escalations")
    step = models.CharField(max_length=8)
    due = models.DateTimeField()
    level = models.PositiveSmallIntegerField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "超期升级"
        verbose_name_plural = "超期升级"
        constraints = [
            models.UniqueConstraint(fields=["case", "step", "due", "level"], name="escalation_once")
        ]

    def __str__(self) -> str:
        return f"{self.step} 第{self.level}级"
