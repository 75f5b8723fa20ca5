"""The case: one model for every stream (DESIGN §3)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from pingan.accounts import policy
from pingan.accounts.scope import scope_of


class Stream(models.TextChoices):
    DISPUTE = "dispute", "矛盾纠纷"
    PETITION = "petition", "信访事项"
    REQUEST = "request", "群众诉求"
    HAZARD = "hazard", "安全隐患"
    GRID_EVENT = "grid_event", "网格事件"
    TIP = "tip", "举报线索"
    RECTIFICATION = "rectification", "整改事项"


class Status(models.TextChoices):
    REPORTED = "reported", "登记"
    ACCEPTED = "accepted", "受理"
    REJECTED = "rejected", "不予受理"
    MERGED = "merged", "已合并"
    WITHDRAWN = "withdrawn", "已撤回"
    DISPATCHED = "dispatched", "已分派"
    IN_PROGRESS = "in_progress", "办理中"
    SUSPENDED = "suspended", "挂起"
    RESOLVED = "resolved", "已办结"
    CLOSED = "closed", "已结案"
    ARCHIVED = "archived", "已归档"


OPEN_STATUSES = (
    Status.REPORTED,
    Status.ACCEPTED,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.SUSPENDED,
    Status.RESOLVED,
)
ENDED_STATUSES = tuple(s for s in Status if s not in OPEN_STATUSES)

# The clock of each step, where its due time is kept and the states in which it runs (DESIGN §4).
# Suspension pauses the resolve clock; a dispatched case runs its sign clock and its resolve clock.
# Overdue and due-soon filters, the sweep, row display and Open311 all read this one table.
CLOCKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "accept": ("accept_due", (Status.REPORTED,)),
    "sign": ("sign_due", (Status.DISPATCHED,)),
    "resolve": ("resolve_due", (Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS)),
    "check": ("check_due", (Status.RESOLVED,)),
}
DUE_FIELDS = tuple(field for field, _ in CLOCKS.values())


def running_clocks(status: str) -> list[tuple[str, str]]:
    """(step, due field) of the clocks that run in `status`."""
    return [(step, field) for step, (field, states) in CLOCKS.items() if status in states]


def ended_step(from_status: str, to_status: str) -> str | None:
    """The step whose clock a change of state stops: the later one where two stop at once (a withdrawn
    dispatched case stops its sign and its resolve clock; the resolve clock is the one that counts)."""
    ended = [
        step for step, (_, states) in CLOCKS.items() if from_status in states and to_status not in states
    ]
    return ended[-1] if ended else None


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CaseQuerySet":
        """The one door for every read of cases: UI, API, exports and attachments (DESIGN §2)."""
        return self.visible_in(scope_of(user))

    def visible_in(self, scope) -> "CaseQuerySet":
        """`visible_to` for a user whose grants are already resolved."""
        q = policy.see_q(scope, CASE_FIELDS)
        return self.none() if q is None else self.filter(q)

    def overdue(self, now=None) -> "CaseQuerySet":
        return self.filter(overdue_q(now or timezone.now()))


def _with_co_unit(case_id: str):
    def q(units: frozenset[int]) -> Q:
        return Q(Exists(Case.co_units.through.objects.filter(case_id=OuterRef(case_id), unit_id__in=units)))

    return q


def _excluding(case_id: str):
    def q(scope) -> Q:
        """Tips that name this user, or a unit their grants touch, as involved (回避)."""
        from .tips import TipExclusion

        involved = Q(user_id=scope.user_id)
        if scope.unit_codes:
            involved |= Q(unit__code__in=scope.unit_codes)
        return Q(**{f"{case_id}__in": TipExclusion.objects.filter(involved).values("case_id")})

    return q


SEEN = ["region", "stream"]  # what the visibility rule of leaders and dispatchers reads, for covering indexes


def overdue_q(now) -> Q:
    """Past due while the step is not done (DESIGN §4)."""
    q = Q(pk__in=[])
    for field, states in CLOCKS.values():
        q |= Q(status__in=states, **{f"{field}__lt": now})
    return q


def due_soon_q(now, hours: float = 24) -> Q:
    """A running clock falls due within `hours` and none has passed yet: the 即将超期 list."""
    soon = now + timedelta(hours=hours)
    q = Q(pk__in=[])
    for field, states in CLOCKS.values():
        q |= Q(status__in=states, **{f"{field}__gte": now, f"{field}__lt": soon})
    return q & ~overdue_q(now)


class Case(models.Model):
    class Severity(models.TextChoices):
        NORMAL = "normal", "一般"
        MAJOR = "major", "重大"

    class Channel(models.TextChoices):
        WALK_IN = "walk_in", "来访"
        HOTLINE = "hotline", "来电"
        LETTER = "letter", "来信"
        ONLINE = "online", "网上"
        PORTAL = "portal", "群众上报"
        GRID = "grid", "网格上报"
        INSPECTION = "inspection", "排查发现"
        REFERRAL = "referral", "部门移送"
        ASSIGNED = "assigned", "上级交办"

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", "化解/解决"
        PARTLY = "partly", "部分解决"
        UNRESOLVED_REFERRED = "unresolved_referred", "调解不成，引导诉讼/仲裁/复议"
        EXPLAINED = "explained", "解释说明"
        NOT_SUPPORTED = "not_supported", "不予支持"

    class Supervision(models.TextChoices):
        NONE = "", "无"
        ROUTINE = "routine", "日常督办"
        LISTED = "listed", "挂牌督办"

    number = models.CharField("案件编号", max_length=32, unique=True)
    stream = models.CharField("业务类型", max_length=16, choices=Stream.choices)
    category = models.ForeignKey(
        "cases.Category", verbose_name="分类", null=True, blank=True, on_delete=models.PROTECT
    )
    title = models.CharField("标题", max_length=200)
    description = models.TextField("内容", max_length=5000, blank=True)
    channel = models.CharField("来源渠道", max_length=16, choices=Channel.choices, default=Channel.WALK_IN)
    region = models.ForeignKey("regions.Region", verbose_name="所在区划", on_delete=models.PROTECT)
    address = models.CharField("地点", max_length=200, blank=True)
    lat = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    occurred_at = models.DateTimeField("发生时间", null=True, blank=True)
    reported_at = models.DateTimeField("登记时间", default=timezone.now)
    severity = models.CharField("严重程度", max_length=8, choices=Severity.choices, default=Severity.NORMAL)
    people_involved = models.PositiveIntegerField("涉及人数", default=1)
    is_group = models.BooleanField("群体性", default=False)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.REPORTED)
    lead_unit = models.ForeignKey(
        "regions.Unit",
        verbose_name="牵头单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    co_units = models.ManyToManyField(
        "regions.Unit", verbose_name="协办单位", blank=True, related_name="co_cases"
    )
    responsible_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="包案领导",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # 包案 (GOVERNANCE §7): the leader's sign-off in force; a case under 包案 is archived only after it.
    leader_signed_off_at = models.DateTimeField("包案领导签字销号时间", null=True, blank=True)
    backlog = models.BooleanField("积案", default=False)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    dispatched_at = models.DateTimeField("分派时间", null=True, blank=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    resolved_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    accept_due = models.DateTimeField("受理时限", null=True, blank=True)
    sign_due = models.DateTimeField("签收时限", null=True, blank=True)
    resolve_due = models.DateTimeField("办理时限", null=True, blank=True)
    check_due = models.DateTimeField("核查时限", null=True, blank=True)
    # Snapshot of the resolve rule at acceptance, so later rule edits never move a running clock.
    resolve_limit = models.JSONField("办理时限规则快照", default=dict, blank=True)
    suspended_at = models.DateTimeField("挂起时间", null=True, blank=True)
    outcome = models.CharField("办理结果", max_length=24, choices=Outcome.choices, blank=True)
    outcome_summary = models.TextField("办理情况", blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="并入案件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
    )
    related = models.ManyToManyField("self", verbose_name="关联案件", blank=True)
    supervision_level = models.CharField(
        "督办级别", max_length=8, choices=Supervision.choices, blank=True, default=Supervision.NONE
    )
    designated = models.BooleanField("指定承办（不得再退单）", default=False)
    return_count = models.PositiveIntegerField("退单次数", default=0)
    extension_count = models.PositiveIntegerField("延期次数", default=0)
    check_fail_count = models.PositiveIntegerField("返工次数", default=0)
    reopen_count = models.PositiveIntegerField("重办次数", default=0)
    escalation_level = models.PositiveSmallIntegerField("升级层级", default=0)
    overdue_since = models.DateTimeField("超期起算", null=True, blank=True)
    extra = models.JSONField("扩展字段", default=dict, blank=True)
    # The reporter holds a receipt: staff may answer them, they may read replies and rate the outcome.
    has_receipt = models.BooleanField("群众可查询", default=False)
    # Personal data and files removed after the retention period; the row stays as a tombstone.
    purged_at = models.DateTimeField("个人信息清除时间", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = "案件"
        verbose_name_plural = "案件"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["region", "id"], name="case_region_id"),
            models.Index(fields=["status", "id"], name="case_status_id"),
            models.Index(fields=["stream", "status"], name="case_stream_status"),
            models.Index(fields=["lead_unit", "status"], name="case_unit_status"),
            # The clocks (overdue and due-soon lists, the sweep). With the columns the visibility rule
            # reads, and a dispatched case's other clock, so the cockpit counts overdue cases by status
            # from the indexes alone (pingan.cockpit.figures.overdue).
            models.Index(
                fields=["status", "resolve_due"], name="case_status_resolve_due", include=[*SEEN, "sign_due"]
            ),
            models.Index(fields=["status", "accept_due"], name="case_status_accept_due", include=SEEN),
            models.Index(
                fields=["status", "sign_due"], name="case_status_sign_due", include=[*SEEN, "resolve_due"]
            ),
            models.Index(fields=["status", "check_due"], name="case_status_check_due", include=SEEN),
            models.Index(fields=["created_at"], name="case_created_at"),
            # The cockpit's counts of a period (登记量, 办结数) and the ledger's date filters.
            # With the columns the visibility rule and the 办结 status read, for index-only counts.
            models.Index(fields=["reported_at"], name="case_reported_at", include=["region", "stream"]),
            models.Index(fields=["closed_at"], name="case_closed_at", include=["region", "stream", "status"]),
            # The open supervised cases, from which the 督办 figures start (see supervision.selectors).
            models.Index(
                fields=["supervision_level", "region"],
                condition=Q(status__in=OPEN_STATUSES) & ~Q(supervision_level=""),
                name="case_supervised_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def subject(self) -> policy.Subject:
        """This case as the policy sees it. Reads co-units and (for tips) exclusions, prefetched or not."""
        tip = self.stream == Stream.TIP
        exclusions = list(self.exclusions.all()) if tip and self.pk else []
        return policy.Subject(
            region=self.region_id,
            lead_unit=self.lead_unit_id,
            co_units=frozenset(u.pk for u in self.co_units.all()) if self.pk else frozenset(),
            reported_by=self.reported_by_id,
            confidential=tip,
            excluded_users=frozenset(e.user_id for e in exclusions if e.user_id),
            excluded_units=frozenset(e.unit.code for e in exclusions if e.unit is not None),
        )


def case_fields(via: str = "") -> policy.Fields:
    """Where a case keeps what the policy reads; with `via` (a foreign key to Case, such as a 督办
    record's "case"), the same seen from the rows that point at cases. Visibility then filters those
    rows joined to their case, which the database serves from the few rows in hand, where matching
    them against the subquery of every visible case made it read the whole case table."""
    prefix, case_id = (f"{via}__", f"{via}_id") if via else ("", "pk")
    return policy.Fields(
        region=f"{prefix}region",
        lead_unit=f"{prefix}lead_unit_id",
        co_units=_with_co_unit(case_id),
        reported_by=f"{prefix}reported_by_id",
        confidential=Q(**{f"{prefix}stream": Stream.TIP}),
        excluded=_excluding(case_id),
    )


CASE_FIELDS = case_fields()


class CaseSerial(models.Model):
    """The last serial given per county and year; numbers are never reused."""

    county = models.CharField(max_length=6)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county", "year"], name="serial_county_year")]

    def __str__(self) -> str:
        return f"{self.county}-{self.year}: {self.last}"
