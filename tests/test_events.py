"""One writer of case events (DESIGN §3, §9): checked against the transition table, each with its
audit entry and the due time of the step it ends, and nothing else may write one."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

import pingan
from pingan.audit.log import verify_chain
from pingan.cases import events
from pingan.cases.models import Case, CaseEvent
from pingan.cases.workflow import IllegalEvent

from .conftest import JPEG, case_body

WRITER = Path(pingan.__file__).parent / "cases" / "events.py"


ADDS = ("create", "bulk_create", "get_or_create", "update_or_create")


def _creates_case_events(tree: ast.AST) -> list[int]:
    """Lines that construct a CaseEvent or call a CaseEvent manager method that adds rows."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "CaseEvent":
            lines.append(node.lineno)
        elif isinstance(func, ast.Attribute):
            chain = ast.unparse(func.value)
            by_manager = chain.startswith("CaseEvent.") and func.attr in (*ADDS, "append")
            by_relation = chain.endswith(".events") and func.attr in ADDS  # a case's related manager
            if by_manager or by_relation:
                lines.append(node.lineno)
    return lines


def test_no_code_but_the_event_writer_creates_case_events():
    offenders = []
    for path in Path(pingan.__file__).parent.rglob("*.py"):
        if path == WRITER or "migrations" in path.parts:
            continue
        found = _creates_case_events(ast.parse(path.read_text(encoding="utf-8")))
        offenders += [f"{path.relative_to(WRITER.parents[2])}:{line}" for line in found]
    assert offenders == [], "只有 pingan/cases/events.py 可以写案件事件：" + ", ".join(offenders)
    # The scan would see a side door: it finds the writer's own call.
    assert _creates_case_events(ast.parse(WRITER.read_text(encoding="utf-8")))


def test_the_model_refuses_every_other_way_in(county, api):
    number = api("dispatcher").post("/cases", case_body(county))[1]["number"]
    case = Case.objects.get(number=number)
    for attempt in (
        lambda: CaseEvent.objects.create(case=case, action="accept", actor="x"),
        lambda: CaseEvent.objects.bulk_create([CaseEvent(case=case, action="accept", actor="x")]),
        lambda: CaseEvent(case=case, action="accept", actor="x").save(),
    ):
        with pytest.raises(TypeError, match=r"只能由 pingan\.cases\.events 写入"):
            attempt()
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_every_event_has_its_audit_entry_and_the_chain_holds(county, api):
    d, h = api("dispatcher"), api("handler")
    number = d.post("/cases", case_body(county))[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {})
    h.act(number, "sign")
    assert h.upload(number, JPEG)[0] == 201
    h.act(number, "record_work", {"kind": "visit", "content": "上门查看"})
    evs = list(CaseEvent.objects.filter(case__number=number).select_related("audit").order_by("id"))
    assert [e.action for e in evs] == ["create", "accept", "dispatch", "sign", "attach", "record_work"]
    for e in evs:
        assert e.audit is not None
        assert (e.audit.action, e.audit.object_id, e.audit.actor) == (f"case.{e.action}", number, e.actor)
    assert verify_chain()[0]


def test_an_event_that_ends_a_step_records_the_due_then_in_force(county, api):
    d, h, head = api("dispatcher"), api("handler"), api("unit_head")
    number = d.post("/cases", case_body(county))[1]["number"]
    accept_due = Case.objects.get(number=number).accept_due
    d.act(number, "accept")
    d.act(number, "dispatch", {})
    sign_due = Case.objects.get(number=number).sign_due
    h.act(number, "sign")
    new_due = (timezone.now() + timedelta(days=30)).isoformat()
    h.act(number, "request_extension", {"reason": "需调取材料", "new_due": new_due})
    head.act(number, "decide_extension", {"decision": "approve"})
    extended = Case.objects.get(number=number).resolve_due
    h.act(number, "resolve", {"outcome": "resolved", "summary": "已修复"})
    steps = {e.action: (e.step, e.due) for e in CaseEvent.objects.filter(case__number=number)}
    assert steps["accept"] == ("accept", accept_due)
    assert steps["sign"] == ("sign", sign_due)
    assert steps["resolve"] == ("resolve", extended)  # the due in force, extension included
    assert steps["dispatch"] == ("", None) and steps["decide_extension"] == ("", None)


def test_an_illegal_event_is_refused_and_nothing_is_written(county, api):
    number = api("dispatcher").post("/cases", case_body(county))[1]["number"]
    case = Case.objects.get(number=number)
    with pytest.raises(IllegalEvent):
        events.write(case, "sign", by=county.users["handler"])  # 登记 → 签收 skips three steps
    with pytest.raises(IllegalEvent):
        events.write(case, "no_such_event", by=None)
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_the_hook_runs_inside_the_writing_transaction(county, api):
    seen = []

    def receiver(sender, events, quiet, **kwargs):
        seen.append((transaction.get_connection().in_atomic_block, [e.action for e in events], quiet))

    events.events_written.connect(receiver)
    try:
        api("dispatcher").post("/cases", case_body(county))
    finally:
        events.events_written.disconnect(receiver)
    assert seen == [(True, ["create"], False)]


def test_merge_locks_both_cases_and_writes_an_audited_event_on_each(county, api):
    d = api("dispatcher")
    master = d.post("/cases", case_body(county))[1]["number"]
    duplicate = d.post("/cases", case_body(county))[1]["number"]
    d.act(master, "accept")
    body = d.act(duplicate, "merge", {"into": master, "reason": "同一路灯"})
    assert body["status"] == "merged"
    merged_in = CaseEvent.objects.get(case__number=master, action="merged_in")
    assert merged_in.data == {"case": duplicate, "reason": "同一路灯"} and merged_in.audit is not None
    assert merged_in.audit.object_id == master
    assert Case.objects.get(number=duplicate).merged_into.number == master
    assert master in [c["number"] for c in d.get(f"/cases/{duplicate}")[1]["related"]]
    other = d.post("/cases", case_body(county))[1]["number"]
    for target in (other, duplicate, "PA-990122-2026-999999"):  # itself, an ended case, none at all
        status, err = d.post(f"/cases/{other}/actions/merge", {"into": target})
        assert status == 400 and "into" in err["error"]["fields"], target
    assert verify_chain()[0]
