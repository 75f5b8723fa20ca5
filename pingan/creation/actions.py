"""Every write of 平安创建: the register, the self-assessment and the steps of the yearly cycle. Each
runs in one transaction with its audit entry; an illegal step is 409 `invalid_transition`."""

from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from pingan.accounts.scope import scope_of
from pingan.audit.changes import actor_name
from pingan.audit.log import record
from pingan.cases.uploads import clean_upload
from pingan.core.errors import DomainError, forbidden, invalid, invalid_transition, not_found
from pingan.notices.delivery import tell
from pingan.regions.models import Region

from . import access
from .models import (
    Application,
    ChecklistItem,
    Evidence,
    ItemScore,
    Organisation,
    OrganisationKind,
    Programme,
    Status,
)
from .selectors import check_year, organisations, vetoes
from .workflow import TRANSITIONS

MAX_NOTE = 1000
MAX_EVIDENCE = 30


def _audit(by, action: str, obj, **data) -> None:
    record(actor_name(by), action, object_type=obj._meta.label_lower, object_id=str(obj.pk), data=data)


def _text(value, field: str, limit: int, *, required: str = "") -> str:
    text = str(value or "").strip()
    if required and not text:
        raise invalid({field: required})
    if len(text) > limit:
        raise invalid({field: f"不能超过 {limit} 字。"})
    return text


# ---------------------------------------------------------------- the register


def _village(code) -> Region:
    region = Region.objects.filter(code=str(code or "").strip()).first()
    if region is None or region.level != Region.Level.VILLAGE:
        raise invalid({"region": "请选择单位所在的村（社区）。"})
    return region


def _organisation_fields(name, kind, region_code, address) -> tuple[str, str, Region, str]:
    name = _text(name, "name", 100, required="请填写单位名称。")
    if kind not in OrganisationKind.values:
        raise invalid({"kind": "请选择单位类型：机关事业单位、学校、医院、市场、企业或其他。"})
    return name, kind, _village(region_code), _text(address, "address", 200)


def _name_taken(name: str, region: Region) -> DomainError:
    return DomainError(
        "duplicate_organisation",
        f"{region.name}已登记名为“{name}”的单位。",
        status=409,
        fields={"name": "名称重复"},
    )


def register_organisation(*, by, name, kind, region, address="") -> Organisation:
    name, kind, village, address = _organisation_fields(name, kind, region, address)
    if not access.may_keep_register(scope_of(by), village.code):
        raise forbidden("单位名册由督导人员和乡镇（街道）工作人员维护，只能登记本人范围内的单位。")
    try:
        with transaction.atomic():
            org = Organisation.objects.create(
                name=name, kind=kind, region=village, address=address, created_by=by
            )
            _audit(
                by, "creation.organisation", org, name=name, kind=kind, region=village.code, address=address
            )
    except IntegrityError:
        raise _name_taken(name, village) from None
    return org


def change_organisation(
    org: Organisation, *, by, name, kind, region, address="", active=True
) -> Organisation:
    name, kind, village, address = _organisation_fields(name, kind, region, address)
    scope = scope_of(by)
    if not (access.may_keep_register(scope, org.region_id) and access.may_keep_register(scope, village.code)):
        raise forbidden("单位名册由督导人员和乡镇（街道）工作人员维护，只能修改本人范围内的单位。")
    before = {
        "name": org.name,
        "kind": org.kind,
        "region": org.region_id,
        "address": org.address,
        "active": org.active,
    }
    try:
        with transaction.atomic():
            org = Organisation.objects.select_for_update().get(pk=org.pk)
            org.name, org.kind, org.region, org.address, org.active = (
                name,
                kind,
                village,
                address,
                bool(active),
            )
            org.save()
            after = {
                "name": name,
                "kind": kind,
                "region": village.code,
                "address": address,
                "active": bool(active),
            }
            changed = {k: [before[k], v] for k, v in after.items() if before[k] != v}
            _audit(by, "creation.organisation_change", org, changes=changed)
    except IntegrityError:
        raise _name_taken(name, village) from None
    return org


# ---------------------------------------------------------------- the self-assessment


