"""Who is told of what (DESIGN §7): notices follow case events, computed by the worker.

The event writer sends `events_written` inside its transaction; `queue_for_events` puts the events that
someone hears of on the task queue (a table in the same database, so a notice is queued if and only if
its event is committed). `pingan worker` then writes one notice per recipient: the holders of a role
over the case (pingan.accounts.policy.holders), or the user who made a request that is now decided, and
never anyone who cannot see the case.
"""

from collections.abc import Iterable

from django.db import transaction
from django_tasks import task

from pingan.accounts import policy
from pingan.accounts.models import User
from pingan.accounts.scope import scope_of
from pingan.cases.models import CaseEvent, CaseRequest

from .models import Notification

# Which role (or roles) hears of which event, and what they are told. For a tip the custodian hears
# what would go to a leader (policy.STAND_INS).
BY_ROLE: dict[str, tuple[str | tuple[str, ...], str]] = {
    "dispatch": ("handler", "新分派案件待签收"),
    "request_return": ("dispatcher", "有退单申请待审批"),
    "request_extension": ("unit_head", "有延期申请待审批"),
    "request_suspension": ("leader", "有挂起申请待审批"),
    "resolve": ("dispatcher", "案件已办结，待核查"),
    "check_fail": ("handler", "核查未通过，请返工"),
    "reopen": ("handler", "案件重新办理"),
    "supervise": ("handler", "案件被督办"),
    "lift_supervision": ("handler", "案件已解除督办"),
    "progress_late": (("handler", "unit_head"), "督办案件逾期未报告办理进展"),
    "performance_due_soon": ("handler", "调解协议履行期限将到，请跟进并登记履行情况"),
    "performance_late": ("handler", "调解协议履行期限已过，尚未登记履行情况"),
    "public_message": ("dispatcher", "群众通过查询码留言"),
    "public_feedback": ("dispatcher", "群众评价了办理结果"),
}
# A decided request is told to whoever asked.
DECISIONS = {"decide_return": "退单申请", "decide_extension": "延期申请", "decide_suspension": "挂起申请"}
LEVEL_LABELS = {1: "承办人", 2: "单位负责人", 3: "受理分派员", 4: "领导"}
NOTIFIED = {*BY_ROLE, *DECISIONS, "escalate"}
GRANTS_IN_AUDIT_LOG = "/audit/?action=role.grant"  # the 审计日志 page, showing grants
BATCH = 500


def queue_for_events(sender, events: list[CaseEvent], quiet: bool = False, **kwargs) -> None:
    if quiet:
        return
    ids = [e.pk for e in events if e.action in NOTIFIED]
    for start in range(0, len(ids), BATCH):
        notify_events.enqueue(ids[start : start + BATCH])


@task()
def notify_events(event_ids: list[int]) -> int:
    events = (
        CaseEvent.objects.filter(pk__in=event_ids, action__in=NOTIFIED)
        .select_related("case")
        .prefetch_related("case__co_units", "case__exclusions__unit")
        .order_by("id")
    )
    holders: dict[tuple[str, policy.Subject], list[User]] = {}
    notes: list[Notification] = []
    for event in events:
        case = event.case
        subject = case.subject()
        for user, text in _recipients(event, subject, holders):
            notes.append(
                Notification(
                    recipient=user,
                    case=case,
                    event=event,
                    kind=event.action,
                    message=f"{text}：{case.number} {case.title}"[:300],
                    created_at=event.at,
                )
            )
    # A task whose worker died before marking it done runs again (pingan worker requeues it): the
    # notices it had already written stay as they are.
    with transaction.atomic():
        Notification.objects.bulk_create(notes, batch_size=BATCH, ignore_conflicts=True)
    return len(notes)


def _recipients(
    event: CaseEvent, subject: policy.Subject, cache: dict[tuple[str, policy.Subject], list[User]]
) -> Iterable[tuple[User, str]]:
    if event.action in DECISIONS:
        req = CaseRequest.objects.select_related("requested_by").filter(pk=event.data.get("request")).first()
        if req is not None and policy.may_see(scope_of(req.requested_by), subject):
            verdict = "已同意" if event.data.get("decision") == "approve" else "未同意"
            yield req.requested_by, f"您的{DECISIONS[event.action]}{verdict}"
        return
    if event.action == "escalate":
        level = int(event.data.get("level", 0))
        roles, text = event.data.get("role", ""), f"超期提醒（第{level}级，{LEVEL_LABELS.get(level, '')}）"
    else:
        roles, text = BY_ROLE[event.action]
    told = set()
    for role in (roles,) if isinstance(roles, str) else roles:
        key = (role, subject)
        if key not in cache:
            cache[key] = policy.holders(role, subject)
        for user in cache[key]:
            if user.pk not in told:  # one notice per event, whatever roles the user holds
                told.add(user.pk)
                yield user, text


def forget_purged(sender, case, **kwargs) -> None:
    """A purged case's notices keep its number and its tombstone title, not the old title."""
    Notification.objects.filter(case=case).update(message=f"{case.number} {case.title}"[:300])


def tell_auditors(sender, grant, by, **kwargs) -> None:
    """Granting `custodian` or `admin` is told to the auditors whose region covers it (DESIGN §8)."""
    region = grant.region_id or (grant.unit.region_id if grant.unit else "")
    who = grant.user.full_name or grant.user.username
    actor = (by.full_name or by.username) if by else "系统"
    text = (
        f"授权提醒：{who}（{grant.user.username}）被授予“{grant.get_role_display()}”角色，"
        f"范围：{grant.region or grant.unit}，操作人：{actor}"
    )
    auditors = User.objects.filter(is_active=True, grants__role="auditor").distinct()
    Notification.objects.bulk_create(
        [
            Notification(recipient=a, kind="role_granted", message=text[:300], link=GRANTS_IN_AUDIT_LOG)
            for a in auditors
            if policy.covers(scope_of(a), ("auditor",), region)
        ]
    )


def tell(users, *, kind: str, message: str, link: str, key: str = "", at=None) -> int:
    """A notice about something other than a case (a revoked 平安创建 award, a surge alert…) to each of
    `users`, in the caller's transaction, dated `at` (now by default). A notice with a `key` reaches each
    recipient once, however often it is told. Returns how many were offered."""
    dated = {"created_at": at} if at is not None else {}
    rows = [
        Notification(recipient=u, kind=kind, message=message[:300], link=link[:200], key=key, **dated)
        for u in users
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=bool(key))
    return len(rows)
