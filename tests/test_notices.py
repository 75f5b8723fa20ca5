"""Notices people read (DESIGN §7): the header count, the 消息 page and the API, computed by the worker
from case events and never sent to anyone who cannot see the case."""

import re

import pytest
from django.core.management import call_command

from pingan.cases.models import Case, CaseEvent
from pingan.notices.delivery import notify_events
from pingan.notices.models import Notification

from .conftest import case_body


def _deliver(number: str, *actions: str) -> None:
    """What `pingan worker` does with the queued events of a case (the worker itself is tested below)."""
    ids = list(CaseEvent.objects.filter(case__number=number, action__in=actions).values_list("pk", flat=True))
    notify_events.call(ids)


def _dispatched(county, api) -> str:
    d = api("dispatcher")
    number = d.post("/cases", case_body(county))[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {"lead_unit": county.town_unit(county.towns[0], "centre").code})
    return number


def _unread_in_header(client) -> int:
    match = re.search(r'class="bell-count">(\d+)<', client.get("/").content.decode())
    return int(match.group(1)) if match else 0


# The worker closes its connections, so this test commits for real (and restores the migrated
# reference data afterwards).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_dispatch_reaches_the_lead_units_handler_through_the_worker(county, api, web):
    number = _dispatched(county, api)
    handler = web("handler")
    assert _unread_in_header(handler) == 0  # queued with the event, not yet delivered
    call_command("worker", "--batch")
    assert _unread_in_header(handler) == 1
    page = handler.get("/notices/").content.decode()
    assert "新分派案件待签收" in page and number in page
    status, body = api("handler").get("/notifications", unread="true")
    assert status == 200 and body["unread"] == 1
    [item] = body["items"]
    assert item["case"] == number and item["link"] == f"/cases/{number}/" and not item["read"]
    assert not Notification.objects.filter(recipient=county.users["handler2"]).exists()


def test_opening_a_notice_marks_it_read_and_leads_to_its_case(county, api, web):
    number = _dispatched(county, api)
    _deliver(number, "dispatch")
    handler = web("handler")
    notice = Notification.objects.get(recipient=county.users["handler"])
    r = handler.post(f"/notices/{notice.pk}/open/")
    assert r.status_code == 302 and r["Location"] == f"/cases/{number}/"
    assert _unread_in_header(handler) == 0
    assert web("handler2").post(f"/notices/{notice.pk}/open/").status_code == 404  # not theirs


def test_the_api_marks_notices_read_by_id_or_all(county, api):
    number = _dispatched(county, api)
    h = api("handler")
    h.act(number, "sign")
    h.act(number, "request_extension", {"reason": "需调取材料", "new_due": "2099-01-01T00:00:00+08:00"})
    api("unit_head").act(number, "decide_extension", {"decision": "deny", "note": "请按期办结"})
    _deliver(number, "dispatch", "decide_extension")
    items = h.get("/notifications")[1]["items"]
    assert [i["message"].split("：")[0] for i in items] == ["您的延期申请未同意", "新分派案件待签收"]
    status, body = h.post("/notifications/read", {"ids": [items[0]["id"]]})
    assert status == 200 and body == {"marked": 1, "unread": 1}
    assert h.post("/notifications/read", {"all": True})[1] == {"marked": 1, "unread": 0}
    status, body = h.post("/notifications/read", {})
    assert status == 400 and "ids" in body["error"]["fields"]
    assert h.get("/notifications", cursor="x")[0] == 400


def test_notices_page_newest_first_with_a_cursor(county, api):
    number = _dispatched(county, api)
    for i in range(3):
        Notification.objects.create(
            recipient=county.users["handler"],
            case=Case.objects.get(number=number),
            kind="t",
            message=f"第{i}条",
        )
    h = api("handler")
    first = h.get("/notifications", limit=2)[1]
    second = h.get("/notifications", limit=2, cursor=first["next_cursor"])[1]
    assert [i["message"] for i in first["items"] + second["items"]] == ["第2条", "第1条", "第0条"]
    assert second["next_cursor"] is None


def test_a_decided_request_is_told_to_whoever_asked_while_they_still_see_the_case(county, api):
    number = _dispatched(county, api)
    api("handler").act(number, "sign")
    api("unit_head").act(number, "request_return", {"reason": "不属于本单位职责"})
    api("dispatcher").act(number, "decide_return", {"decision": "deny", "note": "属本单位职责"})
    _deliver(number, "decide_return")
    [notice] = Notification.objects.filter(kind="decide_return")
    assert notice.recipient.username == "unit_head" and notice.message.startswith("您的退单申请未同意")
    # Approved, the case leaves the unit: its head no longer sees it, so is told nothing about it.
    other = _dispatched(county, api)
    api("unit_head").act(other, "request_return", {"reason": "不属于本单位职责"})
    api("dispatcher").act(other, "decide_return", {"decision": "approve", "note": "另行分派"})
    _deliver(other, "decide_return")
    assert not Notification.objects.filter(case__number=other).exists()


