"""Every write of a campaign, one function each, in one transaction with its audit entry (STYLE).

Checks run in the order the case actions use: who may (403; a campaign the user cannot read is 404
before it reaches here), is it legal now (409), are the fields valid (400). A finding is a case made by
the case intake action; a failed 回头看 reopens its case by the case reopen action, so the case's own
policy and events apply to both.
"""

import math
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from pydantic import BaseModel

from pingan.accounts.models import User
from pingan.accounts.scope import Scope, scope_of
from pingan.audit.changes import actor_name
from pingan.audit.log import record
from pingan.cases.actions import create_case, reopen_case
from pingan.cases.clocks import LOCAL
from pingan.cases.models import Case, Category, Status, Stream
from pingan.cases.uploads import clean_upload
from pingan.cases.workflow import may_take
from pingan.core.errors import DomainError, forbidden, invalid, invalid_transition, not_found
from pingan.core.validation import validate
from pingan.inspections.models import Place
from pingan.regions.models import Region, Unit

from . import access, indicators
from .models import (
    DEFAULT_PHASES,
    Campaign,
    Evidence,
    Finding,
    Indicator,
    Phase,
    ReviewItem,
    ReviewRound,
    Task,
    TaskReport,
)
from .schemas import CampaignFindingIn, CampaignIn, NoteIn, ProgressIn, RejectIn, SuperviseIn, TaskIn

T = Task.State
DEFAULT_PHASE_DAYS = 30
MAX_FILES = 10
Upload = tuple[str, bytes]  # (file name, content)


def _audit(by, action: str, campaign: Campaign, **data) -> None:
    record(actor_name(by), action, object_type="campaigns.campaign", object_id=str(campaign.pk), data=data)


def _units(codes: Sequence[str], field: str) -> list[Unit]:
    wanted = list(dict.fromkeys(codes))
    found = {u.code: u for u in Unit.objects.filter(code__in=wanted, active=True)}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise invalid({field: f"单位代码“{missing[0][:32]}”不存在或已停用。"})
    return [found[c] for c in wanted]


def _phases(data: CampaignIn, today: date) -> list[tuple[str, date, date]]:
    if not data.phases:
        return [
            (
                name,
                today + timedelta(days=i * DEFAULT_PHASE_DAYS),
                today + timedelta(days=(i + 1) * DEFAULT_PHASE_DAYS - 1),
            )
            for i, name in enumerate(DEFAULT_PHASES)
        ]
    phases = [(p.name, p.starts_on, p.ends_on) for p in data.phases]
    for i, (name, start, end) in enumerate(phases):
        if end < start:
            raise invalid({f"phases.{i}.ends_on": f"“{name}”的结束日期早于开始日期。"})
        if i and start < phases[i - 1][1]:
            raise invalid({f"phases.{i}.starts_on": "各阶段应按时间先后排列。"})
    return phases


def create_campaign(
    by: User, payload: CampaignIn | dict, *, today: date | None = None, now: datetime | None = None
) -> Campaign:
    """A campaign with its phases (the four default ones when none are given) and indicators."""
    data = payload if isinstance(payload, CampaignIn) else validate(CampaignIn, payload)
    today = today or timezone.localdate()
    scope = scope_of(by)
    codes = list(dict.fromkeys(data.scope_regions))
    if not scope.has_role(*access.ORGANISERS):
        raise forbidden("专项整治由督导人员或综治中心受理分派员组织。")
    regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in regions]
    if missing:
        raise invalid({"scope_regions": f"区划代码“{missing[0][:15]}”不存在。"})
    if not access.may_organise(scope, codes):
        raise invalid({"scope_regions": "整治范围应在您的管辖范围内。"})
    lead = _units([data.lead_unit], "lead_unit")[0]
    units = _units(data.units, "units")
    phases = _phases(data, today)
    sources = [indicators.parse(i.source) for i in data.indicators]
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=data.name, lead_unit=lead, starts_on=phases[0][1], ends_on=max(p[2] for p in phases),
            review_share=data.review_share, created_by=by, created_at=now or timezone.now(),
        )  # fmt: skip
        campaign.scope_regions.set([regions[c] for c in codes])
        campaign.units.set(units)
        Phase.objects.bulk_create(
            Phase(campaign=campaign, position=i, name=n, starts_on=s, ends_on=e)
            for i, (n, s, e) in enumerate(phases)
        )
        Indicator.objects.bulk_create(
            Indicator(
                campaign=campaign,
                position=i,
                name=ind.name,
                unit=ind.unit,
                baseline=ind.baseline,
                target=ind.target,
                direction=ind.direction,
                source=src.stored,
            )
            for i, (ind, src) in enumerate(zip(data.indicators, sources, strict=True))
        )
        _audit(by, "campaign.create", campaign, name=campaign.name, scope_regions=codes, lead_unit=lead.code,
               units=[u.code for u in units], phases=[[n, s, e] for n, s, e in phases],
               indicators=[i.name for i in data.indicators])  # fmt: skip
    return campaign


