"""调解协议履行期限提醒 (GOVERNANCE §11), the agreement part of `pingan sweep`.

The lead unit's handlers are told PINGAN_PERFORMANCE_REMIND_DAYS days before an agreement's performance
deadline (`performance_due_soon`), and on the first day after it when no 履行情况 was recorded
(`performance_late`). Each reminder is an event (the notices follow from it) and is written once per
deadline: the agreement keeps the deadline it was sent for, and the mark and the event commit together.
A deadline already past when first seen gets only the second reminder.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from . import events
from .clocks import LOCAL
from .models import Agreement
from .workflow import AGREED

CHUNK = 500


def remind_performance(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    today = now.astimezone(LOCAL).date()
    waiting = Agreement.objects.filter(
        performance="",
        performance_due__isnull=False,
        case__status__in=AGREED,
        case__purged_at__isnull=True,
    )
    soon = waiting.filter(
        performance_due__gte=today,
        performance_due__lte=today + timedelta(days=settings.PINGAN_PERFORMANCE_REMIND_DAYS),
    ).filter(Q(due_soon_reminded_for__isnull=True) | ~Q(due_soon_reminded_for=F("performance_due")))
    late = waiting.filter(performance_due__lt=today).filter(
        Q(late_reminded_for__isnull=True) | ~Q(late_reminded_for=F("performance_due"))
    )
    return {
        "performance_due_soon": _remind(soon, "performance_due_soon", "due_soon_reminded_for", now),
        "performance_late": _remind(late, "performance_late", "late_reminded_for", now),
    }


def _remind(candidates: QuerySet[Agreement], action: str, mark: str, now: datetime) -> int:
    sent = 0
    while True:
        with transaction.atomic():
            chunk = list(
                candidates.select_for_update(skip_locked=True, of=("self",)).select_related("case")[:CHUNK]
            )
            if not chunk:
                return sent
            for a in chunk:
                setattr(a, mark, a.performance_due)
            Agreement.objects.bulk_update(chunk, [mark])
            events.write_many(
                [
                    events.NewEvent(
                        a.case, action, events.SYSTEM, now, a.case.status, a.case.status,
                        {"due": a.performance_due},
                    )
                    for a in chunk
                ]
            )  # fmt: skip
            sent += len(chunk)
