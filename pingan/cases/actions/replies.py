"""The reporter's side of a case: what the public files, says and rates, and what staff answer them.

The portal and Open311 find the receipt (pingan.portal); these actions write the case's records and
events. The public acts as `events.PUBLIC`; an Open311 client as the user of its api key.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from pingan.accounts.models import User
from pingan.core.errors import DomainError
from pingan.regions.models import Region

from .. import events
from ..builder import People, build_case, register
from ..models import Attachment, Case, Category, FollowUp, PublicMessage, Receipt, Status
from ..uploads import store_cleaned
from .base import transition

# A reporter may rate the outcome once the case has ended with an answer.
RATEABLE = (Status.RESOLVED, Status.CLOSED, Status.ARCHIVED, Status.REJECTED)


def reply_to_reporter(case: Case, *, by: User, text: str, now: datetime | None = None) -> Case:
    """答复群众: a reply the reporter reads with their receipt; it must say nothing internal."""
    with transition(case, "reply", by=by, now=now) as c:
        msg = PublicMessage.objects.create(
            case=c.case, direction=PublicMessage.Direction.OUT, text=text, author=by, at=c.now
        )
        c.data = {"message": msg.pk, "text": text}
    return c.case


@dataclass
class PublicReport:
    """A report from the public, checked (pingan.portal) and ready to file."""

    stream: str
    title: str
    description: str
    region: Region
    category: Category | None = None
    address: str = ""
    lat: object = None
    lng: object = None
    name: str = ""
    phone: str = ""
    anonymous: bool = True


def file_report(
    report: PublicReport,
    *,
    receipt_digest: str,
    files: list[tuple[str, bytes, str]],
    stored: list[Attachment],
    via: User | None = None,
    channel: str = Case.Channel.PORTAL,
    extra: dict | None = None,
    now: datetime | None = None,
) -> Case:
    """The case of a public report in 登记, with its reporter, receipt and cleaned files; each stored
    file is listed in `stored`, so that the caller deletes it if the transaction fails."""
    with transaction.atomic():
        case = build_case(
            stream=report.stream,
            category=report.category,
            title=report.title,
            region=report.region,
            channel=channel,
            reported_at=now or timezone.now(),
            description=report.description,
            address=report.address,
            lat=report.lat,
            lng=report.lng,
            has_receipt=True,
            extra=extra or {},
        )
        reporter = {"anonymous": True} if report.anonymous else {"name": report.name, "phone": report.phone}
        data = {"channel": channel, "stream": case.stream, "files": len(files)}
        register([case], by=via or events.PUBLIC, people=[People(reporter=reporter)], data=[data])
        Receipt.objects.create(case=case, digest=receipt_digest)
        for name, content, mime in files:
            kind = "document" if mime == "application/pdf" else "photo"
            stored.append(store_cleaned(case, None, kind, (name, content, mime)))
    return case


def _locked(receipt: Receipt) -> Case:
    return Case.objects.select_for_update().get(pk=receipt.case_id)


def rate_outcome(
    receipt: Receipt, *, satisfaction: str, resolved: bool, note: str = "", now: datetime | None = None
) -> None:
    """The reporter's one rating, once the case has ended; marks `receipt` as rated."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(receipt)
        locked = Receipt.objects.select_for_update().get(pk=receipt.pk)
        if locked.feedback_at is not None:
            raise DomainError("feedback_given", "您已评价过该事项，感谢您的反馈。", status=409)
        if case.status not in RATEABLE:
            raise DomainError("not_finished", "该事项尚未办结，办结后才能评价。", status=409)
        fu = FollowUp.objects.create(
            case=case, satisfaction=satisfaction, resolved=resolved, note=note, by=None, at=now
        )
        receipt.feedback_at = locked.feedback_at = now
        locked.save(update_fields=["feedback_at"])
        data = {"follow_up": fu.pk, "satisfaction": satisfaction, "resolved": resolved}
        events.write(case, "public_feedback", by=events.PUBLIC, at=now, data=data)


def take_message(receipt: Receipt, *, text: str, now: datetime | None = None) -> None:
    """A message from the reporter; an archived case takes none (they should report anew)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(receipt)
        if case.status == Status.ARCHIVED:
            raise DomainError(
                "case_archived", "该事项已归档，不能再留言。如有新情况，请重新反映。", status=409
            )
        msg = PublicMessage.objects.create(case=case, direction=PublicMessage.Direction.IN, text=text, at=now)
        events.write(case, "public_message", by=events.PUBLIC, at=now, data={"message": msg.pk})
