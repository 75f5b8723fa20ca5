"""Input shapes of case creation and of each workflow action (DESIGN §3, §4, §7)."""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Literal

from django.utils import timezone
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from pingan.core.pii import id_number_is_valid, phone_is_valid
from pingan.core.validation import RecordId

from .models import Agreement, Case, FollowUp, Party, Stream, WorkRecord


def _phone(value: str) -> str:
    value = value.strip().replace(" ", "")
    if value and not phone_is_valid(value):
        raise ValueError("电话号码格式不正确，应为 11 位手机号或带区号的固定电话")
    return value


def _id_number(value: str) -> str:
    value = value.strip().upper()
    if value and not id_number_is_valid(value):
        raise ValueError("身份证号码不正确（位数或校验位有误）")
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("时间须带时区，如 2026-11-22T09:30:00+08:00")
    return value


def _day_end(value: object) -> object:
    """A bare date means the end of that day in the configured time zone ("5 日内" names a day)."""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            return value  # the datetime parser reports the bad format
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time(23, 59, 59), timezone.get_default_timezone())
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True)]
Phone = Annotated[str, StringConstraints(max_length=20), AfterValidator(_phone)]
IdNumber = Annotated[str, StringConstraints(max_length=18), AfterValidator(_id_number)]
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
DayOrDatetime = Annotated[datetime, BeforeValidator(_day_end), AfterValidator(_aware)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


# The default of a field that is optional but may not be null: left out, it is not set at all.
Unset = Field(default=None)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReporterIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] = ""
    phone: Phone = ""
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    anonymous: bool = False


class PartyIn(Strict):
    role: Party.Role = Party.Role.APPLICANT
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    phone: Phone = ""
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    id_number: IdNumber = ""


class CaseIn(Strict):
    stream: Stream
    category: Annotated[str, StringConstraints(max_length=16)] | None = None
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] = ""
    channel: Case.Channel = Case.Channel.WALK_IN
    region: Annotated[str, StringConstraints(max_length=15)]
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    lat: Annotated[Decimal, Field(ge=-90, le=90, decimal_places=6)] | None = None
    lng: Annotated[Decimal, Field(ge=-180, le=180, decimal_places=6)] | None = None
    occurred_at: AwareDatetime | None = None
    severity: Case.Severity = Case.Severity.NORMAL
    people_involved: Annotated[int, Field(ge=1, le=100000)] = 1
    is_group: bool = False
    reporter: ReporterIn | None = None
    parties: Annotated[list[PartyIn], Field(max_length=50)] = []


class ActionIn(Strict):
    version: int | None = Field(None, description="乐观锁：提交时所见的案件版本，过期则返回 409")


class NoteIn(ActionIn):
    note: Note = ""


class ReasonIn(ActionIn):
    reason: Reason


class RejectIn(ReasonIn):
    channel_advice: Note = Field("", description="告知反映人的正确渠道")


class MergeIn(ActionIn):
    into: Annotated[str, StringConstraints(max_length=32)]
    reason: Note = ""


class RelateIn(ActionIn):
    case: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    note: Note = ""


class AnswerIn(ActionIn):
    summary: Reason
    outcome: Case.Outcome = Case.Outcome.EXPLAINED


class DispatchIn(ActionIn):
    lead_unit: Annotated[str, StringConstraints(max_length=32)] | None = None
    co_units: Annotated[list[str], Field(max_length=20)] = []
    handler: str | None = None
    designated: bool = False
    due: DayOrDatetime | None = Field(
        None,
        description="交办时限（可选）：日期（到当日 23:59:59）或带时区的时间；"
        "须晚于现在、不晚于本案办理时限，作为本案的办理时限",
    )
    note: Note = ""


class ExtensionIn(ActionIn):
    reason: Reason
    new_due: AwareDatetime


class DecisionIn(ActionIn):
    decision: Literal["approve", "deny"]
    note: Note = ""


def _not_progress(kind: str) -> str:
    if kind == WorkRecord.Kind.PROGRESS:
        raise ValueError("督办进展请用“报告督办进展”提交")
    return kind


class WorkRecordIn(ActionIn):
    kind: Annotated[WorkRecord.Kind, AfterValidator(_not_progress)]
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    happened_at: AwareDatetime | None = None


class AgreementIn(Strict):
    terms: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)]
    performance_due: date | None = None
    judicial_confirmation: bool = False


class ResolveIn(ActionIn):
    outcome: Case.Outcome
    summary: Reason
    evidence: Annotated[list[RecordId], Field(max_length=50)] = []
    agreement: AgreementIn | None = None


class FollowUpIn(ActionIn):
    satisfaction: FollowUp.Satisfaction
    resolved: bool
    note: Note = ""


class UpdateIn(ActionIn):
    """Only the fields sent are changed (`exclude_unset`). None but `category` may be null: the others
    are NOT NULL columns, so a null is refused here (400) rather than by the database."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Unset]
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), Unset]
    category: Annotated[str, StringConstraints(max_length=16)] | None = None  # null: not classified
    region: Annotated[str, StringConstraints(max_length=15), Unset]
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), Unset]
    severity: Annotated[Case.Severity, Unset]
    people_involved: Annotated[int, Field(ge=1, le=100000), Unset]
    is_group: Annotated[bool, Unset]


class RevealIn(Strict):
    field: Annotated[str, StringConstraints(max_length=64)] = Field(
        description="reporter.name / reporter.phone / reporter.address，"
        "或 parties.<id>.<name|phone|address|id_number>"
    )
    reason: Reason


class ReplyIn(ActionIn):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ExcludeIn(ActionIn):
    units: Annotated[list[Annotated[str, StringConstraints(max_length=32)]], Field(max_length=20)] = []
    users: Annotated[list[Annotated[str, StringConstraints(max_length=150)]], Field(max_length=20)] = []
    reason: Reason


Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


class PlanStepIn(Strict):
    step: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    due: date = Field(description="完成期限（日期），如 2026-12-31")


class AssignLeaderIn(ActionIn):
    leader: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)] = Field(
        description="包案领导的用户名：须对本案所在区划有“领导”授权"
    )
    team_units: Annotated[list[Code], Field(min_length=1, max_length=20)] = Field(
        description="工作专班单位代码"
    )
    plan: Annotated[list[PlanStepIn], Field(min_length=1, max_length=20)] = Field(
        description="工作方案：按顺序的步骤和完成期限"
    )


class PlanStepDoneIn(ActionIn):
    step: Annotated[int, Field(ge=1, le=20, description="步骤序号，从 1 起")]
    note: Note = ""


class SignOffIn(ActionIn):
    note: Reason


class BacklogIn(ActionIn):
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="积案来源，如“市信访联席办交办”"
    )
    note: Note = ""


class BacklogImportIn(Strict):
    numbers: Annotated[
        list[Annotated[str, StringConstraints(max_length=32)]], Field(min_length=1, max_length=500)
    ]
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    note: Note = ""


class PerformanceIn(ActionIn):
    state: Agreement.Performance = Field(
        description="履行情况：performed 已履行 / partly 部分履行 / not 未履行"
    )
    note: Note = ""


class JudicialConfirmationIn(ActionIn):
    applied_on: date = Field(description="申请司法确认的日期")
    court: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="受理申请的人民法院"
    )
    result: Agreement.Confirmation | None = Field(
        None, description="结果：confirmed 确认有效 / rejected 驳回申请 / withdrawn 撤回申请；不填为审查中"
    )
    result_on: date | None = Field(None, description="结果日期（有结果时必填）")
