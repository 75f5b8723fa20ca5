"""Case → JSON. Personal data leaves only masked; clear values only through `reveal`."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from pingan.accounts.scope import Scope
from pingan.cases.models import Case, CaseEvent
from pingan.cases.workflow import TRANSITIONS, allowed_actions
from pingan.core.pii import mask


def _ref(obj, label: str = "name") -> dict | None:
    if obj is None:
        return None
    return {"code": obj.code, "name": getattr(obj, label)}


def _overdue(case: Case, now: datetime) -> bool:
    def past(due):
        return due is not None and due < now

    status = case.status
    return (
        (status == "reported" and past(case.accept_due))
        or (status == "dispatched" and past(case.sign_due))
        or (status in ("accepted", "dispatched", "in_progress") and past(case.resolve_due))
        or (status == "resolved" and past(case.check_due))
    )


def _reporter(case: Case) -> dict | None:
    reporter = getattr(case, "reporter", None)
    if reporter is None:
        return None
    if reporter.anonymous:
        return {"anonymous": True, "name": "匿名", "phone": "", "address": ""}
    return {
        "anonymous": False,
        "name": mask("name", reporter.name),
        "phone": mask("phone", reporter.phone),
        "address": mask("address", reporter.address),
    }


def _merged_into(case: Case) -> str | None:
    if case.merged_into_id is None:
        return None
    return Case.objects.filter(pk=case.merged_into_id).values_list("number", flat=True).first()


def case_summary(case: Case, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    return {
        "number": case.number,
        "stream": case.stream,
        "stream_label": case.get_stream_display(),
        "category": _ref(case.category),
        "title": case.title,
        "channel": case.channel,
        "region": _ref(case.region),
        "status": case.status,
        "status_label": case.get_status_display(),
        "severity": case.severity,
        "is_group": case.is_group,
        "lead_unit": _ref(case.lead_unit),
        "co_units": [_ref(u) for u in case.co_units.all()],
        "handler": case.handler.username if case.handler else None,
        "reported_at": case.reported_at,
        "accept_due": case.accept_due,
        "sign_due": case.sign_due,
        "resolve_due": case.resolve_due,
        "check_due": case.check_due,
        "overdue": _overdue(case, now),
        "supervision_level": case.supervision_level,
        "version": case.version,
    }


def case_detail(case: Case, scope: Scope) -> dict[str, Any]:
    data = case_summary(case)
    agreement = getattr(case, "agreement", None)
    data.update(
        {
            "reporter": _reporter(case),
            "description": case.description,
            "address": case.address,
            "lat": case.lat,
            "lng": case.lng,
            "occurred_at": case.occurred_at,
            "people_involved": case.people_involved,
            "outcome": case.outcome,
            "outcome_summary": case.outcome_summary,
            "accepted_at": case.accepted_at,
            "dispatched_at": case.dispatched_at,
            "signed_at": case.signed_at,
            "resolved_at": case.resolved_at,
            "closed_at": case.closed_at,
            "merged_into": _merged_into(case),
            "counts": {
                "returns": case.return_count,
                "extensions": case.extension_count,
                "check_fails": case.check_fail_count,
                "reopens": case.reopen_count,
            },
            "parties": [
                {
                    "id": p.pk,
                    "role": p.role,
                    "name": mask("name", p.name),
                    "phone": mask("phone", p.phone),
                    "address": mask("address", p.address),
                    "id_number": mask("id_number", p.id_number),
                }
                for p in case.parties.all()
            ],
            "attachments": [
                {
                    "id": a.pk,
                    "kind": a.kind,
                    "name": a.original_name,
                    "content_type": a.content_type,
                    "size": a.size,
                }
                for a in case.attachments.all()
            ],
            "work_records": [
                {
                    "id": w.pk,
                    "kind": w.kind,
                    "content": w.content,
                    "happened_at": w.happened_at,
                    "author": w.author.username,
                }
                for w in case.work_records.all()
            ],
            "requests": [
                {
                    "id": r.pk,
                    "kind": r.kind,
                    "reason": r.reason,
                    "new_due": r.new_due,
                    "decision": r.decision,
                    "requested_at": r.requested_at,
                    "decided_at": r.decided_at,
                    "note": r.note,
                }
                for r in case.requests.all()
            ],
            "follow_ups": [
                {"satisfaction": f.satisfaction, "resolved": f.resolved, "note": f.note, "at": f.at}
                for f in case.follow_ups.all()
            ],
            "agreement": (
                {
                    "terms": agreement.terms,
                    "performance_due": agreement.performance_due,
                    "judicial_confirmation": agreement.judicial_confirmation,
                }
                if agreement
                else None
            ),
            "allowed_actions": allowed_actions(scope, case),
        }
    )
    return data


def event_out(event: CaseEvent) -> dict[str, Any]:
    label = (
        TRANSITIONS[event.action].label if event.action in TRANSITIONS else EXTRA_LABELS.get(event.action, "")
    )
    return {
        "action": event.action,
        "action_label": label,
        "actor": event.actor,
        "at": event.at,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "data": event.data,
    }


EXTRA_LABELS = {"create": "登记", "attach": "上传附件", "escalate": "超期升级", "merged_in": "并入案件"}