def test_escalations_notify_the_role_of_their_level(county, api, settings):
    from datetime import timedelta

    from django.utils import timezone

    from pingan.cases.sweep import sweep

    settings.PINGAN_ESCALATION_HOURS = 24
    number = _dispatched(county, api)
    Case.objects.filter(number=number).update(sign_due=timezone.now() - timedelta(hours=30))
    sweep()
    _deliver(number, "escalate")
    told = {
        (n.recipient.username, n.message.split("：")[0]) for n in Notification.objects.filter(kind="escalate")
    }
    assert told == {("handler", "超期提醒（第1级，承办人）"), ("unit_head", "超期提醒（第2级，单位负责人）")}


def test_a_leader_never_hears_of_a_tip_and_the_custodian_decides_its_suspension(county, api, web):
    d, h = api("dispatcher"), api("handler")
    village = county.villages[county.towns[0].code][0]
    body = {"stream": "tip", "title": "有人在村里放高利贷", "region": village.code, "channel": "letter"}
    number = d.post("/cases", body)[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {"lead_unit": county.town_unit(county.towns[0], "centre").code})
    h.act(number, "sign")
    h.act(number, "request_suspension", {"reason": "等待公安机关调查结果"})
    _deliver(number, "request_suspension")
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"custodian"}
    leader = api("leader")
    assert leader.get(f"/cases/{number}")[0] == 404
    assert number not in web("leader").get("/cases/inbox/").content.decode()
    inbox = web("custodian").get("/cases/inbox/").content.decode()
    assert number in inbox and "审批事项" in inbox
    assert leader.post(f"/cases/{number}/actions/decide_suspension", {"decision": "approve"})[0] == 404
    assert api("custodian").act(number, "decide_suspension", {"decision": "approve"})["status"] == "suspended"
    assert "resume" in api("custodian").get(f"/cases/{number}")[1]["allowed_actions"]


def test_a_notice_is_hidden_once_its_case_is_out_of_sight(county, api):
    """An exclusion set after the notice was written takes the notice (and the tip's title) away."""
    d = api("dispatcher")
    village = county.villages[county.towns[0].code][0]
    body = {"stream": "tip", "title": "某单位人员收受好处", "region": village.code, "channel": "letter"}
    number = d.post("/cases", body)[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {"lead_unit": county.town_unit(county.towns[1], "centre").code})
    _deliver(number, "dispatch")
    h2 = api("handler2")
    assert h2.get("/notifications")[1]["unread"] == 1
    d.act(number, "exclude", {"users": ["handler2"], "reason": "线索涉及本人"})
    assert h2.get("/notifications")[1] == {"items": [], "next_cursor": None, "unread": 0}


def test_granting_custodian_or_admin_tells_the_auditors(county, web, django_capture_on_commit_callbacks):
    from pingan.accounts.actions import grant_role
    from pingan.regions.models import Region

    county_region = Region.objects.get(code=county.code)
    with django_capture_on_commit_callbacks(execute=True):
        grant_role(county.users["leader"], "custodian", region=county_region, by=county.users["admin"])
        grant_role(county.users["leader"], "supervisor", region=county_region, by=county.users["admin"])
    [notice] = Notification.objects.filter(kind="role_granted")
    assert (
        notice.recipient.username == "auditor" and "陈县长（leader）被授予“身份保管人”角色" in notice.message
    )
    page = web("auditor").get("/notices/").content.decode()
    assert "身份保管人" in page and "褚管理" in page
    r = web("auditor").post(f"/notices/{notice.pk}/open/")
    assert r["Location"] == "/audit/?action=role.grant"
    assert web("auditor").get(r["Location"]).status_code == 200


def test_a_reader_without_grants_counts_only_notices_without_a_case(county, api):
    """A user who sees no case at all (no grants) still has the notices that name no case; the visibility
    check looks up each notice's own case, so the count stays right when the reader sees nothing."""
    from pingan.accounts.models import User
    from pingan.notices.inbox import notices_of, unread_count

    number = api("dispatcher").post("/cases", case_body(county))[1]["number"]
    case = Case.objects.get(number=number)
    nobody = User.objects.create_user("no_grants")
    Notification.objects.create(recipient=nobody, kind="note", message="系统通知")
    Notification.objects.create(recipient=nobody, kind="dispatch", message="案件通知", case=case)
    assert unread_count(nobody) == 1
    dispatcher = User.objects.get(username="dispatcher")
    Notification.objects.create(recipient=dispatcher, kind="dispatch", message="案件通知", case=case)
    assert unread_count(dispatcher) == 1
    assert "EXISTS" in str(notices_of(dispatcher).query).upper()
