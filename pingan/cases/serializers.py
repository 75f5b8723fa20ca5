"""Case → JSON, for the API and the case page alike. Personal data leaves only masked; clear values
only through `reveal`."""

from datetime import UTC
from typing import Any

from pingan.accounts.names import display_name, display_names
from pingan.accounts.scope import Scope
from pingan.core.pii import mask

from .models import Agreement, Case, CaseEvent, Status, Stream
from .selectors import LEDGER_FIELDS
from .workflow import EVENT_LABELS, allowed_actions


def _ref(code: str | None, name: str | None) -> dict | None:
    return None if code is None else {"code": code, "name": name}


def _reporter(case: Case, scope: Scope) -> dict | None:
    reporter = getattr(case, "reporter", None)
    if reporter is None:
        return None
    if case.stream == Stream.TIP and not scope.covers_region("custodian", case.region_id):
        # Not even a masked surname or the last digits of a phone: for a tip these can name a person.
        return {
            "anonymous": reporter.anonymous,
            "confidential": True,
            "name": "保密",
            "phone": "",
            "address": "",
        }
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


def _related(case: Case, scope: Scope) -> list[dict[str, str]]:
    """Linked cases (a merge links both ways) that the reader may see."""
    rows = (
        Case.objects.visible_in(scope).filter(related=case).order_by("id").values("number", "title", "status")
    )
    return [{**r, "status_label": STATUS_LABELS[r["status"]]} for r in rows]


STREAM_LABELS = dict(Stream.choices)
# How a decision reads on a page: "已同意" rather than the bare choice "同意".
DECISION_WORDS = {
    "approve": "已同意",
    "approved": "已同意",
    "deny": "不同意",
    "denied": "不同意",
    "pending": "待审批",
}
# Trailing punctuation people type, stripped so a sentence joined after it does not read "。；".
CLAUSE_END = "。．.；;，,、！!？? \n\t"
STATUS_LABELS = dict(Status.choices)


def row_of(case: Case, **known: Any) -> dict[str, Any]:
    """A case instance as a ledger row (the shape of selectors.LEDGER_FIELDS). `known` gives fields the
    caller already knows (`co_units` as (code, name) pairs, `overdue`) instead of reading them."""
    row = {f: getattr(case, f) for f in LEDGER_FIELDS if "__" not in f and f not in known}
    for relation in ("category", "region", "lead_unit"):
        obj = getattr(case, relation)
        row[f"{relation}__code"] = obj.code if obj else None
        row[f"{relation}__name"] = obj.name if obj else None
    row["handler__username"] = case.handler.username if case.handler else None
    row["handler__full_name"] = case.handler.full_name if case.handler else None
    if "co_units" not in known:
        row["co_units"] = [(u.code, u.name) for u in case.co_units.all()]
    return {**row, **known}


def case_created(case: Case) -> dict[str, Any]:
    """The answer to a creation: the new case as a ledger row, from the instance just saved, without a
    query. Its category and region are loaded; it has no co-unit, lead unit or handler yet, and its
    first clock has only just started. Times in UTC, as the database gives them back to every other
    answer (a due time is computed in local time)."""
    row = row_of(case, co_units=[], overdue=False)
    for name in ("reported_at", "accept_due", "sign_due", "resolve_due", "check_due"):
        row[name] = row[name] and row[name].astimezone(UTC)
    return case_summary(row)


def case_summary(row: dict[str, Any]) -> dict[str, Any]:
    """One serializer for ledger rows and the head of the case page, so they never disagree."""
    return {
        "number": row["number"],
        "stream": row["stream"],
        "stream_label": STREAM_LABELS[row["stream"]],
        "category": _ref(row["category__code"], row["category__name"]),
        "title": row["title"],
        "channel": row["channel"],
        "region": _ref(row["region__code"], row["region__name"]),
        "status": row["status"],
        "status_label": STATUS_LABELS[row["status"]],
        "severity": row["severity"],
        "is_group": row["is_group"],
        "lead_unit": _ref(row["lead_unit__code"], row["lead_unit__name"]),
        "co_units": [_ref(code, name) for code, name in row["co_units"]],
        "handler": row["handler__username"],
        "handler_name": row["handler__full_name"] or row["handler__username"] or "",
        "reported_at": row["reported_at"],
        "accept_due": row["accept_due"],
        "sign_due": row["sign_due"],
        "resolve_due": row["resolve_due"],
        "check_due": row["check_due"],
        "overdue": row["overdue"],
        "supervision_level": row["supervision_level"],
        "version": row["version"],
    }


