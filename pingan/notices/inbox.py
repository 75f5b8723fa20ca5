"""Reading and marking one's notices. A notice shows only while its case is still visible to the reader:
an exclusion set later, or a case given to another unit, takes its notices out of sight too."""

from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from pingan.accounts.models import User
from pingan.cases.models import Case
from pingan.core.errors import invalid

from .models import Notification

MAX_LIMIT = 200


def notices_of(user: User) -> QuerySet[Notification]:
    # Each of the reader's notices looks up its own case (EXISTS on the primary key). `case__in=<visible
    # cases>` made PostgreSQL scan every visible case for the badge on every page: 10M cases, seconds.
    visible = Case.objects.visible_to(user).filter(pk=OuterRef("case_id"))
    return Notification.objects.filter(recipient=user).filter(Q(case__isnull=True) | Q(Exists(visible)))


def unread_count(user: User) -> int:
    return notices_of(user).filter(read_at__isnull=True).count()


def page(
    user: User, *, unread: bool = False, before: int | None = None, limit: int = 50
) -> tuple[list, int | None]:
    """Newest first, keyset on the id: (notices, the id to pass as `before` for the next page)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid({"limit": f"每页条数应在 1 到 {MAX_LIMIT} 之间"})
    qs = notices_of(user).select_related("case").order_by("-id")
    if unread:
        qs = qs.filter(read_at__isnull=True)
    if before is not None:
        qs = qs.filter(id__lt=before)
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].pk if more else None)


def mark_read(
    user: User, *, ids: list[int] | None = None, everything: bool = False, now: datetime | None = None
) -> int:
    """Marks the user's own unread notices (the given ones, or all); returns how many changed."""
    if not everything and not ids:
        raise invalid({"ids": "请指定要标为已读的消息，或选择全部"})
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if not everything:
        qs = qs.filter(pk__in=ids or [])
    with transaction.atomic():
        return qs.update(read_at=now or timezone.now())


def link_of(notice: Notification) -> str:
    return f"/cases/{notice.case.number}/" if notice.case is not None else notice.link


def out(notice: Notification) -> dict:
    return {
        "id": notice.pk,
        "kind": notice.kind,
        "message": notice.message,
        "case": notice.case.number if notice.case is not None else None,
        "link": link_of(notice),
        "created_at": notice.created_at,
        "read": notice.read_at is not None,
        "read_at": notice.read_at,
    }
