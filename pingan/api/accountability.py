"""The accountability ledger (GOVERNANCE §3): list, enter by hand, confirm, dismiss, lift."""

import datetime as dt

from ninja import Query, Router, Schema, Status
from pydantic import Field

from pingan.accountability import actions, selectors
from pingan.accountability.access import READERS
from pingan.accountability.models import Entry
from pingan.accounts.scope import scope_of
from pingan.cases.models import Case
from pingan.core.errors import forbidden
from pingan.regions.subjects import region_or_unit

from .schemas import SIGNED_IN, answers

router = Router(tags=["问责台账"])


class CaseRef(Schema):
    number: str
    title: str
    status: str


class EntryOut(Schema):
    id: int
    region: str | None = Field(description="问责对象为区划时的区划代码")
    unit: str | None = Field(description="问责对象为单位时的单位代码")
    subject_code: str
    subject_name: str
    level: str = Field(
        description="reminder 提醒 / bulletin 通报批评 / interview 约谈 / listing 挂牌 / referral 建议问责"
    )
    level_label: str
    status: str = Field(description="proposed 待确认 / confirmed 生效 / dismissed 不予采纳 / lifted 已解除")
    status_label: str
    trigger: str
    rule: str | None = Field(description="提出该建议的规则代码；人工登记为 null")
    date: dt.date
    requirement: str
    deadline: dt.date | None
    attendees: str
    has_record: bool
    cases: list[CaseRef] = Field(description="关联的整改案件（仅列出调用者有权查看的）")
    created_at: dt.datetime
    decided_at: dt.datetime | None
    dismiss_reason: str
    lifted_at: dt.datetime | None
    lift_note: str


class EntryList(Schema):
    items: list[EntryOut]
    total: int


class EntryQuery(Schema):
    status: str = Field("", description="proposed、confirmed、dismissed 或 lifted")
    level: str = Field("", description="reminder、bulletin、interview、listing 或 referral")
    region: str = Field("", description="区划代码：该区划及其下级（含其中单位）")
    unit: str = Field("", description="单位代码")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class EntryIn(Schema):
    region: str | None = Field(None, description="区划代码（与 unit 二选一）")
    unit: str | None = Field(None, description="单位代码（与 region 二选一）")
    level: str = Field(description="reminder、bulletin、interview、listing 或 referral")
    trigger: str = Field(description="触发原因", max_length=2000)
    requirement: str | None = Field(None, description="整改要求", max_length=2000)
    deadline: dt.date | None = Field(None, description="整改期限")
    date: dt.date | None = Field(None, description="问责日期（如约谈举行之日），默认今天，不晚于今天")
    attendees: str | None = Field(
        None, description="参加人员的职务，如“县委政法委副书记、城关街道党工委书记”", max_length=500
    )


class ConfirmIn(Schema):
    requirement: str | None = Field(None, max_length=2000)
    deadline: dt.date | None = None
    attendees: str | None = Field(None, max_length=500)


class DismissIn(Schema):
    reason: str = Field(description="不予采纳的理由", max_length=2000)


class EntryLiftIn(Schema):
    note: str = Field(description="解除说明（整改完成情况）", max_length=2000)


def case_ref(c: Case) -> dict:
    return {"number": c.number, "title": c.title, "status": c.status}


def entry_out(e: Entry, visible_cases: dict[int, list[Case]]) -> dict:
    return {
        "id": e.pk, "region": e.region_id, "unit": e.unit.code if e.unit else None,
        "subject_code": e.subject_code, "subject_name": e.subject_name,
        "level": e.level, "level_label": e.get_level_display(),
        "status": e.status, "status_label": e.get_status_display(),
        "trigger": e.trigger, "rule": e.rule.code if e.rule else None, "date": e.date,
        "requirement": e.requirement, "deadline": e.deadline, "attendees": e.attendees,
        "has_record": bool(e.record_file),
        "cases": [case_ref(c) for c in visible_cases.get(e.pk, [])],
        "created_at": e.created_at, "decided_at": e.decided_at, "dismiss_reason": e.dismiss_reason,
        "lifted_at": e.lifted_at, "lift_note": e.lift_note,
    }  # fmt: skip


def _cases_of(user, entries: list[Entry]) -> dict[int, list[Case]]:
    """The linked cases the caller may see, one query for the whole page."""
    through = Entry.cases.through.objects.filter(entry__in=entries)
    links = list(through.values_list("entry_id", "case_id"))
    visible = (
        Case.objects.visible_to(user).filter(pk__in=[c for _, c in links]).only("number", "title", "status")
    )
    by_id = {c.pk: c for c in visible}
    found: dict[int, list[Case]] = {}
    for entry_id, case_id in sorted(links):
        if case_id in by_id:
            found.setdefault(entry_id, []).append(by_id[case_id])
    return found


def _out(request, entry: Entry) -> dict:
    entry = selectors.find_entry(request.user, entry.pk)
    return entry_out(entry, _cases_of(request.user, [entry]))


def _reader(request) -> None:
    if not scope_of(request.user).has_role(*READERS):
        raise forbidden("问责台账仅限领导和督导人员查看。")


ENTRY_CHANGE = answers({200: EntryOut}, *SIGNED_IN, 404, 409)


@router.get("/accountability", response=answers({200: EntryList}, *SIGNED_IN), summary="问责台账")
def list_entries(request, q: Query[EntryQuery]):
    _reader(request)
    rows = selectors.visible_entries(
        request.user, status=q.status, level=q.level, region=q.region, unit=q.unit
    )
    page = list(rows[q.offset : q.offset + q.limit])
    cases = _cases_of(request.user, page)
    return {"items": [entry_out(e, cases) for e in page], "total": rows.count()}


@router.post(
    "/accountability", response=answers({201: EntryOut}, *SIGNED_IN), summary="登记问责（督导人员，即时生效）"
)
def post_entry(request, payload: EntryIn):
    _reader(request)
    region, unit = region_or_unit(payload.region, payload.unit)
    terms = payload.dict(include={"level", "trigger", "requirement", "deadline", "attendees"})
    entry = actions.enter(by=request.user, region=region, unit=unit, on=payload.date, **terms)
    return Status(201, _out(request, entry))


@router.post(
    "/accountability/{entry_id}/confirm",
    response=answers({200: EntryOut}, *SIGNED_IN, 404, 409),
    summary="确认问责建议",
)
def confirm_entry(request, entry_id: int, payload: ConfirmIn):
    entry = selectors.find_entry(request.user, entry_id)  # out of the caller's ledger: 404
    actions.confirm(entry, by=request.user, requirement=payload.requirement, deadline=payload.deadline,
                    attendees=payload.attendees)  # fmt: skip
    return _out(request, entry)


@router.post(
    "/accountability/{entry_id}/dismiss",
    response=answers({200: EntryOut}, *SIGNED_IN, 404, 409),
    summary="不予采纳问责建议",
)
def dismiss_entry(request, entry_id: int, payload: DismissIn):
    entry = selectors.find_entry(request.user, entry_id)  # out of the caller's ledger: 404
    actions.dismiss(entry, by=request.user, reason=payload.reason)
    return _out(request, entry)


@router.post(
    "/accountability/{entry_id}/lift",
    response=answers({200: EntryOut}, *SIGNED_IN, 404, 409),
    summary="解除问责",
)
def lift_entry(request, entry_id: int, payload: EntryLiftIn):
    entry = selectors.find_entry(request.user, entry_id)  # out of the caller's ledger: 404
    actions.lift(entry, by=request.user, note=payload.note)
    return _out(request, entry)
