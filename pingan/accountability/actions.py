"""Keeping the ledger: a rule proposes, a supervisor confirms or dismisses, enters by hand, files the
record, links the rectification cases and lifts the entry at the end. Every write is audited in the
transaction of the change."""

import re
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from pingan.accounts.scope import scope_of
from pingan.audit.changes import actor_name
from pingan.audit.log import record
from pingan.cases.models import Case
from pingan.cases.uploads import clean_upload
from pingan.core.errors import DomainError, forbidden, invalid, invalid_transition, not_found

from .access import may_keep, may_read
from .models import Entry, Level, Rule

S = Entry.Status
# Seven digits or more in a row: a telephone or an identity number, which attendees never carry.
PERSONAL_NUMBER = re.compile(r"\d{7,}")
MAX_CASES = 50
ATTENDEES_HINT = "参加人员只填写职务（如“县委政法委副书记、城关街道党工委书记”），不填写电话或证件号码。"
LEVEL_HINT = (
    "问责方式应为 reminder 提醒、bulletin 通报批评、interview 约谈、listing 挂牌或 referral 建议问责。"
)


def _audit(by, action: str, entry: Entry, **data) -> None:
    data = {"subject": entry.subject_code, "level": entry.level, **data}
    record(actor_name(by), action, object_type="accountability.entry", object_id=str(entry.pk), data=data)


def check_keeper(by, entry: Entry) -> None:
    """A supervisor over the entry's region; a reader who is not one gets 403, anyone else 404."""
    scope = scope_of(by)
    if may_keep(scope, entry.subject_region):
        return
    if may_read(scope, entry.subject_region):
        raise forbidden("问责台账由督导人员确认和维护。")
    raise not_found()


def _text(value, field: str, limit: int, *, required: str = "") -> str:
    text = str(value or "").strip()
    if required and not text:
        raise invalid({field: required})
    if len(text) > limit:
        raise invalid({field: f"不能超过 {limit} 字。"})
    return text


