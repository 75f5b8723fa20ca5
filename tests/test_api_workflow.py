"""The acceptance walk of the foundation issue, over HTTP with tokens."""

import pytest

from pingan.cases.models import Case

from .conftest import JPEG, case_body


def _new_case(county, api, **overrides):
    status, data = api("dispatcher").post("/cases", case_body(county, **overrides))
    assert status == 201, data
    return data["number"]


def _to_in_progress(county, api, number):
    d = api("dispatcher")
    d.act(number, "accept")
    data = d.act(number, "dispatch", {"lead_unit": county.town_unit(county.towns[0], "centre").code})
    assert data["status"] == "dispatched"
    api("handler").act(number, "sign")


def test_request_goes_from_intake_to_follow_up(county, api):
    number = _new_case(county, api)
    d, h, sup = api("dispatcher"), api("handler"), api("supervisor")
    assert d.act(number, "accept")["status"] == "accepted"
    data = d.act(number, "dispatch", {})  # lead unit from the routing rules
    assert data["lead_unit"]["code"] == county.town_unit(county.towns[0], "centre").code
    assert "sign" in h.get(f"/cases/{number}")[1]["allowed_actions"]
    assert h.act(number, "sign")["status"] == "in_progress"
    status, att = h.upload(number, JPEG)
    assert status == 201, att
    data = h.act(number, "resolve", {"outcome": "resolved", "summary": "已更换路灯", "evidence": [att["id"]]})
    assert data["status"] == "resolved" and data["check_due"]
    assert sup.act(number, "check_pass", {"note": "现场核实已修复"})["status"] == "closed"
    data = d.act(number, "follow_up", {"satisfaction": "satisfied", "resolved": True, "note": "群众满意"})
    assert data["follow_ups"][0]["satisfaction"] == "satisfied"

    status, events = d.get(f"/cases/{number}/events")
    assert status == 200
    actions = [e["action"] for e in events["items"]]
    assert actions == ["create", "accept", "dispatch", "sign", "attach", "resolve", "check_pass", "follow_up"]
    by_action = {e["action"]: e for e in events["items"]}
    assert by_action["sign"]["actor"] == "handler"
    assert by_action["check_pass"]["actor"] == "supervisor"
    assert (
        by_action["resolve"]["from_status"] == "in_progress"
        and by_action["resolve"]["to_status"] == "resolved"
    )
    assert all(e["at"] for e in events["items"])


def test_failed_check_sends_the_case_back_and_is_counted(county, api):
    number = _new_case(county, api)
    _to_in_progress(county, api, number)
    h, d = api("handler"), api("dispatcher")
    h.act(number, "resolve", {"outcome": "resolved", "summary": "已处理"})
    data = d.act(number, "check_fail", {"reason": "现场仍未修复"})
    assert data["status"] == "in_progress"
    assert data["counts"]["check_fails"] == 1


def test_approved_return_sends_the_case_back_to_accepted(county, api):
    number = _new_case(county, api)
    _to_in_progress(county, api, number)
    api("unit_head").act(number, "request_return", {"reason": "不属于本单位职责"})
    data = api("dispatcher").act(number, "decide_return", {"decision": "approve", "note": "同意退回"})
    assert data["status"] == "accepted"
    assert data["lead_unit"] is None
    assert data["counts"]["returns"] == 1


def test_denied_return_designates_the_unit(county, api):
    number = _new_case(county, api)
    _to_in_progress(county, api, number)
    head = api("unit_head")
    head.act(number, "request_return", {"reason": "不属于本单位职责"})
    api("dispatcher").act(number, "decide_return", {"decision": "deny", "note": "属于本单位职责"})
    status, body = head.post(f"/cases/{number}/actions/request_return", {"reason": "再次申请"})
    assert status == 409 and body["error"]["code"] == "invalid_transition"


