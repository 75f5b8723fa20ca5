"""Writing the place register, inspections and re-inspections (GOVERNANCE §9). Each action is one
transaction with its audit entry.

An inspection's findings each open a `hazard` case through the case builder, as staff intake does
(channel 排查发现, the place's village, address and coordinates), numbered and evented in the same
transaction; the inspector's photos of a finding become the case's attachments. The case then runs the
one workflow: the centre accepts and dispatches it, the unit rectifies and resolves it.

Re-inspection (复查) fits the workflow's 核查 step: once a finding's case is resolved, an inspector goes
back. A pass is the on-site verification: when the inspector may take 核查通过 (a dispatcher), the case is
closed by it; a failure returns a resolved case for rework (核查不通过) or reopens a closed one
(重新办理). An inspector without those roles (a town's or the 应急 unit's handler) records the outcome,
which the case page shows to whoever takes the 核查."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from pingan.accounts.models import User
from pingan.accounts.scope import scope_of
from pingan.audit.changes import actor_name
from pingan.audit.log import record
from pingan.cases import actions as case_actions
from pingan.cases import events
from pingan.cases.builder import People, build_case, register, resolve_category
from pingan.cases.models import Attachment, Case, Status, Stream
from pingan.cases.uploads import atomic_files, store_cleaned
from pingan.cases.workflow import is_legal, may_take
from pingan.core.errors import DomainError, forbidden, invalid
from pingan.core.validation import validate
from pingan.regions.models import Region

from . import selectors
from .models import ChecklistItem, Finding, Inspection, ItemResult, Place, Recheck, RiskGrade
from .schemas import InspectionIn, PlaceIn, RecheckIn

OTHER_HAZARD = "H08"  # 安全隐患·其他: a finding outside the checklist, or an item without a category
# Photos of a finding: cleaned (decoded, re-encoded) before the transaction, stored inside it.
Photo = tuple[str, bytes, str]


def _grade(code: str) -> RiskGrade:
    grade = RiskGrade.objects.filter(code=code).first()
    if grade is None:
        names = "、".join(f"{g.code}（{g.name}）" for g in RiskGrade.objects.all())
        raise invalid({"grade": f"风险等级 {code} 不存在，可选：{names}"})
    return grade


def _village(code: str, by: User) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None or region.level != Region.Level.VILLAGE:
        raise invalid({"region": "请选择场所所在的村（社区）。"})
    if not selectors.may_manage(by, region.code):
        raise invalid({"region": "该村（社区）不在您负责排查的范围内。"})
    return region


def _audit(by: User, action: str, place: Place, **data: Any) -> None:
    record(actor_name(by), action, object_type="inspections.place", object_id=str(place.pk), data=data)


def register_place(by: User, payload: PlaceIn | dict, *, today: date | None = None) -> Place:
    """登记场所: its first inspection falls due one interval of its grade after registration."""
    data = payload if isinstance(payload, PlaceIn) else validate(PlaceIn, payload)
    if not selectors.managed_regions(by):
        raise forbidden("您无权登记排查场所：由乡镇综治中心、应急管理部门和受理分派员登记。")
    region, grade = _village(data.region, by), _grade(data.grade)
    today = today or timezone.localdate()
    with transaction.atomic():
        place = Place.objects.create(
            kind=data.kind,
            name=data.name,
            region=region,
            address=data.address,
            lat=data.lat,
            lng=data.lng,
            responsible_unit=data.responsible_unit,
            grade=grade,
            registered_on=today,
            next_due_on=today + timedelta(days=grade.interval_days),
        )
        _audit(by, "inspection.place_create", place, **data.model_dump(mode="json"))
    return place


def update_place(place: Place, by: User, payload: PlaceIn | dict) -> Place:
    """修改场所: a new grade moves the next due day (from the last inspection, or registration)."""
    data = payload if isinstance(payload, PlaceIn) else validate(PlaceIn, payload)
    if not selectors.may_manage(by, place.region_id):
        raise forbidden("您无权修改该场所：不在您负责排查的范围内。")
    region, grade = _village(data.region, by), _grade(data.grade)
    with transaction.atomic():
        place = Place.objects.select_for_update(of=("self",)).get(pk=place.pk)
        new = {
            **data.model_dump(exclude={"region", "grade"}),
            "region_id": region.code,
            "grade_id": grade.code,
        }
        was = {k: getattr(place, k) for k in new}
        for name, value in new.items():
            setattr(place, name, value)
        place.next_due_on = (place.last_inspected_on or place.registered_on) + timedelta(
            days=grade.interval_days
        )
        place.save()
        changed = {k: v for k, v in new.items() if was[k] != v}
        _audit(
            by,
            "inspection.place_change",
            place,
            changed={k: str(v) for k, v in changed.items()},
            was={k: str(was[k]) for k in changed},
        )
    return place


def reschedule(grade: RiskGrade) -> int:
    """The admin changed a grade's interval: the next due day of its places follows. Returns how many."""
    changed = []
    for place in Place.objects.filter(grade=grade).only(
        "pk", "registered_on", "last_inspected_on", "next_due_on"
    ):
        due = (place.last_inspected_on or place.registered_on) + timedelta(days=grade.interval_days)
        if due != place.next_due_on:
            place.next_due_on = due
            changed.append(place)
    Place.objects.bulk_update(changed, ["next_due_on"], batch_size=500)
    return len(changed)