def _runner(by: User, campaign: Campaign, doing: str) -> None:
    if not access.may_run(scope_of(by), campaign):
        raise forbidden(f"只有本专项整治的组织者（督导人员、综治中心受理分派员）可以{doing}。")


def add_task(
    campaign: Campaign, *, by: User, payload: TaskIn | dict, today: date | None = None, now=None
) -> Task:
    """下达任务: the first progress report falls due `report_every_days` after today. `now` (or a `today`)
    moves the moment of issue, as the demo and tests do."""
    data = payload if isinstance(payload, TaskIn) else validate(TaskIn, payload)
    _runner(by, campaign, "下达任务")
    if now is None:
        now = timezone.now() if today is None else datetime.combine(today, time(9), tzinfo=LOCAL)
    today = today or timezone.localdate(now)
    unit = _units([data.unit], "unit")[0]
    official = None
    if data.official:
        official = User.objects.filter(username=data.official, is_active=True).first()
        if official is None:
            raise invalid({"official": f"用户“{data.official[:32]}”不存在。"})
    if data.due < today:
        raise DomainError("deadline_passed", "完成时限已过，请重新选择。", fields={"due": "不能早于今天"})
    every = data.report_every_days
    with transaction.atomic():
        task = Task.objects.create(
            campaign=campaign, title=data.title, unit=unit, official=official, due=data.due,
            report_every_days=every, next_report_due=today + timedelta(days=every) if every else None,
            evidence_required=data.evidence_required, created_by=by, created_at=now,
        )  # fmt: skip
        _audit(by, "campaign.task", campaign, task=task.pk, title=task.title, unit=unit.code, due=task.due,
               official=official.username if official else None, report_every_days=every,
               evidence_required=task.evidence_required)  # fmt: skip
    return task


def _locked(task: Task, *states: str, doing: str) -> Task:
    task = Task.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=task.pk)
    if task.state not in states:
        raise invalid_transition(f"该任务当前为“{task.get_state_display()}”，不能{doing}。")
    return task


def _cleaned(files: Sequence[Upload]) -> list[tuple[str, bytes, str]]:
    if len(files) > MAX_FILES:
        raise invalid({"files": f"一次最多上传 {MAX_FILES} 个文件。"})
    return [clean_upload(name, content) for name, content in files]  # before any lock is taken


def _report(
    task: Task,
    kind: str,
    by: User,
    note: str,
    now: datetime,
    cleaned: Sequence[tuple[str, bytes, str]] = (),
    on_time: bool | None = None,
    stored: list[str] | None = None,
) -> TaskReport:
    """One entry of the task's history, with the evidence files (their names noted in `stored`)."""
    report = TaskReport.objects.create(task=task, kind=kind, note=note, by=by, at=now, on_time=on_time)
    for name, content, mime in cleaned:
        e = Evidence(report=report, name=name, content_type=mime, size=len(content))
        e.file.save("evidence", ContentFile(content), save=False)
        if stored is not None:
            stored.append(str(e.file.name))
        e.save()
    return report


@contextmanager
def _files() -> Iterator[list[str]]:
    """A transaction that stores evidence files (their names go in the yielded list): if it fails, the
    rows roll back and this removes the files, which would not."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            yield stored
    except BaseException:
        for name in stored:
            Evidence.file.field.storage.delete(name)
        raise


def report_progress(task: Task, *, by: User, note: str, files: Sequence[Upload] = (), now=None) -> Task:
    """The unit's progress report: on time when filed by the report due in force."""
    if not access.may_report(scope_of(by), task):
        raise forbidden("只有责任单位或责任领导可以报告任务进展。")
    note = _note(note, required="请填写进展情况。")
    cleaned = _cleaned(files)
    now = now or timezone.now()
    today = timezone.localdate(now)
    with _files() as stored:
        task = _locked(task, T.OPEN, T.REJECTED, doing="报告进展")
        on_time = task.next_report_due is None or today <= task.next_report_due
        report = _report(task, TaskReport.Kind.PROGRESS, by, note, now, cleaned, on_time, stored)
        if task.report_every_days:
            task.next_report_due = today + timedelta(days=task.report_every_days)
            task.save(update_fields=["next_report_due"])
        _audit(by, "campaign.task_progress", task.campaign, task=task.pk, on_time=on_time,
               files=[n for n, _, _ in cleaned], report=report.pk)  # fmt: skip
    return task