def test_handler_of_another_town_sees_nothing_of_the_first(county, api):
    number = _new_case(county, api)
    _to_in_progress(county, api, number)
    other = api("handler2")
    status, body = other.get(f"/cases/{number}")
    assert status == 404 and body["error"]["code"] == "not_found"
    assert other.get(f"/cases/{number}/events")[0] == 404
    assert other.post(f"/cases/{number}/actions/resolve", {"outcome": "resolved", "summary": "x"})[0] == 404
    status, page = other.get("/cases")
    assert status == 200 and page["items"] == []
    assert api("handler").get("/cases")[1]["items"][0]["number"] == number


def test_handler_may_not_dispatch(county, api):
    number = _new_case(county, api)
    api("dispatcher").act(number, "accept")
    status, body = api("handler").post(f"/cases/{number}/actions/dispatch", {})
    # The handler cannot see an undispatched case at all: scope answers first.
    assert status == 404
    api("dispatcher").act(number, "dispatch", {})
    status, body = api("handler").post(f"/cases/{number}/actions/dispatch", {})
    assert status == 403 and body["error"]["code"] == "forbidden"


def test_checking_a_reported_case_is_an_invalid_transition(county, api):
    number = _new_case(county, api)
    status, body = api("dispatcher").post(f"/cases/{number}/actions/check_pass", {})
    assert status == 409 and body["error"]["code"] == "invalid_transition"
    assert "登记" in body["error"]["message"]


def test_resolve_on_reported_is_409_for_a_handler_in_scope(county, api):
    number = _new_case(county, api)
    case = Case.objects.get(number=number)
    case.lead_unit = county.town_unit(county.towns[0], "centre")
    case.save()  # a reported case the handler can see, to reach the state check
    status, body = api("handler").post(
        f"/cases/{number}/actions/resolve", {"outcome": "resolved", "summary": "x"}
    )
    assert status == 409 and body["error"]["code"] == "invalid_transition"


def test_stale_version_is_a_conflict(county, api):
    number = _new_case(county, api)
    d = api("dispatcher")
    d.act(number, "accept", {"version": 1})
    status, body = d.post(f"/cases/{number}/actions/dispatch", {"version": 1})
    assert status == 409 and body["error"]["code"] == "version_conflict"


def test_unknown_action_is_404(county, api):
    number = _new_case(county, api)
    status, body = api("dispatcher").post(f"/cases/{number}/actions/teleport", {})
    assert status == 404 and body["error"]["code"] == "unknown_action"


def test_evidence_is_required_where_the_category_says_so(county, api):
    number = _new_case(county, api, stream="hazard", category="H01", title="商铺消防通道堵塞")
    d = api("dispatcher")
    d.act(number, "accept")
    d.act(number, "dispatch", {"lead_unit": county.town_unit(county.towns[0], "centre").code})
    h = api("handler")
    h.act(number, "sign")
    status, body = h.post(f"/cases/{number}/actions/resolve", {"outcome": "resolved", "summary": "已清理"})
    assert status == 400 and body["error"]["code"] == "evidence_required"


def test_major_hazard_is_listed_on_acceptance(county, api):
    number = _new_case(county, api, stream="hazard", category="H02", title="燃气管道泄漏", severity="major")
    data = api("dispatcher").act(number, "accept")
    assert data["supervision_level"] == "listed"


def test_extension_moves_the_resolve_due(county, api):
    number = _new_case(county, api)
    _to_in_progress(county, api, number)
    before = Case.objects.get(number=number).resolve_due
    new_due = (before.replace(microsecond=0) + __import__("datetime").timedelta(days=3)).isoformat()
    api("handler").act(number, "request_extension", {"reason": "需协调多个部门", "new_due": new_due})
    status, body = api("handler").post(
        f"/cases/{number}/actions/request_extension", {"reason": "再申请", "new_due": new_due}
    )
    assert status == 409 and body["error"]["code"] == "request_pending"
    data = api("unit_head").act(number, "decide_extension", {"decision": "approve"})
    assert Case.objects.get(number=number).resolve_due > before
    assert data["counts"]["extensions"] == 1