def start_application(*, by, programme_code, year, village="", organisation=None) -> Application:
    """A subject's application for a programme and a year, in 自评中; one per subject, programme, year."""
    programme = Programme.objects.filter(code=str(programme_code or ""), active=True).first()
    if programme is None:
        raise invalid({"programme": "请选择在用的创建项目。"})
    year = check_year(year)
    if programme.for_villages:
        if organisation:
            raise invalid({"organisation": f"“{programme.name}”的创建对象是村（社区），不选单位。"})
        subject_village, org = _village(village), None
        place = subject_village
    else:
        org = organisation if isinstance(organisation, Organisation) else _organisation(by, organisation)
        if programme.organisation_kind and org.kind != programme.organisation_kind:
            kind = OrganisationKind(programme.organisation_kind).label
            raise invalid({"organisation": f"“{programme.name}”的创建对象是{kind}，“{org.name}”不是。"})
        if not org.active:
            raise invalid({"organisation": f"“{org.name}”已不在名册中。"})
        subject_village, place = None, org.region
    if not access.may_file(scope_of(by), place.code):
        raise forbidden("创建自评由创建对象所在乡镇（街道）、村（社区）的工作人员填报。")
    try:
        with transaction.atomic():
            app = Application.objects.create(
                programme=programme, year=year, village=subject_village, organisation=org,
                region=place, created_by=by,
            )  # fmt: skip
            _audit(by, "creation.start", app, programme=programme.code, year=year, subject=_subject(app))
    except IntegrityError:
        raise DomainError(
            "already_applied",
            f"{org.name if org else place.name}已有{year}年“{programme.name}”的创建申报，不能重复创建。",
            status=409,
        ) from None
    return app


def _organisation(by, organisation_id) -> Organisation:
    try:
        pk = int(str(organisation_id or "0"))
    except ValueError:
        pk = 0
    org = organisations(by).filter(pk=pk).first() if 0 < pk < 2**63 else None
    if org is None:
        raise invalid({"organisation": "请从名册中选择创建单位。"})
    return org


def _subject(app: Application) -> str:
    return f"organisation:{app.organisation_id}" if app.organisation_id else app.region_id


def _locked(app: Application, *states: str, doing: str) -> Application:
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("programme", "village", "organisation", "region")
        .get(pk=app.pk)
    )
    if app.status not in states:
        raise invalid_transition(f"该申报当前为“{app.get_status_display()}”，不能{doing}。")
    return app


def _check_filer(by, app: Application) -> None:
    scope = scope_of(by)
    if access.may_file(scope, app.region_id):
        return
    if access.may_read(scope, app.region_id):
        raise forbidden("创建自评由创建对象所在乡镇（街道）、村（社区）的工作人员填报。")
    raise not_found()


def save_scores(app: Application, *, by, scores: dict) -> Application:
    """The self-assessment scores, item by item ({item id: points}); each within the item's points."""
    _check_filer(by, app)
    items = {i.pk: i for i in ChecklistItem.objects.filter(programme_id=app.programme_id)}
    clean: dict[int, int] = {}
    errors: dict[str, str] = {}
    for key, raw in scores.items():
        try:
            item = items[int(str(key))]
        except (KeyError, ValueError):
            errors[f"item_{key}"] = "不是该创建项目的考评细则。"
            continue
        text = str(raw if raw is not None else "").strip()
        if not (text.isascii() and text.isdigit() and int(text) <= item.points):
            errors[f"item_{item.pk}"] = f"“{item.text[:20]}”的得分应为 0 到 {item.points} 的整数。"
            continue
        clean[item.pk] = int(text)
    if errors:
        raise invalid(errors)
    with transaction.atomic():
        app = _locked(app, Status.DRAFT, doing="修改自评得分")
        for item_id, score in clean.items():
            ItemScore.objects.update_or_create(application=app, item_id=item_id, defaults={"score": score})
        app.score = sum(ItemScore.objects.filter(application=app).values_list("score", flat=True))
        app.save(update_fields=["score"])
        _audit(by, "creation.score", app, scores={str(k): v for k, v in clean.items()}, total=app.score)
    return app


def add_evidence(app: Application, *, by, name: str, content: bytes, item_id=None) -> Evidence:
    """A 佐证材料 (PDF or photo, checked and cleaned as case attachments are) while the self-assessment
    is open."""
    _check_filer(by, app)
    item = None
    if item_id not in (None, ""):
        item = ChecklistItem.objects.filter(pk=_int(item_id), programme_id=app.programme_id).first()
        if item is None:
            raise invalid({"item": "不是该创建项目的考评细则。"})
    original, stored, mime = clean_upload(name, content)
    evidence = Evidence(
        application=app, item=item, name=original, content_type=mime, size=len(stored), uploaded_by=by
    )
    try:
        with transaction.atomic():
            app = _locked(app, Status.DRAFT, doing="上传佐证材料")
            if app.evidence.count() >= MAX_EVIDENCE:
                raise DomainError(
                    "too_many_files", f"每份申报最多上传 {MAX_EVIDENCE} 份佐证材料。", status=409
                )
            evidence.file.save("evidence", ContentFile(stored), save=False)
            evidence.save()
            _audit(
                by, "creation.evidence", app, name=original, size=len(stored), item=item.pk if item else None
            )
    except BaseException:
        if evidence.file:
            evidence.file.delete(save=False)
        raise
    return evidence


