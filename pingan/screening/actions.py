"""Filing a month's 排查月报: the disputes found are the month's `inspection` cases of the region,
linked and counted when filed; a return without any is a 零报告. One return per region and month: a
second filing is refused (409), so the filing time that decides 按时 cannot be moved by a re-filing."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from pingan.accounts.scope import scope_of
from pingan.audit.changes import actor_name
from pingan.audit.log import record
from pingan.core.errors import DomainError, forbidden, invalid
from pingan.core.periods import parse_period
from pingan.regions.models import Region

from .models import Return
from .selectors import LEVELS, disputes, due_on, may_file

MAX_NOTE = 500


def already_filed(ret: Return) -> DomainError:
    at = timezone.localtime(ret.filed_at).strftime("%Y-%m-%d %H:%M")
    return DomainError(
        "already_filed",
        f"{ret.region.name}{ret.period} 的排查月报已于 {at} 由 {ret.filed_by} 报送，不能重复报送。",
        status=409,
    )


def file_return(*, by, region_code, period_key, zero_report: bool, note: str = "") -> Return:
    region = Region.objects.filter(code=str(region_code or "")).first()
    if region is None or region.level not in LEVELS:
        raise invalid({"region": "请选择一个乡镇（街道）或村（社区）：排查月报由乡镇和村分别报送。"})
    if not may_file(scope_of(by), region):
        raise forbidden(
            "您无权报送该区划的排查月报：村（社区）由本村网格员或受理分派员报送，乡镇由受理分派员报送。"
        )
    period = parse_period(period_key)
    if period.kind != "month":
        raise DomainError(
            "invalid_period",
            "排查月报按月报送，月份请写成 2026-10 这样的格式。",
            fields={"period": "应为 YYYY-MM"},
        )
    now = timezone.now()
    if period.end > timezone.localdate(now):
        raise DomainError("month_not_ended", f"{period.label}尚未结束，月末之后才能报送该月的排查月报。")
    note = str(note or "").strip()
    if len(note) > MAX_NOTE:
        raise invalid({"note": f"说明不超过 {MAX_NOTE} 字。"})
    found = list(disputes(region, period).values_list("pk", "number"))
    if zero_report and found:
        raise DomainError(
            "disputes_found",
            f"{period.label}本区划已登记 {len(found)} 件排查发现的纠纷，不能报零报告；请按实际报送。",
        )
    if not zero_report and not found:
        raise DomainError(
            "no_disputes",
            f"{period.label}本区划没有登记排查发现的纠纷：请先登记排查发现的纠纷（来源选“排查发现”），或报零报告。",
        )
    existing = (
        Return.objects.filter(region=region, period=period.key).select_related("region", "filed_by").first()
    )
    if existing is not None:
        raise already_filed(existing)
    try:
        with transaction.atomic():
            ret = Return.objects.create(
                region=region,
                period=period.key,
                month=period.start,
                zero_report=zero_report,
                disputes=len(found),
                note=note,
                filed_by=by,
                filed_at=now,
                on_time=timezone.localdate(now) <= due_on(period),
            )
            ret.cases.set([pk for pk, _ in found])
            record(
                actor_name(by),
                "screening.file",
                object_type="screening.return",
                object_id=str(ret.pk),
                data={
                    "region": region.code,
                    "period": period.key,
                    "zero_report": zero_report,
                    "disputes": [number for _, number in found],
                    "on_time": ret.on_time,
                },
            )
    except IntegrityError:  # filed by someone else a moment ago
        raise already_filed(
            Return.objects.select_related("region", "filed_by").get(region=region, period=period.key)
        ) from None
    return ret
