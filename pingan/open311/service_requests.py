"""GeoReport service requests over cases: what a client may read, and the one way to submit.

Privacy (DESIGN §1, §7, §8): only the streams 群众诉求 and 安全隐患 are ever listed, never a tip. Without an
api_key a client reads only what the public filed itself (through the portal or Open311: the cases that
hold a receipt), never a case entered by staff, and of those the status only: no description, place,
coordinates or replies. With one it reads what that user may see (`Case.objects.visible_to`). Reporter
name, phone and email never leave.
"""

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import QueryDict

from pingan.accounts.models import User
from pingan.cases.models import Case, PublicMessage, Status, Stream
from pingan.cases.models.case import ENDED_STATUSES, running_clocks
from pingan.core.errors import invalid
from pingan.portal.public import PUBLIC_STATUS, submit_report

from .formats import parse_iso
from .models import Open311Token
from .services import STREAMS, answers, service_for

MAX_REQUESTS = 1000  # the spec's cap on one response
WINDOW = timedelta(days=90)  # the spec's longest date range, and the default one
MAX_DESCRIPTION = 4000
# GeoReport's "closed": the work is done, awaiting only our own check (办结待核查), or the case ended.
CLOSED_STATUSES = (Status.RESOLVED, *ENDED_STATUSES)


def readable_cases(user: User | None) -> QuerySet[Case, Any]:
    cases: QuerySet[Case, Any] = (
        Case.objects.visible_to(user) if user else Case.objects.filter(has_receipt=True)
    )
    cases = cases.filter(stream__in=STREAMS).select_related("category", "lead_unit")
    if user is None:
        return cases
    # A reply is written to the reporter; only a client with an api_key reads it back.
    replies = PublicMessage.objects.filter(case=OuterRef("pk"), direction=PublicMessage.Direction.OUT)
    return cases.annotate(latest_reply=Subquery(replies.order_by("-at", "-id").values("text")[:1]))


# ---------------------------------------------------------------- GET requests


def _listed(params: QueryDict, name: str) -> list[str]:
    return [value.strip() for value in params.get(name, "").split(",") if value.strip()]


def _moment(params: QueryDict, name: str) -> datetime | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    moment = parse_iso(value)
    if moment is None:
        raise invalid({name: "时间格式不正确，须带时区，如 2026-11-22T09:30:00+08:00"})
    return moment


def date_window(params: QueryDict, now: datetime) -> tuple[datetime, datetime]:
    """start_date/end_date, at most 90 days apart; one alone spans 90 days, neither the last 90."""
    start, end = _moment(params, "start_date"), _moment(params, "end_date")
    if start and end:
        if end < start:
            raise invalid({"end_date": "不能早于 start_date"})
        if end - start > WINDOW:
            raise invalid({"end_date": f"查询时间范围不能超过 {WINDOW.days} 天"})
        return start, end
    if start:
        return start, start + WINDOW
    if end:
        return end - WINDOW, end
    return now - WINDOW, now


def filter_requests(cases: QuerySet[Case], params: QueryDict, now: datetime) -> QuerySet[Case]:
    numbers = _listed(params, "service_request_id")
    if numbers:  # the spec: when ids are given, every other filter is ignored
        if len(numbers) > MAX_REQUESTS:
            raise invalid({"service_request_id": f"一次最多查询 {MAX_REQUESTS} 个"})
        return cases.filter(number__in=numbers)
    codes = _listed(params, "service_code")
    if codes:
        cases = cases.filter(category__code__in=codes)
    statuses = set(_listed(params, "status"))
    if statuses - {"open", "closed"}:
        raise invalid({"status": "可选值为 open、closed，多个用逗号分隔"})
    if statuses == {"open"}:
        cases = cases.exclude(status__in=CLOSED_STATUSES)
    elif statuses == {"closed"}:
        cases = cases.filter(status__in=CLOSED_STATUSES)
    start, end = date_window(params, now)
    return cases.filter(reported_at__gte=start, reported_at__lte=end)


def newest(cases: QuerySet[Case]) -> list[Case]:
    return list(cases.order_by("-reported_at", "-id")[:MAX_REQUESTS])


def _expected(case: Case) -> datetime | None:
    """The latest due time among the clocks running now; none once GeoReport calls the request closed."""
    if case.status in CLOSED_STATUSES:
        return None
    dues = [getattr(case, field) for _, field in running_clocks(case.status)]
    return max((d for d in dues if d is not None), default=None)