def _int(value) -> int:
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else 0


# ---------------------------------------------------------------- the steps of the cycle


def _step(app: Application, step: str, *, by, note: str = "", today: date | None = None) -> Application:
    starts, to, label = TRANSITIONS[step]
    note = _text(note, "note", MAX_NOTE)
    scope = scope_of(by) if by is not None else None
    if scope is not None:
        allowed = {
            "submit": access.may_file,
            "return": access.may_review,
            "review": access.may_review,
            "recognise": access.may_decide,
            "reject": access.may_decide,
            "award": access.may_decide,
        }[step](scope, app.region_id)
        if not allowed:
            if not access.may_read(scope, app.region_id):
                raise not_found()
            raise forbidden(
                {
                    "submit": "申报由创建对象所在乡镇（街道）、村（社区）的工作人员提交。",
                    "return": "乡镇审核由所在乡镇（街道）的单位负责人或乡镇督导进行。",
                    "review": "乡镇审核由所在乡镇（街道）的单位负责人或乡镇督导进行。",
                }.get(step, "县级认定、不予认定和命名由县级督导人员进行。")
            )
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        app = _locked(app, *starts, doing=label)
        data: dict = {"from": app.status, "to": str(to), "note": note}
        if step == "submit":
            _check_complete(app)
            app.submitted_by, app.submitted_at = by, now
        elif step in ("return", "review"):
            app.reviewed_by, app.reviewed_at, app.review_note = by, now, note
        elif step == "recognise":
            veto = vetoes([app]).get(app.pk)
            if veto:
                raise DomainError("vetoed", f"不能认定：{veto}", status=409)
            app.decided_by, app.decided_at, app.decision_note = by, now, note
            app.notice_starts = today
            app.notice_ends = today + timedelta(days=max(app.programme.notice_days, 1) - 1)
            data["notice"] = [app.notice_starts, app.notice_ends]
        elif step == "reject":
            if not note:
                raise invalid({"note": "请写明不予认定的理由（公示期间收到异议的，写明异议情况）。"})
            app.decided_by, app.decided_at, app.decision_note = by, now, note
        elif step == "award":
            if app.notice_ends is None or today <= app.notice_ends:
                raise invalid_transition(f"公示期至 {app.notice_ends:%Y年%m月%d日} 结束，期满后才能命名。")
            app.awarded_at = now
        app.status = to
        app.save()
        _audit(by, f"creation.{step}", app, **data)
    return app


def _check_complete(app: Application) -> None:
    items = list(ChecklistItem.objects.filter(programme_id=app.programme_id).values_list("pk", flat=True))
    scored = set(ItemScore.objects.filter(application=app).values_list("item_id", flat=True))
    if set(items) - scored:
        raise invalid({"scores": f"还有 {len(set(items) - scored)} 项考评细则未自评打分。"}, "自评尚未完成。")
    if not app.evidence.exists():
        raise invalid({"evidence": "请至少上传一份佐证材料。"}, "缺少佐证材料。")
    if app.score < app.programme.pass_mark:
        raise DomainError(
            "below_pass_mark",
            f"自评得分 {app.score} 分，未达到“{app.programme.name}”的达标分数 "
            f"{app.programme.pass_mark} 分，不能申报。",
            status=409,
        )


def take_step(app: Application, step: str, *, by, note: str = "", today: date | None = None) -> Application:
    """A step of the cycle by a person (`workflow.STEPS`); an unknown step is 404."""
    if step not in TRANSITIONS or step == "revoke":
        raise not_found("没有这个操作。")
    return _step(app, step, by=by, note=note, today=today)


def award(app: Application, *, today: date | None = None) -> Application:
    """公示期满命名, by the sweep (the system)."""
    return _step(app, "award", by=None, today=today)


def revoke(app: Application, *, reason: str) -> Application:
    """撤销命名 by a veto event (the sweep or an imported figure): recorded with the reason, audited, and
    told to the town."""
    now = timezone.now()
    with transaction.atomic():
        app = _locked(app, *TRANSITIONS["revoke"][0], doing="撤销命名")
        data = {"from": app.status, "to": Status.REVOKED, "reason": reason}
        app.status, app.revoked_at, app.revoke_reason = Status.REVOKED, now, reason[:MAX_NOTE]
        app.save()
        _audit(None, "creation.revoke", app, **data)
        tell(
            access.town_users(app.region_id[: access.TOWN]),
            kind="creation_revoked",
            message=f"{app.subject_name}{app.year}年“{app.programme.name}”已撤销：{reason}",
            link=f"/creation/applications/{app.pk}/",
        )
    return app