def _day(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise invalid({field: "应为日期，如 2026-12-31。"}) from None


def _attendees(value) -> str:
    text = _text(value, "attendees", 500)
    if PERSONAL_NUMBER.search(text):
        raise invalid({"attendees": ATTENDEES_HINT})
    return text


def _terms(entry: Entry, requirement, deadline, attendees) -> None:
    """Requirement, deadline and attendees as given; a value left out keeps what the entry has."""
    if requirement is not None:
        entry.requirement = _text(requirement, "requirement", 2000)
    if deadline is not None:
        entry.deadline = _day(deadline, "deadline")
    if attendees is not None:
        entry.attendees = _attendees(attendees)


def level_of(value) -> str:
    if value not in Level.values:
        raise invalid({"level": LEVEL_HINT})
    return str(value)


@transaction.atomic
def enter(
    *, by, region=None, unit=None, level, trigger, requirement=None, deadline=None, attendees=None, on=None
) -> Entry:
    """An entry entered by hand by a supervisor: in force at once (he is the one who confirms). `on` is
    the day it was decided (a 约谈 held last week), today when not given, never later."""
    entry = Entry(region=region, unit=unit, level=level_of(level), created_by=by)
    entry.date = _day(on, "date") or timezone.localdate()
    if entry.date > timezone.localdate():
        raise invalid({"date": "日期不能晚于今天。"})
    entry.trigger = _text(trigger, "trigger", 2000, required="请填写触发原因（问责的事实依据）。")
    check_keeper(by, entry)
    _terms(entry, requirement, deadline, attendees)
    entry.status, entry.decided_by, entry.decided_at = S.CONFIRMED, by, timezone.now()
    entry.save()
    _audit(by, "accountability.enter", entry, trigger=entry.trigger, date=entry.date, deadline=entry.deadline)
    return entry


def propose(
    rule: Rule, *, key: str, trigger: str, region=None, unit=None, today=None, cases=()
) -> Entry | None:
    """A rule's proposal, once per key: None when the rule proposed it before (the unique key settles
    two runs at once as well)."""
    if Entry.objects.filter(dedup_key=key).exists():
        return None
    today = today or timezone.localdate()
    try:
        with transaction.atomic():
            entry = Entry.objects.create(
                region=region, unit=unit, level=rule.level, rule=rule, dedup_key=key, trigger=trigger,
                requirement=rule.requirement, date=today,
                deadline=today + timedelta(days=rule.deadline_days) if rule.deadline_days else None,
            )  # fmt: skip
            entry.cases.add(*cases)
            _audit(None, "accountability.propose", entry, rule=rule.code, trigger=trigger,
                   cases=[c.number for c in cases])  # fmt: skip
    except IntegrityError:
        return None
    return entry


def _locked(entry: Entry, *allowed: str, by, doing: str) -> Entry:
    check_keeper(by, entry)
    entry = Entry.objects.select_for_update(of=("self",)).select_related("region", "unit").get(pk=entry.pk)
    if entry.status not in allowed:
        raise invalid_transition(f"该记录当前为“{entry.get_status_display()}”，不能{doing}。")
    return entry


@transaction.atomic
def confirm(entry: Entry, *, by, requirement=None, deadline=None, attendees=None) -> Entry:
    entry = _locked(entry, S.PROPOSED, by=by, doing="确认")
    _terms(entry, requirement, deadline, attendees)
    entry.status, entry.decided_by, entry.decided_at = S.CONFIRMED, by, timezone.now()
    entry.save()
    _audit(by, "accountability.confirm", entry, requirement=entry.requirement, deadline=entry.deadline,
           attendees=entry.attendees)  # fmt: skip
    return entry


@transaction.atomic
def dismiss(entry: Entry, *, by, reason) -> Entry:
    reason = _text(reason, "reason", 2000, required="请填写不予采纳的理由。")
    entry = _locked(entry, S.PROPOSED, by=by, doing="不予采纳")
    entry.status, entry.decided_by, entry.decided_at = S.DISMISSED, by, timezone.now()
    entry.dismiss_reason = reason
    entry.save()
    _audit(by, "accountability.dismiss", entry, reason=reason)
    return entry


@transaction.atomic
def lift(entry: Entry, *, by, note) -> Entry:
    note = _text(note, "note", 2000, required="请填写解除说明（整改完成情况）。")
    entry = _locked(entry, S.CONFIRMED, by=by, doing="解除")
    entry.status, entry.lifted_by, entry.lifted_at, entry.lift_note = S.LIFTED, by, timezone.now(), note
    entry.save()
    _audit(by, "accountability.lift", entry, note=note)
    return entry


def attach_record(entry: Entry, *, by, name: str, content: bytes) -> Entry:
    """The 约谈记录 or 通报文件 (PDF or image, checked by content as case attachments are); a new one
    replaces the old, whose file is removed once the change is committed."""
    check_keeper(by, entry)
    original, stored, mime = clean_upload(name, content)
    old = None
    try:
        with transaction.atomic():
            entry = _locked(entry, S.PROPOSED, S.CONFIRMED, S.LIFTED, by=by, doing="上传记录文件")
            old = entry.record_file.name
            entry.record_file.save("record", ContentFile(stored), save=False)
            entry.record_name, entry.record_type = original, mime
            entry.save()
            _audit(by, "accountability.record", entry, name=original, size=len(stored), replaced=bool(old))
    except BaseException:
        if old is not None and entry.record_file and entry.record_file.name != old:
            entry.record_file.delete(save=False)
        raise
    if old:
        storage = entry.record_file.storage
        transaction.on_commit(lambda: storage.delete(old))
    return entry


@transaction.atomic
def link_cases(entry: Entry, numbers: list[str], *, by) -> list[str]:
    """Link rectification cases by number: only cases the supervisor may see. Returns those linked."""
    entry = _locked(entry, S.PROPOSED, S.CONFIRMED, by=by, doing="关联整改案件")
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n and n.strip()))
    if not wanted:
        raise invalid({"cases": "请填写要关联的案件编号。"})
    if len(wanted) > MAX_CASES:
        raise invalid({"cases": f"一次最多关联 {MAX_CASES} 件案件。"})
    found = {c.number: c for c in Case.objects.visible_to(by).filter(number__in=wanted)}
    missing = [n for n in wanted if n not in found]
    if missing:
        # The same words for a case that does not exist and one the user may not see.
        raise DomainError(
            "unknown_case", f"案件“{missing[0][:40]}”不存在或您无权查看。", fields={"cases": "请核对案件编号"}
        )
    entry.cases.add(*found.values())
    _audit(by, "accountability.link", entry, cases=wanted)
    return wanted


@transaction.atomic
def unlink_case(entry: Entry, number: str, *, by) -> None:
    entry = _locked(entry, S.PROPOSED, S.CONFIRMED, by=by, doing="取消关联案件")
    case = Case.objects.visible_to(by).filter(number=str(number), accountability_entries=entry).first()
    if case is None:
        raise DomainError("unknown_case", "该案件未关联到本记录，或您无权查看。")
    entry.cases.remove(case)
    _audit(by, "accountability.unlink", entry, cases=[case.number])