def complete_task(task: Task, *, by: User, note: str = "", files: Sequence[Upload] = (), now=None) -> Task:
    """报告完成: waits for the organisers' acceptance. Evidence, where the task requires it, comes with
    this report or an earlier one."""
    if not access.may_report(scope_of(by), task):
        raise forbidden("只有责任单位或责任领导可以报告任务完成。")
    note = _note(note)
    cleaned = _cleaned(files)
    now = now or timezone.now()
    with _files() as stored:
        task = _locked(task, T.OPEN, T.REJECTED, doing="报告完成")
        if task.evidence_required and not cleaned and not Evidence.objects.filter(report__task=task).exists():
            raise DomainError(
                "evidence_required", "该任务须附佐证材料：请上传照片或 PDF 文件后再报告完成。",
                fields={"files": "请上传佐证材料"},
            )  # fmt: skip
        _report(task, TaskReport.Kind.COMPLETE, by, note or "任务已完成。", now, cleaned, stored=stored)
        task.state, task.completed_at = T.COMPLETED, now
        task.save(update_fields=["state", "completed_at"])
        _audit(by, "campaign.task_complete", task.campaign, task=task.pk, files=[n for n, _, _ in cleaned])
    return task


def accept_task(task: Task, *, by: User, note: str = "", now=None) -> Task:
    _runner(by, task.campaign, "验收任务")
    now = now or timezone.now()
    with transaction.atomic():
        task = _locked(task, T.COMPLETED, doing="验收")
        _report(task, TaskReport.Kind.ACCEPT, by, _note(note) or "验收通过。", now)
        task.state, task.accepted_at = T.ACCEPTED, now
        task.save(update_fields=["state", "accepted_at"])
        _audit(by, "campaign.task_accept", task.campaign, task=task.pk, note=note)
    return task


def reject_task(task: Task, *, by: User, reason: str, now=None) -> Task:
    """验收不通过: back to the unit, which reports again from today."""
    _runner(by, task.campaign, "验收任务")
    reason = _note(reason, required="请填写验收不通过的理由。")
    now = now or timezone.now()
    with transaction.atomic():
        task = _locked(task, T.COMPLETED, doing="验收")
        _report(task, TaskReport.Kind.REJECT, by, reason, now)
        task.state, task.completed_at = T.REJECTED, None
        if task.report_every_days:
            task.next_report_due = timezone.localdate(now) + timedelta(days=task.report_every_days)
        task.save(update_fields=["state", "completed_at", "next_report_due"])
        _audit(by, "campaign.task_reject", task.campaign, task=task.pk, reason=reason)
    return task


def supervise_task(task: Task, *, by: User, level: str, requirement: str, now=None) -> Task:
    """督办 a task (GOVERNANCE §4 for tasks): its level and requirement shown wherever the task is."""
    if not access.may_supervise(scope_of(by), task.campaign):
        raise forbidden("整治任务由领导或督导人员督办。")
    requirement = _note(requirement, required="请填写督办要求。")
    if level not in ("routine", "listed"):
        raise invalid({"level": "督办级别应为 routine（日常督办）或 listed（挂牌督办）。"})
    now = now or timezone.now()
    with transaction.atomic():
        task = _locked(task, *SUPERVISABLE, doing="督办")
        _report(task, TaskReport.Kind.SUPERVISE, by, requirement, now)
        task.supervision_level, task.supervision_requirement = level, requirement
        task.supervised_by, task.supervised_at = by, now
        task.save(
            update_fields=["supervision_level", "supervision_requirement", "supervised_by", "supervised_at"]
        )
        _audit(
            by, "campaign.task_supervise", task.campaign, task=task.pk, level=level, requirement=requirement
        )
    return task


def _note(text, *, required: str = "", limit: int = 5000) -> str:
    text = str(text or "").strip()
    if required and not text:
        raise invalid({"note": required})
    if len(text) > limit:
        raise invalid({"note": f"不能超过 {limit} 字。"})
    return text


