"""包案周报 (GOVERNANCE §7): every Monday each 包案 leader is told how his cases stand and which plan
steps are late, in one notice linking to his cases in the ledger.

Joined to `pingan sweep` (which runs every few minutes) through its `sweeping` signal: from Monday 08:00
the week's digest goes to each leader with a case under 包案 not yet signed off who has not had it.
Idempotent per week: the notice carries the key `leader_digest:<ISO week>`, unique per recipient.
"""

from datetime import datetime, time

from django.db import transaction
from django.utils import timezone

from pingan.accounts.models import User
from pingan.cases.clocks import LOCAL
from pingan.cases.models import LeaderAssignment
from pingan.cases.selectors import leader_desk
from pingan.core.periods import period_of

from .models import Notification

KIND = "leader_digest"
FROM = time(8, 0)  # Monday, as the week's 调度表
LINK = "/cases/?leader=me"
LATE_LISTED = 3  # late steps named in the notice; the desk and the ledger show them all


def send_leader_digests(now: datetime | None = None) -> int:
    """This week's digest to each 包案 leader who has not had it; returns how many were sent."""
    local = (now or timezone.now()).astimezone(LOCAL)
    if local.weekday() == 0 and local.time() < FROM:
        return 0  # last week's went out last Monday
    week = period_of("week", local.date())
    key = f"{KIND}:{week.key}"
    leaders = User.objects.filter(
        is_active=True,
        pk__in=LeaderAssignment.objects.filter(ended_at__isnull=True, signed_off_at__isnull=True).values(
            "leader"
        ),
    ).exclude(notifications__key=key)
    notes = []
    for leader in leaders:
        rows = leader_desk(leader, local.date())
        if rows:
            notes.append(
                Notification(recipient=leader, kind=KIND, key=key, link=LINK, message=digest_text(week, rows))
            )
    with transaction.atomic():
        created = Notification.objects.bulk_create(notes, ignore_conflicts=True)
    return len(created)


def digest_text(week, rows: list[dict]) -> str:
    """One line a leader reads at a glance; the details are a click away."""
    to_sign = sum(1 for r in rows if r["awaits_sign_off"])
    late = [(r["case"], s["step"]) for r in rows for s in r["steps"] if s["state"] == "late"]
    text = f"包案周报（{week.label}）：您包案的案件 {len(rows)} 件"
    text += f"，其中已办结待您签字销号 {to_sign} 件" if to_sign else ""
    if late:
        named = "；".join(f"{c.number} 第{s.position}步“{s.text}”" for c, s in late[:LATE_LISTED])
        text += f"；逾期未完成的工作步骤 {len(late)} 个：{named}" + ("等" if len(late) > LATE_LISTED else "")
    else:
        text += "；工作步骤均未逾期"
    return (text + "。")[:300]


def on_sweep(sender, now: datetime, **kwargs) -> dict[str, int]:
    return {KIND: send_leader_digests(now)}
