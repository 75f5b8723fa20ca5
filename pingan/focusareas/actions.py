"""Keeping the list of 重点整治地区: a supervisor lists a village with a reason and a deadline, and
delists it after 验收 with the acceptance note. Each write is audited in its own transaction; a second
listing of a village under 整治, or a second delisting, is a 409 `invalid_transition`."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from pingan.accounts.scope import scope_of
from pingan.audit.changes import actor_name
from pingan.audit.log import record
from pingan.core.errors import DomainError, forbidden, invalid, invalid_transition, not_found
from pingan.regions.models import Region

from .access import may_keep, may_read
from .models import FocusArea
from .ranking import rank_villages, window_for

MAX_TEXT = 2000
MAX_DEADLINE_DAYS = 730


def _audit(by, action: str, area: FocusArea, **data) -> None:
    record(actor_name(by), action, object_type="focusareas.focusarea", object_id=str(area.pk),
           data={"region": area.region_id, **data})  # fmt: skip


def _check_keeper(by, code: str) -> None:
    """A supervisor over the village; a reader who is not one gets 403, anyone else 404."""
    scope = scope_of(by)
    if may_keep(scope, code):
        return
    if may_read(scope, code):
        raise forbidden("重点整治地区由督导人员列入和验收摘牌。")
    raise not_found()


def _text(value, field: str, required: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise invalid({field: required})
    if len(text) > MAX_TEXT:
        raise invalid({field: f"不能超过 {MAX_TEXT} 字。"})
    return text


def _deadline(value, today: date) -> date:
    if value in (None, ""):
        raise invalid({"deadline": "请填写整治期限。"})
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except ValueError:
        raise invalid({"deadline": "应为日期，如 2026-12-31。"}) from None
    if day <= today:
        raise invalid({"deadline": "整治期限应晚于今天。"})
    if day > today + timedelta(days=MAX_DEADLINE_DAYS):
        raise invalid({"deadline": "整治期限不超过两年。"})
    return day


def _already(area: FocusArea) -> DomainError:
    on = timezone.localtime(area.listed_at).strftime("%Y-%m-%d")
    return invalid_transition(
        f"{area.region.name}已于 {on} 列为重点整治地区（整治期限 {area.deadline:%Y-%m-%d}），"
        "验收摘牌前不能重复列入。"
    )


def list_area(*, by, region, reason, deadline, at: datetime | None = None) -> FocusArea:
    """List a village (its code) as 重点整治地区. Checks in the order of DESIGN §4: scope (404), role
    (403), state (409), fields (400). `at` is the demo's clock (the listing's time), now by default."""
    code = str(region or "").strip()[:15]
    village = Region.objects.filter(code=code).first() if code else None
    if village is None:
        raise not_found("未找到该区划，或您无权查看。")
    _check_keeper(by, village.code)
    current = FocusArea.objects.filter(region=village, status=FocusArea.Status.LISTED).select_related(
        "region"
    )
    if (found := current.first()) is not None:
        raise _already(found)
    if village.level != Region.Level.VILLAGE:
        raise invalid({"region": "重点整治地区按村（社区）列入，请选择一个村（社区）。"})
    at = at or timezone.now()
    today = timezone.localdate(at)
    reason = _text(reason, "reason", "请填写列入理由。")
    day = _deadline(deadline, today)
    window = window_for("", today)
    county = Region.objects.filter(code=code[:6]).first() or village  # the basis: the county's ranking
    row = next(r for r in rank_villages(county, window).rows if r.region.code == code)
    try:
        with transaction.atomic():
            area = FocusArea.objects.create(
                region=village, reason=reason, deadline=day, listed_by=by, listed_at=at,
                basis_window=window.label[:32], basis_rank=row.rank,
                basis_rate=Decimal(str(row.rate)) if row.rate is not None else None,
            )  # fmt: skip
            _audit(by, "focusareas.list", area, reason=reason, deadline=day, rate=row.rate, rank=row.rank)
    except IntegrityError:  # listed by another supervisor a moment ago
        raise _already(current.get()) from None
    return area


@transaction.atomic
def delist(area: FocusArea, *, by, note, at: datetime | None = None) -> FocusArea:
    """验收 passed: the area leaves the list, the acceptance note kept with it."""
    _check_keeper(by, area.region_id)
    area = FocusArea.objects.select_for_update(of=("self",)).select_related("region").get(pk=area.pk)
    if area.status != FocusArea.Status.LISTED:
        raise invalid_transition(f"{area.region.name}已验收摘牌，不能重复摘牌。")
    note = _text(note, "note", "请填写验收意见（整治完成情况）。")
    area.status, area.delisted_by, area.delisted_at = FocusArea.Status.DELISTED, by, at or timezone.now()
    area.acceptance_note = note
    area.save()
    _audit(by, "focusareas.delist", area, note=note)
    return area