def _in_scope(campaign: Campaign, code: str) -> bool:
    return any(code.startswith(r.code) for r in campaign.scope_regions.all())


def _category() -> str | None:
    return (
        Category.objects.filter(stream=Stream.RECTIFICATION, name="专项整治", active=True)
        .values_list("code", flat=True)
        .first()
    )


def _place(pk: int) -> Place:
    place = Place.objects.filter(pk=pk, active=True).only("region_id", "address", "lat", "lng").first()
    if place is None:
        raise invalid({"place": f"隐患排查场所 {pk} 不存在或已不在册。"})
    return place


def add_finding(campaign: Campaign, *, by: User, payload: CampaignFindingIn | dict, now=None) -> Finding:
    """问题清单: a `rectification` case registered through the case intake, linked to the campaign."""
    data = payload if isinstance(payload, CampaignFindingIn) else validate(CampaignFindingIn, payload)
    _runner(by, campaign, "登记问题清单")
    place = _place(data.place) if data.place else None
    region = data.region or (place.region_id if place else "")
    if not region:
        raise invalid({"region": "请填写问题所在区划，或选择隐患排查场所。"})
    if place and not region.startswith(place.region_id[:9]):
        raise invalid({"place": "场所不在所填区划所在的乡镇（街道）。"})
    if len(region) < 9 or not _in_scope(campaign, region):
        raise invalid({"region": "问题所在区划应为整治范围内的乡镇（街道）、村（社区）或网格。"})
    town = Region.objects.filter(code=region[:9]).first()
    if town is None:
        raise invalid({"region": f"区划代码“{region}”不存在。"})
    intake: dict[str, object] = {
        "stream": Stream.RECTIFICATION, "category": _category(), "title": data.title,
        "description": data.description, "channel": Case.Channel.ASSIGNED, "region": region,
        "severity": data.severity,
    }  # fmt: skip
    if place:
        intake |= {"address": place.address[:200], "lat": place.lat, "lng": place.lng}
    with transaction.atomic():
        case = create_case(by, intake, now=now)
        finding = Finding.objects.create(campaign=campaign, case=case, town=town, place=place, created_by=by)
        _audit(by, "campaign.finding", campaign, finding=finding.pk, case=case.number, region=region,
               place=place.pk if place else None, severity=data.severity)  # fmt: skip
    return finding


FINISHED = (Status.CLOSED, Status.ARCHIVED)


def draw_review(campaign: Campaign, *, by: User, share: Decimal | None = None, now=None) -> ReviewRound:
    """回头看: per town, a share of the findings closed since (at least one where any is), plus every
    major one, drawn at random; a finding already waiting for re-inspection is skipped."""
    _runner(by, campaign, "组织回头看")
    share = Decimal(share) if share is not None else campaign.review_share
    if not Decimal(0) < share <= 1:
        raise invalid({"share": "抽查比例应大于 0、不超过 1（如 0.1 即 10%）。"})
    now = now or timezone.now()
    pick = secrets.SystemRandom()
    try:
        with transaction.atomic():
            Campaign.objects.select_for_update().filter(pk=campaign.pk).first()  # one draw at a time
            closed = list(
                Finding.objects.filter(campaign=campaign, case__status=Status.CLOSED)
                .exclude(reviews__result=ReviewItem.Result.PENDING)
                .values_list("pk", "town_id", "case__severity")
            )
            by_town: dict[str, list[tuple[int, str]]] = {}
            for pk, town, severity in closed:
                by_town.setdefault(town, []).append((pk, severity))
            chosen: list[tuple[int, str]] = []
            for found in by_town.values():
                major = [pk for pk, sev in found if sev == Case.Severity.MAJOR]
                rest = [pk for pk, sev in found if sev != Case.Severity.MAJOR]
                k = min(len(rest), math.ceil(len(found) * share))
                chosen += [(pk, ReviewItem.Reason.MAJOR) for pk in major]
                chosen += [(pk, ReviewItem.Reason.SAMPLE) for pk in pick.sample(rest, k)]
            if not chosen:
                raise DomainError("nothing_to_review", "本专项整治没有可抽查的已整改问题。", status=409)
            last = ReviewRound.objects.filter(campaign=campaign).aggregate(n=Max("number"))["n"] or 0
            rnd = ReviewRound.objects.create(
                campaign=campaign, number=last + 1, share=share, drawn_by=by, drawn_at=now
            )
            ReviewItem.objects.bulk_create(ReviewItem(round=rnd, finding_id=pk, reason=r) for pk, r in chosen)
            _audit(by, "campaign.review", campaign, round=rnd.number, share=share, items=len(chosen))
    except IntegrityError:
        raise DomainError("review_busy", "另一轮回头看正在抽取，请稍后重试。", status=409) from None
    return rnd


