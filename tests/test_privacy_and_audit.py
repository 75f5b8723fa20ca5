"""PII encrypted at rest, masked in output, revealed only with a reason and an audit entry."""

import pytest
from django.db import connection

from pingan.audit.log import verify_chain
from pingan.audit.models import AuditEntry
from pingan.cases.models import CaseEvent, Reporter

from .conftest import case_body


def _dispatched_case(county, api):
    d = api("dispatcher")
    number = d.post("/cases", case_body(county))[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {})
    return number


def test_handler_sees_masked_phone_and_reveal_is_audited(county, api):
    number = _dispatched_case(county, api)
    h = api("handler")
    assert h.get(f"/cases/{number}")[1]["reporter"] == {
        "anonymous": False,
        "name": "张**",
        "phone": "138****1234",
        "address": "",
    }
    # The ledger carries no personal data at all; the case page carries it masked.
    assert "reporter" not in h.get("/cases")[1]["items"][0]
    status, body = h.post(
        f"/cases/{number}/actions/reveal", {"field": "reporter.phone", "reason": "电话回访核实情况"}
    )
    assert status == 200 and body == {"value": "13812341234"}
    entry = AuditEntry.objects.get(action="case.reveal")
    assert entry.actor == "handler" and entry.object_id == number
    assert entry.data == {"field": "reporter.phone", "reason": "电话回访核实情况"}


def test_reveal_needs_a_reason_and_a_right(county, api):
    number = _dispatched_case(county, api)
    status, body = api("handler").post(f"/cases/{number}/actions/reveal", {"field": "reporter.phone"})
    assert status == 400 and "reason" in body["error"]["fields"]
    status, body = api("supervisor").post(
        f"/cases/{number}/actions/reveal", {"field": "reporter.phone", "reason": "x"}
    )
    assert status == 403
    status, body = api("handler2").post(
        f"/cases/{number}/actions/reveal", {"field": "reporter.phone", "reason": "x"}
    )
    assert status == 404
    assert not AuditEntry.objects.filter(action="case.reveal").exists()


def test_database_holds_no_clear_text(county, api):
    _dispatched_case(county, api)
    with connection.cursor() as cur:
        cur.execute("SELECT name, phone FROM cases_reporter")
        rows = cur.fetchall()
    assert rows and all("13812341234" not in phone and "张三丰" not in name for name, phone in rows)
    assert Reporter.objects.get().phone == "13812341234"


def test_party_fields_are_revealable_by_id(county, api):
    d = api("dispatcher")
    body = case_body(
        county, stream="dispute", category="D02", parties=[{"name": "李小龙", "phone": "13900001111"}]
    )
    data = d.get(f"/cases/{d.post('/cases', body)[1]['number']}")[1]
    party_id = data["parties"][0]["id"]
    assert data["parties"][0]["name"] == "李**"
    _, out = d.post(
        f"/cases/{data['number']}/actions/reveal",
        {"field": f"parties.{party_id}.phone", "reason": "联系调解"},
    )
    assert out == {"value": "13900001111"}


def test_tip_reporter_identity_is_for_custodians_only(county, api):
    d = api("dispatcher")
    number = d.post("/cases", case_body(county, stream="tip", category="T01", title="线索"))[1]["number"]
    body = {"field": "reporter.name", "reason": "核实线索"}
    assert d.post(f"/cases/{number}/actions/reveal", body)[0] == 403
    assert api("custodian").post(f"/cases/{number}/actions/reveal", body) == (200, {"value": "张三丰"})
    # Leaders and supervisors do not see tips at all.
    assert api("leader").get(f"/cases/{number}")[0] == 404


def test_audit_log_is_append_only_and_chained(county, api):
    _dispatched_case(county, api)
    entry = AuditEntry.objects.first()
    entry.action = "tampered"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="tampered")
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()
    with pytest.raises(TypeError):
        entry.delete()
    assert verify_chain() == (True, AuditEntry.objects.count())
    # A row changed behind the ORM's back breaks the chain.
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditentry SET actor = 'mallory' WHERE id = %s", [entry.pk])
    assert verify_chain()[0] is False


def test_case_events_are_immutable(county, api):
    _dispatched_case(county, api)
    event = CaseEvent.objects.first()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        CaseEvent.objects.update(actor="x")


def test_every_action_writes_an_audit_entry(county, api):
    number = _dispatched_case(county, api)
    actions = list(AuditEntry.objects.filter(object_id=number).values_list("action", flat=True))
    assert actions == ["case.create", "case.accept", "case.dispatch"]
