"""Background work, run by `pingan worker` (django-tasks with the database backend)."""

from django.db import transaction
from django_tasks import task

from .models import Case, CaseEvent, Escalation, Notification
from .recipients import holders

# Which role hears of which event, and what they are told.
EVENT_NOTICES = {
    "dispatch": ("handler", "新分派案件待签收"),
    "request_return": ("dispatcher", "有退单申请待审批"),
    "request_extension": ("unit_head", "有延期申请待审批"),
    "request_suspension": ("leader", "有挂起申请待审批"),
    "resolve": ("dispatcher", "案件已办结，待核查"),
    "check_fail": ("handler", "核查未通过，请返工"),
    "reopen": ("handler", "案件重新办理"),
    "supervise": ("handler", "案件被督办"),
    "public_message": ("dispatcher", "群众通过查询码留言"),
    "public_feedback": ("dispatcher", "群众评价了办理结果"),
}
LEVEL_LABELS = {1: "承办人", 2: "单位负责人", 3: "受理分派员", 4: "领导"}


@task()
def notify_case_event(event_id: int) -> int:
    event = CaseEvent.objects.select_related("case__lead_unit").filter(pk=event_id).first()
    if event is None or event.action not in EVENT_NOTICES:
        return 0
    role, text = EVENT_NOTICES[event.action]
    case = event.case
    notes = [
        Notification(
            recipient=u, case=case, kind=event.action, message=f"{text}：{case.number} {case.title}"[:300]
        )
        for u in holders(case, role)
    ]
    Notification.objects.bulk_create(notes)
    return len(notes)


@task()
def notify_escalations(escalation_ids: list[int]) -> int:
    count = 0
    escalations = Escalation.objects.filter(pk__in=escalation_ids).select_related("case__lead_unit")
    with transaction.atomic():
        for esc in escalations:
            role = Escalation.LEVEL_ROLES[esc.level]
            case: Case = esc.case
            message = f"超期提醒（第{esc.level}级，{LEVEL_LABELS[esc.level]}）：{case.number} {case.title}"[
                :300
            ]
            notes = [
                Notification(recipient=u, case=case, kind="escalation", message=message)
                for u in holders(case, role)
            ]
            Notification.objects.bulk_create(notes)
            count += len(notes)
    return count
