"""The audit log as auditors read it: Chinese labels for every action code, `GET /api/v1/audit` with its
filters, keyset pages and refusals (DESIGN §7, §8)."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pingan
from pingan.audit.labels import ACTION_GROUPS, ACTION_LABELS, EXPORT_ACTIONS
from pingan.audit.log import record, record_many
from pingan.audit.models import AuditEntry
from pingan.audit.summary import summarise
from pingan.cases.selectors import CaseFilter
from pingan.cases.workflow import EVENTS
from pingan.exports.ledger import export_ledger

from .conftest import case_body

# ---------------------------------------------------------------- labels for every code


def test_every_case_event_has_a_chinese_label():
    missing = [f"case.{name}" for name in EVENTS if f"case.{name}" not in ACTION_LABELS]
    assert missing == []


WRITERS = {"record", "_record", "_record_grant", "_record_user", "_record_token", "_entry"}


def _written_codes() -> set[str]:
    """Action codes the source writes as literals: the second argument of `record` and of the helpers
    that call it, `action=` of an AuditEntry, and strings assigned to a name `action`. Case events
    (`case.{event}`) are checked above."""
    codes = set()
    for path in Path(pingan.__file__).parent.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name in WRITERS and len(node.args) >= 2:
                    values.append(node.args[1])
                values += [k.value for k in node.keywords if k.arg == "action" and name == "AuditEntry"]
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "action" for t in node.targets):
                values.append(node.value)
            # A choice between two codes ("auth.otp" if passed else "auth.otp_failed") names both.
            values += [b for v in values if isinstance(v, ast.IfExp) for b in (v.body, v.orelse)]
            codes |= {v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
    return codes


def test_every_action_code_written_in_the_code_has_a_chinese_label():
    codes = _written_codes()
    # The scan sees every kind of writer: a bare record, a helper, a bulk entry and an assignment.
    assert {"case.reveal", "role.grant", "token.issue", "config.create", "sweep", "auth.otp_failed"} <= codes
    assert sorted(codes - set(ACTION_LABELS)) == []


def test_writing_an_unlabelled_code_warns_and_the_suite_makes_that_an_error(county):
    with pytest.warns(RuntimeWarning, match="no.such_code"):
        record("system", "no.such_code")
    with pytest.warns(RuntimeWarning, match="no.other_code"):
        record_many([AuditEntry(actor="system", action="no.other_code", at=timezone.now())])


def test_each_code_has_one_label_in_one_group():
    codes = [code for _, group in ACTION_GROUPS for code in group]
    assert len(codes) == len(set(codes)) == len(ACTION_LABELS)
    assert ACTION_LABELS["case.accept"] == "受理案件" and ACTION_LABELS["audit.export"] == "导出审计日志"
    assert EXPORT_ACTIONS == (
        "case.export",
        "supervision.export",
        "audit.export",
    )  # what the desk's 近 7 日导出 counts


def test_the_summary_reads_entry_data_in_chinese():
    assert summarise({"field": "reporter.phone", "reason": "电话核实"}) == "字段：反映人电话；理由：电话核实"
    assert summarise({"request": 3, "decision": "approve", "note": ""}) == "申请：3；审批结果：同意"
    assert summarise({"resolve_due": "2026-12-01T09:30:00Z", "stream": "hazard"}) == (
        "办结时限：2026-12-01 17:30；业务类型：安全隐患"
    )
    assert summarise({"role": "custodian", "user": "wang"}) == "角色：身份保管人；用户：wang"
    change = {"object": "消防", "changes": {"name": {"old": "消防", "new": "消防安全"}}}
    assert summarise(change, "cases.category") == "对象：消防；变更：名称 消防 → 消防安全"
    assert summarise({"designated": False, "co_units": ["A", "B"]}) == "指定承办：否；协办单位：A、B"
    assert summarise({"channel": "walk_in"}) == "渠道：来访" and summarise({"channel": "api"}) == "渠道：接口"
    assert summarise({"text": "很长" * 100}, limit=5) == "内容：很长很长很…"


# ---------------------------------------------------------------- the API


def _some_history(county, api) -> str:
    """A case created, accepted, dispatched; its reporter's phone revealed; the ledger exported."""
    d = api("dispatcher")
    number = d.post("/cases", case_body(county))[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {})
    h = api("handler")
    body = {"field": "reporter.phone", "reason": "电话回访核实情况"}
    assert h.post(f"/cases/{number}/actions/reveal", body)[0] == 200
    export_ledger(county.users["dispatcher"], CaseFilter()).file.close()
    return number


def test_auditor_reads_the_log_newest_first_with_chinese_labels_and_names(county, api):
    number = _some_history(county, api)
    status, body = api("auditor").get("/audit", with_total="true")
    assert status == 200
    assert body["total"] == AuditEntry.objects.count() and body["next_cursor"] is None
    ids = [i["id"] for i in body["items"]]
    assert ids == sorted(ids, reverse=True)
    reveal = next(i for i in body["items"] if i["action"] == "case.reveal")
    assert reveal["action_label"] == "查看个人信息原文"
    assert reveal["actor"] == "handler" and reveal["actor_name"] == "吴承办"
    assert (reveal["object_type"], reveal["object_id"]) == ("case", number)
    assert reveal["data"] == {"field": "reporter.phone", "reason": "电话回访核实情况"}
    assert reveal["summary"] == "字段：反映人电话；理由：电话回访核实情况"
    assert {"id", "at", "actor", "actor_name", "action", "action_label", "object_type", "object_id"} <= set(
        reveal
    )
    # The demo users were created by the system: its name is 系统.
    grant = next(i for i in body["items"] if i["action"] == "role.grant")
    assert grant["actor_name"] == "系统" and grant["action_label"] == "授予角色"
    assert "total" not in api("auditor").get("/audit")[1]