def reinspect(item: ReviewItem, *, by: User, result: str, note: str = "", now=None) -> ReviewItem:
    """复查: a failed one is 反弹 and reopens its case (`reopen`, reason 回头看). The result is recorded by
    whoever may reopen the case (the centre's dispatcher or a leader, DESIGN §4)."""
    case = Case.objects.visible_to(by).filter(pk=item.finding.case_id).first()
    if case is None:
        raise not_found()
    if not may_take(scope_of(by), case, "reopen"):
        raise forbidden("回头看复查结果由综治中心受理分派员或领导登记（不合格的须重新办理）。")
    if result not in ReviewItem.Result.values or result == ReviewItem.Result.PENDING:
        raise invalid({"result": "复查结果应为 passed（合格）或 failed（不合格）。"})
    note = _note(note, limit=2000)
    now = now or timezone.now()
    with transaction.atomic():
        item = (
            ReviewItem.objects.select_for_update(of=("self",))
            .select_related("round__campaign")
            .get(pk=item.pk)
        )
        if item.result != ReviewItem.Result.PENDING:
            raise invalid_transition(f"该问题已复查（{item.get_result_display()}）。")
        if result == ReviewItem.Result.FAILED:
            reopen_case(case, by=by, reason=f"回头看：{note}" if note else "回头看", now=now)
        elif case.status not in FINISHED:
            raise invalid_transition("该问题的案件已不在结案状态，不能判定复查合格。")
        item.result, item.note, item.inspected_by, item.inspected_at = result, note, by, now
        item.save(update_fields=["result", "note", "inspected_by", "inspected_at"])
        _audit(by, "campaign.reinspect", item.round.campaign, round=item.round.number, case=case.number,
               result=result, note=note)  # fmt: skip
    return item


# ---------------------------------------------------------------- the task actions by name, for the API


@dataclass(frozen=True)
class TaskAction:
    label: str
    schema: type[BaseModel]
    may: Callable[[Scope, Task], bool]
    states: tuple[str, ...]
    run: Callable[[Task, User, Any], Task]


SUPERVISABLE = (T.OPEN, T.REJECTED, T.COMPLETED)
TASK_ACTIONS: dict[str, TaskAction] = {
    "report_progress": TaskAction(
        "报告进展", ProgressIn, access.may_report, (T.OPEN, T.REJECTED),
        lambda t, by, p: report_progress(t, by=by, note=p.note),
    ),
    "complete": TaskAction(
        "报告完成", NoteIn, access.may_report, (T.OPEN, T.REJECTED),
        lambda t, by, p: complete_task(t, by=by, note=p.note),
    ),
    "accept": TaskAction(
        "验收通过", NoteIn, lambda s, t: access.may_run(s, t.campaign), (T.COMPLETED,),
        lambda t, by, p: accept_task(t, by=by, note=p.note),
    ),
    "reject": TaskAction(
        "验收不通过", RejectIn, lambda s, t: access.may_run(s, t.campaign), (T.COMPLETED,),
        lambda t, by, p: reject_task(t, by=by, reason=p.reason),
    ),
    "supervise": TaskAction(
        "督办", SuperviseIn, lambda s, t: access.may_supervise(s, t.campaign), SUPERVISABLE,
        lambda t, by, p: supervise_task(t, by=by, level=p.level, requirement=p.requirement),
    ),
}  # fmt: skip


def perform_task_action(task: Task, *, by: User, name: str, payload: dict) -> Task:
    """A task action named by the HTTP layer: role (403), state (409), then the fields (400)."""
    action = TASK_ACTIONS.get(name)
    if action is None:
        raise DomainError("unknown_action", f"没有名为 {name[:32]} 的任务操作。", status=404)
    if not action.may(scope_of(by), task):
        raise forbidden(f"您无权对该任务执行“{action.label}”。")
    if task.state not in action.states:
        raise invalid_transition(f"该任务当前为“{task.get_state_display()}”，不能{action.label}。")
    return action.run(task, by, validate(action.schema, payload))


def allowed_task_actions(scope: Scope, task: Task) -> list[str]:
    return [name for name, a in TASK_ACTIONS.items() if task.state in a.states and a.may(scope, task)]