def case_out(case: Case, scope: Scope) -> dict[str, Any]:
    data = case_summary(row_of(case))
    agreement = getattr(case, "agreement", None)
    data.update(
        {
            "reporter": _reporter(case, scope),
            "channel_label": case.get_channel_display(),
            "description": case.description,
            "address": case.address,
            "lat": case.lat,
            "lng": case.lng,
            "occurred_at": case.occurred_at,
            "people_involved": case.people_involved,
            "outcome": case.outcome,
            "outcome_label": case.get_outcome_display() if case.outcome else "",
            "outcome_summary": case.outcome_summary,
            "accepted_at": case.accepted_at,
            "dispatched_at": case.dispatched_at,
            "signed_at": case.signed_at,
            "resolved_at": case.resolved_at,
            "closed_at": case.closed_at,
            "merged_into": _merged_into(case),
            "backlog": case.backlog,
            "responsible_leader": case.responsible_leader.username if case.responsible_leader else None,
            "leader_signed_off_at": case.leader_signed_off_at,
            "related": _related(case, scope),
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
                    "role_label": p.get_role_display(),
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
                    "kind_label": a.get_kind_display(),
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
                    "kind_label": w.get_kind_display(),
                    "content": w.content,
                    "happened_at": w.happened_at,
                    "author": w.author.username,
                    "author_name": display_name(w.author),
                }
                for w in case.work_records.all()
            ],
            "requests": [
                {
                    "id": r.pk,
                    "kind": r.kind,
                    "kind_label": r.get_kind_display(),
                    "reason": r.reason,
                    "reason_clause": clause(r.reason),
                    "new_due": r.new_due,
                    "decision": r.decision,
                    "decision_label": DECISION_WORDS[r.decision],
                    "requested_by_name": display_name(r.requested_by),
                    "requested_at": r.requested_at,
                    "decided_by_name": display_name(r.decided_by),
                    "decided_at": r.decided_at,
                    "note": r.note,
                }
                for r in case.requests.all()
            ],
            "follow_ups": [
                {
                    "satisfaction": f.satisfaction,
                    "satisfaction_label": f.get_satisfaction_display(),
                    "resolved": f.resolved,
                    "note": f.note,
                    "at": f.at,
                    "by_public": f.by_id is None,  # rated by the reporter with their receipt
                }
                for f in case.follow_ups.all()
            ],
            "agreement": agreement_out(agreement) if agreement else None,
            "has_receipt": case.has_receipt,
            "purged_at": case.purged_at,
            "public_messages": _public_messages(case),
            "exclusions": _exclusions(case),
            "allowed_actions": allowed_actions(scope, case),
        }
    )
    return data


def _public_messages(case: Case) -> list[dict[str, Any]]:
    """The conversation with a reporter who holds a receipt (only such cases have one)."""
    if not case.has_receipt:
        return []
    return [
        {
            "id": m.pk,
            "direction": m.direction,
            "direction_label": m.get_direction_display(),
            "text": m.text,
            "author": m.author.username if m.author else "",
            "author_name": display_name(m.author),
            "at": m.at,
        }
        for m in case.public_messages.select_related("author")
    ]


def _exclusions(case: Case) -> dict[str, list[dict[str, str]]] | None:
    """Who a tip is kept from (回避); None for other streams."""
    if case.stream != "tip":
        return None
    rows = list(case.exclusions.select_related("unit", "user"))
    return {
        "units": [{"code": e.unit.code, "name": e.unit.name} for e in rows if e.unit],
        "users": [
            {"username": e.user.username, "name": e.user.full_name or e.user.username} for e in rows if e.user
        ],
    }


def clause(text: str) -> str:
    """A free-text reason or note ready to be followed by more text."""
    return text.strip().rstrip(CLAUSE_END)


def _detail(data: Any) -> str:
    """What a timeline line shows after its label: the other case of a merge or a link, and the one
    free text."""
    if not isinstance(data, dict):
        return ""
    other = next((data[k] for k in ("into", "case") if isinstance(data.get(k), str)), "")
    for key in ("reason", "note", "summary", "text"):
        if isinstance(data.get(key), str) and data[key].strip():
            return f"{other}；{clause(data[key])}" if other else clause(data[key])
    return other


def events_out(events: list[CaseEvent]) -> list[dict[str, Any]]:
    names = display_names(e.actor for e in events)
    return [event_out(e, names[e.actor]) for e in events]


def event_out(event: CaseEvent, actor_name: str) -> dict[str, Any]:
    decision = event.data.get("decision") if isinstance(event.data, dict) else None
    return {
        "action": event.action,
        "action_label": EVENT_LABELS.get(event.action, ""),
        "decision_label": DECISION_WORDS.get(decision or "", ""),
        "detail": _detail(event.data),
        "actor": event.actor,
        "actor_name": actor_name,
        "at": event.at,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "data": event.data,
    }


def agreement_out(a: Agreement) -> dict:
    """A 调解协议 with its 履行情况 and 司法确认 record (GOVERNANCE §11)."""
    applied = a.confirmation_applied_on
    return {
        "terms": a.terms,
        "signed_at": a.signed_at,
        "performance_due": a.performance_due,
        "judicial_confirmation": a.judicial_confirmation,
        "performance": a.performance,
        "performance_label": a.get_performance_display() if a.performance else "尚未登记",
        "performance_note": a.performance_note,
        "performance_recorded_at": a.performance_recorded_at,
        "confirmation": (
            {
                "applied_on": applied,
                "court": a.confirmation_court,
                "result": a.confirmation_result,
                "result_label": a.get_confirmation_result_display() if a.confirmation_result else "审查中",
                "result_on": a.confirmation_result_on,
            }
            if applied
            else None
        ),
    }
