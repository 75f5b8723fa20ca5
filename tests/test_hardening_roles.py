"""Writes that roles must not make, and refused writes that must leave a trace (issue 11)."""

import pytest

from pingan.audit.models import AuditEntry

from .conftest import JPEG, Api, case_body


def _to_resolved(county, number):
    d, h = Api(county.users["dispatcher"]), Api(county.users["handler"])
    d.act(number, "accept")
    d.act(number, "dispatch", {})
    h.act(number, "sign")


@pytest.mark.parametrize("username", ["leader", "supervisor", "custodian", "grid_worker", "handler2"])
def test_attachments_by_any_role_are_refused_for_those_who_only_read(county, username):
    number = Api(county.users["dispatcher"]).post("/cases", case_body(county))[1]["number"]
    _to_resolved(county, number)
    status, body = Api(county.users[username]).upload(number, JPEG)
    assert status in (403, 404), (status, body)  # handler2 cannot even see it
    assert not Api(county.users["dispatcher"]).get(f"/cases/{number}")[1]["attachments"]


def test_attachments_by_those_who_work_on_the_case_are_accepted(county):
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county))[1]["number"]
    _to_resolved(county, number)
    for username in ("dispatcher", "handler", "unit_head"):
        status, body = Api(county.users[username]).upload(number, JPEG)
        assert status == 201, (username, body)
    assert Api(county.users["supervisor"]).upload(number, JPEG)[0] == 403
    Api(county.users["handler"]).act(number, "resolve", {"outcome": "resolved", "summary": "路灯已修复"})
    assert Api(county.users["supervisor"]).upload(number, JPEG)[0] == 201  # during the check
    grid = Api(county.users["grid_worker"])
    own = grid.post("/cases", case_body(county, channel="grid", stream="hazard", category=None))[1]
    assert grid.upload(own["number"], JPEG)[0] == 201


def test_refused_writes_on_an_excluded_tip_are_audited(county):
    d = Api(county.users["dispatcher"])
    village = county.villages[county.towns[0].code][0]
    tip = d.post(
        "/cases",
        {"stream": "tip", "title": "有人在村里放高利贷", "description": "线索内容", "region": village.code,
         "channel": "letter"},
    )[1]["number"]  # fmt: skip
    d.act(tip, "exclude", {"users": ["custodian"], "reason": "举报涉及本人"})
    before = AuditEntry.objects.filter(action="case.excluded_access").count()
    custodian = Api(county.users["custodian"])
    assert custodian.post(f"/cases/{tip}/actions/exclude", {"users": [], "reason": "x"})[0] == 404
    assert (
        custodian.post(f"/cases/{tip}/actions/reveal", {"field": "reporter.phone", "reason": "查"})[0] == 404
    )
    assert custodian.upload(tip, JPEG)[0] == 404
    tries = AuditEntry.objects.filter(action="case.excluded_access", actor="custodian", object_id=tip)
    assert tries.count() - before == 3
    # Someone merely out of scope leaves no such entry.
    assert Api(county.users["handler2"]).post(f"/cases/{tip}/actions/accept", {})[0] == 404
    assert not AuditEntry.objects.filter(action="case.excluded_access", actor="handler2").exists()
