"""The public path (DESIGN §7, §8): reports without an account, followed with a receipt code.

Receipt codes are made, hashed and looked up here; what a report, a message or a rating writes on its
case is the case actions' business (pingan.cases.actions.replies). Nothing here reads or keeps who the
client is: no address, no user agent. Rate limits live in the views (`guard_*`), keyed by a hash that
changes every window (pingan.core.throttle).
"""

import hashlib
import hmac
import secrets

from django.conf import settings

from pingan.accounts.models import User
from pingan.cases import actions
from pingan.cases.builder import resolve_category
from pingan.cases.models import Case, PublicMessage, Receipt, Status
from pingan.cases.uploads import atomic_files, clean_upload
from pingan.core import throttle
from pingan.core.errors import DomainError, invalid
from pingan.core.validation import validate
from pingan.regions.models import Region

from . import answers
from . import schemas as s

# Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand has no look-alikes.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 20  # 100 bits of randomness
MAX_FILES = 6

PUBLIC_STATUS = {
    Status.REPORTED: "已收到，等待受理",
    Status.ACCEPTED: "已受理",
    Status.DISPATCHED: "办理中",
    Status.IN_PROGRESS: "办理中",
    Status.SUSPENDED: "办理中",
    Status.RESOLVED: "已办结",
    Status.CLOSED: "已办结",
    Status.ARCHIVED: "已办结",
    Status.REJECTED: "不予受理",
    Status.MERGED: "已与同一事项合并办理",
    Status.WITHDRAWN: "已撤回",
}


# ---------------------------------------------------------------- receipt codes


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def grouped(code: str) -> str:
    """K7Q2-9XMD-… : groups of four for reading aloud."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise(typed: str) -> str | None:
    """What the reporter typed, the way it was issued; None if it cannot be a code."""
    code = "".join(ch for ch in typed.upper() if ch.isalnum())
    code = code.translate(str.maketrans("OIL", "011"))
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def digest(code: str) -> str:
    return hmac.new(settings.RECEIPT_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def find_receipt(typed: str) -> Receipt | None:
    code = normalise(typed)
    if code is None:
        return None
    wanted = digest(code)
    receipt = Receipt.objects.select_related("case__category").filter(digest=wanted).first()
    # The index finds the row; the final comparison does not leak how much of the digest matched.
    if receipt is None or not hmac.compare_digest(receipt.digest, wanted):
        return None
    return receipt


# ---------------------------------------------------------------- rate limits (per client)


def _window() -> int:
    return settings.PINGAN_PUBLIC_WINDOW_SECONDS


def guard_submission(request) -> None:
    throttle.hit(request, "submit", settings.PINGAN_PUBLIC_SUBMISSIONS, _window())


def guard_message(request) -> None:
    throttle.hit(request, "message", settings.PINGAN_PUBLIC_MESSAGES, _window())


def receipt_for(request, typed: str) -> Receipt:
    """The receipt typed in, or 404. Wrong codes count against the client; too many → 429."""
    limit = settings.PINGAN_PUBLIC_LOOKUP_FAILURES
    throttle.check(request, "receipt", limit, _window())
    receipt = find_receipt(typed)
    if receipt is None:
        throttle.count(request, "receipt", _window())
        raise DomainError(
            "receipt_not_found",
            "查询码不正确，或该事项的信息已按保存期限清除。请核对后重试（字母不分大小写）。",
            status=404,
            fields={"receipt": "查询码不正确"},
        )
    return receipt


# ---------------------------------------------------------------- actions


def _county() -> Region | None:
    region = None
    if settings.COUNTY_CODE:
        region = Region.objects.filter(code=settings.COUNTY_CODE).first()
    return region or Region.objects.filter(parent__isnull=True).order_by("code").first()


def county_region() -> Region:
    region = _county()
    if region is None:
        raise DomainError("not_configured", "系统尚未配置行政区划，暂不能受理。", status=503)
    return region


def county_name() -> str:
    """Who the public is writing to: `PINGAN_COUNTY_NAME`, else the county region's name."""
    if settings.COUNTY_NAME:
        return settings.COUNTY_NAME
    region = _county()
    return region.name if region else ""