def request_out(case: Case, *, keyed: bool) -> dict[str, Any]:
    """One service request; `keyed` when the client gave a valid api_key."""
    status = Status(case.status)
    reply = getattr(case, "latest_reply", None) if keyed else None
    row: dict[str, Any] = {
        "service_request_id": case.number,
        "status": "closed" if status in CLOSED_STATUSES else "open",
        "status_notes": reply or PUBLIC_STATUS[status],
        "service_name": case.category.name if case.category else Stream(case.stream).label,
        "service_code": case.category.code if case.category else None,
    }
    if keyed:
        row["description"] = case.description
    row |= {
        "agency_responsible": case.lead_unit.name if case.lead_unit else "",
        "service_notice": None,
        "requested_datetime": case.reported_at,
        "updated_datetime": case.updated_at,
        "expected_datetime": _expected(case),
    }
    if keyed:
        row |= {
            "address": case.address,
            "address_id": None,
            "zipcode": None,
            "lat": case.lat,
            "long": case.lng,
        }
    return row


# ---------------------------------------------------------------- POST requests


def _coordinate(form: QueryDict, name: str) -> Decimal | None:
    value = form.get(name, "").strip()
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise invalid({name: "应为数字"}) from None
    if not number.is_finite():
        raise invalid({name: "应为数字"})
    return number.quantize(Decimal("0.000001"))  # clients send float noise; a case keeps 6 places


def _location(form: QueryDict) -> tuple[str, Decimal | None, Decimal | None]:
    lat, lng = _coordinate(form, "lat"), _coordinate(form, "long")
    if (lat is None) != (lng is None):
        raise invalid({"long" if lng is None else "lat": "lat 和 long 须同时提供"})
    address = form.get("address_string", "").strip()
    address_id = form.get("address_id", "").strip()
    if not address and address_id:
        address = f"地址编号 {address_id}"  # no address register to resolve it against
    if lat is None and not address:
        raise invalid({"lat": "请提供位置：lat 和 long，或 address_string，或 address_id"})
    return address, lat, lng


def _reporter_name(form: QueryDict) -> str:
    first, last = form.get("first_name", "").strip(), form.get("last_name", "").strip()
    if not (first.isascii() and last.isascii()):
        return f"{last}{first}"  # 张 + 三: a Chinese name is written family name first
    return f"{first} {last}".strip()


def _description(form: QueryDict, service_name: str) -> str:
    text = form.get("description", "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise invalid({"description": f"不能超过 {MAX_DESCRIPTION} 个字"})
    return text or f"{service_name}（经 Open311 接口提交，未附文字说明）"


def submit_request(user: User, form: QueryDict) -> tuple[Case, Open311Token, str]:
    """A POSTed service request becomes a case through the portal's own action.

    `email`, `device_id`, `account_id` and `media_url` are accepted and deliberately not stored:
    the platform keeps no more about a reporter than the portal asks (DESIGN §8), and fetching a
    remote file would bypass the upload checks."""
    code = form.get("service_code", "").strip()
    if not code:
        raise invalid({"service_code": "此项必填"})
    category = service_for(code)
    extra = answers(category, form)
    address, lat, lng = _location(form)
    name = _reporter_name(form)
    payload = {
        "stream": category.stream,
        "description": _description(form, category.name),
        "category": category.code,
        "region": form.get("region", "").strip() or None,
        "address": address,
        "lat": lat,
        "lng": lng,
        "anonymous": not name,
        "name": name,
        # An anonymous report keeps no phone, so an unnamed phone is not even checked.
        "phone": form.get("phone", "").strip() if name else "",
    }
    with transaction.atomic():
        case, receipt = submit_report(
            payload, via=user, channel=Case.Channel.ONLINE, extra={"open311": extra}
        )
        token = Open311Token.objects.create(case=case)
    return case, token, receipt


def submitted_out(case: Case, token: Open311Token, receipt: str) -> dict[str, Any]:
    notice = (
        f"已登记，案件编号 {case.number}。查询码 {receipt}（只显示这一次，请转告反映人妥善保存），"
        "凭查询码可在群众端查看办理进度和答复。"
    )
    return {
        "service_request_id": case.number,
        "token": token.token,
        "service_notice": notice,
        "account_id": None,
    }