# ---------------------------------------------------------------- inspections


def checklist(place: Place) -> list[ChecklistItem]:
    """The items for the place's kind, the common ones first."""
    items = ChecklistItem.objects.filter(active=True, kind__in=["", place.kind])
    return sorted(items, key=lambda i: (i.kind != "", i.sort, i.pk))


def _inspectors(by: User, usernames: Sequence[str], region_code: str, field: str) -> list[User]:
    wanted = [u for u in dict.fromkeys(usernames) if u != by.username]
    if not wanted:
        return [by]
    allowed = {u.username: u for u in selectors.inspectors_for(region_code)}
    unknown = [u for u in wanted if u not in allowed]
    if unknown:
        raise invalid({field: f"{unknown[0][:40]} 不是本区域的排查人员"})
    return [by, *(allowed[u] for u in wanted)]


def _day(value: date, *, field: str, today: date, not_before: date | None, before_label: str) -> None:
    if value > today:
        raise invalid({field: "日期不能晚于今天"})
    if not_before is not None and value < not_before:
        raise invalid({field: f"日期不能早于{before_label}（{not_before:%Y-%m-%d}）"})


def _check_results(data: InspectionIn, items: list[ChecklistItem]) -> dict[int, str]:
    by_id = {i.pk: i for i in items}
    results: dict[int, str] = {}
    for n, r in enumerate(data.results):
        if r.item not in by_id:
            raise invalid({f"results.{n}.item": "不是该类场所检查表中的项目"})
        results[r.item] = r.result
    missing = [i.text for i in items if i.pk not in results]
    if missing:
        raise invalid({"results": f"检查表未填完整：“{missing[0]}”等 {len(missing)} 项没有结果"})
    for n, f in enumerate(data.findings):
        if f.item is not None and results.get(f.item) != ItemResult.Result.FAILED:
            raise invalid({f"findings.{n}.item": "该检查项目没有判为不合格"})
    noted = {f.item for f in data.findings}
    unexplained = [
        by_id[pk].text for pk, r in results.items() if r == ItemResult.Result.FAILED and pk not in noted
    ]
    if unexplained:
        raise invalid({"findings": f"不合格项“{unexplained[0]}”没有写明发现的问题"})
    return results


def _case_for(place: Place, finding: Any, item: ChecklistItem | None, inspection: Inspection, *, by: User,
              now: datetime) -> Case:  # fmt: skip
    """The unsaved `hazard` case of a finding (InspectionFindingIn) at the place."""
    description, severity = finding.description, finding.severity
    category = resolve_category(Stream.HAZARD, (item.category if item else "") or OTHER_HAZARD)
    title = f"{place.name}：{description}"
    return build_case(
        stream=Stream.HAZARD,
        category=category,
        title=title[:200],
        region=place.region,
        channel=Case.Channel.INSPECTION,
        reported_at=now,
        reported_by=by,
        description=(
            f"{inspection.inspected_on:%Y年%m月%d日}对{place.get_kind_display()}“{place.name}”"
            f"（{place.address}）检查发现：{description}" + (f"（检查项目：{item.text}）" if item else "")
        ),
        address=place.address[:200],
        lat=place.lat,
        lng=place.lng,
        occurred_at=now,
        severity=Case.Severity.MAJOR if severity == Finding.Severity.MAJOR else Case.Severity.NORMAL,
    )