def _title(description: str) -> str:
    first_line = description.strip().splitlines()[0]
    return first_line[:40] + ("…" if len(first_line) > 40 else "")


def submit_report(
    payload: dict | s.PublicReportIn,
    files: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
    *,
    via: User | None = None,
    channel: str = Case.Channel.PORTAL,
    extra: dict | None = None,
) -> tuple[Case, str]:
    """A public report becomes a case in 登记; returns the case and its receipt code (shown once).

    `via` is the API user of an Open311 client (the portal has none); `extra` holds the answers to a
    service's extra questions (Open311 attributes), kept in `Case.extra`."""
    data = payload if isinstance(payload, s.PublicReportIn) else validate(s.PublicReportIn, payload)
    if not data.anonymous and not data.name:
        raise invalid({"name": "实名反映请填写姓名，或选择匿名"})
    if len(files) > MAX_FILES:
        raise invalid({"files": f"最多上传 {MAX_FILES} 个文件"})
    report = actions.PublicReport(
        stream=data.stream,
        category=resolve_category(data.stream, data.category),
        title=_title(data.description),
        description=data.description,
        region=_region(data.region),
        address=data.address,
        lat=data.lat,
        lng=data.lng,
        anonymous=data.anonymous,
        name=data.name,
        phone=data.phone,
    )
    # Decode and strip the photos first: the case number's lock is held from numbering to commit.
    cleaned = [clean_upload(name, content) for name, content in files]
    code = new_code()
    with atomic_files() as stored:
        case = actions.file_report(
            report,
            receipt_digest=digest(code),
            files=cleaned,
            stored=stored,
            via=via,
            channel=channel,
            extra=extra,
        )
    return case, grouped(code)


def _region(code: str | None) -> Region:
    if not code:
        return county_region()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise invalid({"region": "所选地点不在本县（区）范围内"})
    return region


def public_view(receipt: Receipt) -> dict:
    """What the holder of a receipt may see: status, the conversation and, once the case has ended
    with an answer, that answer as `result`; nothing internal."""
    case = receipt.case
    messages = [
        {
            "from": "staff" if m.direction == PublicMessage.Direction.OUT else "reporter",
            "from_label": "工作人员答复" if m.direction == PublicMessage.Direction.OUT else "我的留言",
            "text": m.text,
            "at": m.at,
        }
        for m in case.public_messages.all()
    ]
    view = {
        "stream": case.stream,
        "stream_label": case.get_stream_display(),
        "category": case.category.name if case.category else "",
        "received_at": case.reported_at,
        "status": case.status,
        "status_label": PUBLIC_STATUS[Status(case.status)],
        "messages": messages,
        "can_rate": case.status in actions.RATEABLE and receipt.feedback_at is None,
        "rated": receipt.feedback_at is not None,
        "can_message": case.status != Status.ARCHIVED,
    }
    result = answers.closing_answer(case)
    if result is not None:
        view["result"] = result
    return view


def give_feedback(receipt: Receipt, payload: dict | s.PublicFeedbackIn) -> None:
    """One rating per receipt, once the case has ended; marks `receipt` as rated."""
    data = payload if isinstance(payload, s.PublicFeedbackIn) else validate(s.PublicFeedbackIn, payload)
    actions.rate_outcome(receipt, satisfaction=data.satisfaction, resolved=data.resolved, note=data.note)


def send_message(receipt: Receipt, payload: dict | s.PublicMessageIn) -> None:
    data = payload if isinstance(payload, s.PublicMessageIn) else validate(s.PublicMessageIn, payload)
    actions.take_message(receipt, text=data.text)