def _total(client, **params) -> int:
    status, body = client.get("/audit", with_total="true", **params)
    assert status == 200, body
    return body["total"]


def test_the_audit_filters(county, api):
    number = _some_history(county, api)
    a = api("auditor")
    assert _total(a, action="case.accept") == 1
    assert _total(a, action="case.reveal,case.export") == 2
    assert _total(a, action=" case.reveal , case.reveal ") == 1
    dispatcher_entries = AuditEntry.objects.filter(actor="dispatcher").count()
    assert dispatcher_entries >= 4
    assert _total(a, actor="dispatcher") == dispatcher_entries
    assert _total(a, actor="DISPATCHER") == dispatcher_entries
    assert _total(a, actor="周受理") == dispatcher_entries
    assert _total(a, actor="受理") == dispatcher_entries  # part of the name
    assert _total(a, actor="系统") == AuditEntry.objects.filter(actor="system").count()
    assert _total(a, actor="nobody") == 0
    assert _total(a, case=number) == AuditEntry.objects.filter(object_id=number).count() == 4
    assert [i["action"] for i in a.get("/audit", case=number)[1]["items"]] == [
        "case.reveal",
        "case.dispatch",
        "case.accept",
        "case.create",
    ]
    everything = AuditEntry.objects.count()
    today = timezone.localdate()
    assert _total(a, after=today.isoformat(), before=today.isoformat()) == everything
    assert _total(a, before=(today - timedelta(days=1)).isoformat()) == 0
    assert _total(a, after=(today + timedelta(days=1)).isoformat()) == 0
    # A time with its zone: from (inclusive) and up to (exclusive).
    reveal = AuditEntry.objects.get(action="case.reveal")
    assert _total(a, after=reveal.at.isoformat(), action="case.reveal") == 1
    assert _total(a, before=reveal.at.isoformat(), action="case.reveal") == 0
    assert _total(a, action="case.accept", actor="handler") == 0


def test_the_audit_api_pages_by_cursor_without_gaps_or_repeats(county, api):
    _some_history(county, api)
    a = api("auditor")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        status, body = a.get("/audit", **params)
        assert status == 200 and len(body["items"]) <= 3
        seen += [i["id"] for i in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(AuditEntry.objects.order_by("-id").values_list("id", flat=True))
    assert pages == -(-len(seen) // 3)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"action": "case.nothing"}, "action"),
        ({"after": "2026-13-01"}, "after"),
        ({"before": "昨天"}, "before"),
        ({"after": "2026-12-05", "before": "2026-12-01"}, "before"),
        ({"after": "0001-01-01T00:00:00"}, "after"),
        ({"case": "PA-" + "9" * 100}, "case"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"cursor": "abc"}, "cursor"),
        ({"with_total": "maybe"}, "with_total"),
    ],
)
def test_bad_audit_filters_are_400_with_a_chinese_message(county, api, params, field):
    status, body = api("auditor").get("/audit", **params)
    assert status == 400, body
    error = body["error"]
    # A query value the schema refuses is named as ninja names it ("query.limit"), as elsewhere.
    [message] = [m for k, m in error["fields"].items() if k.split(".")[-1] == field]
    assert error["code"] == "invalid"
    assert _chinese(message) and _chinese(error["message"])


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize(
    "username",
    ["dispatcher", "handler", "unit_head", "grid_worker", "supervisor", "leader", "admin", "custodian"],
)
def test_only_auditors_read_the_audit_log(county, api, username):
    status, body = api(username).get("/audit")
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert body["error"]["message"] == "审计日志仅供审计员查看。"


def test_the_audit_api_wants_a_login_and_is_in_the_openapi_document(client, county):
    r = client.get("/api/v1/audit")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    parameters = {p["name"] for p in paths["/api/v1/audit"]["get"]["parameters"]}
    assert {"action", "actor", "case", "after", "before", "cursor", "limit", "with_total"} <= parameters


def test_reading_the_log_writes_nothing_and_costs_a_fixed_number_of_queries(county, api):
    _some_history(county, api)
    a = api("auditor")
    before = AuditEntry.objects.count()

    def queries(**params) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert a.get("/audit", **params)[0] == 200
        return len(ctx.captured_queries)

    queries(limit=1)  # the token's first use of the day is written down
    # Token, the user's and his groups' permissions (Django's backend), grants, entries, actors' names.
    small, large = queries(limit=2), queries(limit=50)
    assert small == large == 6
    assert queries(limit=50, with_total="true") == large + 1
    # Unfiltered, the total is the chain head's count: no COUNT over a table of millions of rows.
    with CaptureQueriesContext(connection) as ctx:
        assert a.get("/audit", with_total="true")[1]["total"] == before
    assert not [q for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    with CaptureQueriesContext(connection) as ctx:
        assert a.get("/audit", with_total="true", actor="系统")[1]["total"] > 0
    assert [q for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert AuditEntry.objects.count() == before