def test_listing_filters(county, api):
    first = _new_case(county, api)
    second = _new_case(county, api, stream="dispute", category="D02", title="邻里噪音纠纷")
    d = api("dispatcher")
    d.act(first, "accept")
    town = county.towns[0].code
    items = d.get("/cases", status="accepted", region=town)[1]["items"]
    assert [c["number"] for c in items] == [first]
    assert [c["number"] for c in d.get("/cases", stream="dispute")[1]["items"]] == [second]
    assert [c["number"] for c in d.get("/cases", q="噪音")[1]["items"]] == [second]
    assert d.get("/cases", region=county.towns[1].code)[1]["items"] == []
    assert {c["number"] for c in d.get("/cases", status="reported,accepted")[1]["items"]} == {first, second}


def test_keyset_pagination_walks_every_case_once(county, api):
    numbers = {_new_case(county, api, title=f"事项{i}") for i in range(5)}
    d = api("dispatcher")
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = d.get("/cases", **params)[1]
        seen += [c["number"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(numbers) and len(seen) == 5
    assert d.get("/cases", cursor="garbage!")[0] == 400
    assert d.get("/cases", limit=500)[0] == 400


@pytest.mark.parametrize("sort", ["resolve_due", "-resolve_due", "reported_at", "-reported_at"])
def test_sorted_keyset_pages_visit_every_case_once_in_order(county, api, sort):
    d = api("dispatcher")
    numbers = [_new_case(county, api, title=f"排序{i}") for i in range(5)]
    for n in numbers[:3]:
        d.act(n, "accept")  # three resolve clocks; two cases without one sort last either way
    seen, cursor = [], None
    while True:
        page = d.get("/cases", sort=sort, limit=2, **({"cursor": cursor} if cursor else {}))[1]
        seen += page["items"]
        if not (cursor := page["next_cursor"]):
            break
    assert sorted(c["number"] for c in seen) == sorted(numbers)
    column = sort.lstrip("-")
    keyed = [c[column] for c in seen if c[column] is not None]
    assert keyed == sorted(keyed, reverse=sort.startswith("-"))
    assert all(c[column] is None for c in seen[len(keyed) :])
    assert d.get("/cases", sort="title")[0] == 400


def test_attachments_are_served_only_within_scope(county, api):
    number = _new_case(county, api)
    _to_in_progress(county, api, number)
    h = api("handler")
    att = h.upload(number, JPEG)[1]
    r = h.client.get(f"/api/v1/cases/{number}/attachments/{att['id']}")
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == JPEG
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Disposition"].startswith("attachment")
    other = api("handler2")
    assert other.client.get(f"/api/v1/cases/{number}/attachments/{att['id']}").status_code == 404


def test_uploads_are_checked_by_content(county, api):
    number = _new_case(county, api)
    _to_in_progress(county, api, number)
    status, body = api("handler").upload(number, b"<html><script>alert(1)</script></html>", name="x.jpg")
    assert status == 400 and body["error"]["code"] == "unsupported_file"
    assert "JPEG" in body["error"]["message"]


def test_allowed_actions_follow_pending_requests(county, api):
    number = _new_case(county, api)
    _to_in_progress(county, api, number)
    h, head = api("handler"), api("unit_head")
    assert "request_extension" in h.get(f"/cases/{number}")[1]["allowed_actions"]
    assert "decide_extension" not in head.get(f"/cases/{number}")[1]["allowed_actions"]
    status, body = head.post(f"/cases/{number}/actions/decide_extension", {"decision": "approve"})
    assert status == 409 and body["error"]["message"] == "没有待审批的申请。"
    due = "2030-01-01T17:30:00+08:00"
    allowed = h.act(number, "request_extension", {"reason": "需调取材料", "new_due": due})["allowed_actions"]
    assert "request_extension" not in allowed
    assert "decide_extension" in head.get(f"/cases/{number}")[1]["allowed_actions"]