def record_inspection(
    by: User,
    payload: InspectionIn | dict,
    *,
    photos: dict[int, list[Photo]] | None = None,
    now: datetime | None = None,
) -> Inspection:
    """记录检查: the checklist, and a `hazard` case per finding, linked to the place. `photos` maps a
    finding's index to its photos, as `clean_upload` returned them."""
    data = payload if isinstance(payload, InspectionIn) else validate(InspectionIn, payload)
    place = selectors.find_place(by, data.place)
    if not selectors.may_manage(by, place.region_id):
        raise forbidden("您无权记录该场所的检查：不在您负责排查的范围内。")
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    items = checklist(place)
    results = _check_results(data, items)
    inspectors = _inspectors(by, data.inspectors, place.region_id, "inspectors")
    by_id = {i.pk: i for i in items}
    with atomic_files() as stored:
        place = (
            Place.objects.select_for_update(of=("self",)).select_related("region", "grade").get(pk=place.pk)
        )
        last = place.last_inspected_on
        _day(data.inspected_on, field="inspected_on", today=today, not_before=last or place.registered_on,
             before_label="上次检查日期" if last else "场所登记日期")  # fmt: skip
        inspection = Inspection.objects.create(
            place=place,
            inspected_on=data.inspected_on,
            note=data.note,
            recorded_by=by,
            recorded_at=now,
            due_on=place.next_due_on,
            on_schedule=data.inspected_on <= place.next_due_on,
        )
        inspection.inspectors.set(inspectors)
        ItemResult.objects.bulk_create(
            ItemResult(inspection=inspection, item_id=pk, result=result) for pk, result in results.items()
        )
        place.last_inspected_on = data.inspected_on
        place.next_due_on = data.inspected_on + timedelta(days=place.grade.interval_days)
        place.save(update_fields=["last_inspected_on", "next_due_on"])
        cases = [
            _case_for(place, f, by_id.get(f.item) if f.item else None, inspection, by=by, now=now)
            for f in data.findings
        ]
        meta = {"channel": Case.Channel.INSPECTION, "stream": Stream.HAZARD, "inspection": inspection.pk}
        register(cases, by=by, people=[People() for _ in cases], data=[meta for _ in cases], at=now)
        Finding.objects.bulk_create(
            Finding(
                inspection=inspection, item_id=f.item, description=f.description, severity=f.severity, case=c
            )
            for f, c in zip(data.findings, cases, strict=True)
        )
        for index, files in (photos or {}).items():
            if not 0 <= index < len(cases):
                continue
            for cleaned in files:
                att = store_cleaned(cases[index], by, Attachment.Kind.PHOTO, cleaned)
                stored.append(att)
                events.write(
                    cases[index],
                    "attach",
                    by=by,
                    at=now,
                    data={"attachment": att.pk, "kind": att.kind, "name": att.original_name},
                )
        _audit(
            by,
            "inspection.record",
            place,
            inspection=inspection.pk,
            inspected_on=data.inspected_on.isoformat(),
            on_schedule=inspection.on_schedule,
            inspectors=[u.username for u in inspectors],
            failed=sum(r == ItemResult.Result.FAILED for r in results.values()),
            cases=[c.number for c in cases],
        )
    return inspection


# ---------------------------------------------------------------- re-inspections


def _effect(by: User, case: Case, passed: bool, note: str, now: datetime) -> str:
    """What the re-inspection does to the case, as far as the inspector's roles reach."""
    scope = scope_of(by)

    def can(action: str) -> bool:
        return is_legal(case, action) and may_take(scope, case, action)

    if passed:
        if case.status == Status.RESOLVED and can("check_pass"):
            case_actions.check_pass(case, by=by, note=f"现场复查合格：{note}"[:2000], now=now)
            return Recheck.Effect.CLOSED
        return Recheck.Effect.NONE
    reason = f"现场复查不合格：{note}"[:2000]
    if case.status == Status.RESOLVED and can("check_fail"):
        case_actions.check_fail(case, by=by, reason=reason, now=now)
        return Recheck.Effect.RETURNED
    if case.status == Status.CLOSED and can("reopen"):
        case_actions.reopen_case(case, by=by, reason=reason, now=now)
        return Recheck.Effect.REOPENED
    return Recheck.Effect.NONE


def record_recheck(
    by: User, finding_id: int, payload: RecheckIn | dict, *, now: datetime | None = None
) -> Recheck:
    """复查 of a finding whose case was resolved; see the module's docstring for what it does to the case."""
    data = payload if isinstance(payload, RecheckIn) else validate(RecheckIn, payload)
    finding = selectors.find_finding(by, finding_id)
    place = finding.inspection.place
    if not selectors.may_manage(by, place.region_id):
        raise forbidden("您无权复查该场所：不在您负责排查的范围内。")
    now = now or timezone.now()
    inspectors = _inspectors(by, data.inspectors, place.region_id, "inspectors")
    with transaction.atomic():
        locked = Finding.objects.select_for_update(of=("self",)).get(pk=finding.pk)
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("category__parent")
            .get(pk=locked.case_id)
        )
        pending = Finding.objects.filter(selectors.pending_recheck_q(), pk=locked.pk).exists()
        if not pending:
            raise DomainError(
                "not_awaiting_recheck",
                f"隐患案件 {case.number} 当前为“{case.get_status_display()}”，不在待复查状态："
                "案件办结反馈后才能复查，每次办结复查一次。",
                status=409,
            )
        resolved_on = timezone.localtime(case.resolved_at).date() if case.resolved_at else None
        today = timezone.localtime(now).date()
        _day(data.rechecked_on, field="rechecked_on", today=today, not_before=resolved_on,
             before_label="案件办结日期")  # fmt: skip
        effect = _effect(by, case, data.passed, data.note, now)
        recheck = Recheck.objects.create(
            finding=locked,
            rechecked_on=data.rechecked_on,
            passed=data.passed,
            note=data.note,
            effect=effect,
            recorded_by=by,
            recorded_at=now,
        )
        recheck.inspectors.set(inspectors)
        _audit(
            by,
            "inspection.recheck",
            place,
            finding=locked.pk,
            case=case.number,
            passed=data.passed,
            effect=effect,
            rechecked_on=data.rechecked_on.isoformat(),
        )
    return recheck
