"""调解协议的履行 (GOVERNANCE §11): record_performance, the 司法确认 record, the 调解协议书 that shows both,
the deadline reminders of the sweep, and no archive while a deadline runs with nothing recorded."""

import io
from datetime import timedelta

from django.test import override_settings
from django.utils import timezone
from docx import Document

from pingan.cases.clocks import LOCAL
from pingan.cases.models import Agreement, CaseEvent
from pingan.cases.sweep import sweep
from pingan.notices.delivery import notify_events
from pingan.notices.models import Notification

from .conftest import Api, case_body

TODAY = timezone.now().astimezone(LOCAL).date()


def agreed(county, *, due_in_days: int | None = 10, closed: bool = True) -> str:
    """A dispute resolved with a signed agreement due in `due_in_days` (none: performed at once)."""
    d, h = Api(county.users["dispatcher"]), Api(county.users["handler"])
    number = d.post("/cases", case_body(county))[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {"lead_unit": county.town_unit(county.towns[0], "centre").code})
    h.act(number, "sign")
    agreement: dict = {"terms": "王五于期限内赔偿李四修车费 800 元"}
    if due_in_days is not None:
        agreement["performance_due"] = str(TODAY + timedelta(days=due_in_days))
    h.act(number, "resolve", {"outcome": "resolved", "summary": "调解成功", "agreement": agreement})
    if closed:
        Api(county.users["supervisor"]).act(number, "check_pass")
    return number


def agreement(number) -> Agreement:
    return Agreement.objects.get(case__number=number)


def test_the_handler_records_performance_and_the_case_shows_it(county, web):
    number = agreed(county)
    h = Api(county.users["handler"])
    status, body = h.post(f"/cases/{number}/actions/record_performance", {"state": "partly"})
    assert (status, body["error"]["code"]) == (400, "invalid") and "note" in body["error"]["fields"]
    status, body = h.post(f"/cases/{number}/actions/record_performance", {"state": "half"})
    assert status == 400 and "state" in body["error"]["fields"]
    data = h.act(number, "record_performance", {"state": "partly", "note": "已付 500 元，余款月底前付清"})
    a = data["agreement"]
    assert a["performance"] == "partly" and a["performance_label"] == "部分履行"
    assert a["performance_note"] == "已付 500 元，余款月底前付清" and a["performance_recorded_at"]
    # A later record replaces it; each is an event with what it replaced.
    Api(county.users["dispatcher"]).act(number, "record_performance", {"state": "performed"})
    assert agreement(number).performance == "performed"
    events = CaseEvent.objects.filter(case__number=number, action="record_performance").order_by("id")
    assert [(e.data["state"], e.data["previous"], e.data["late"]) for e in events] == [
        ("partly", "", False),
        ("performed", "partly", False),
    ]
    section = web("handler").get(f"/cases/{number}/").content.decode().split('id="h-agreement"')[1]
    assert 'data-performance="performed"' in section and "已履行" in section.split("</section>")[0]


def test_who_may_record_and_on_which_cases(county):
    number = agreed(county)
    for username in ("supervisor", "leader", "grid_worker"):
        status, body = Api(county.users[username]).post(
            f"/cases/{number}/actions/record_performance", {"state": "performed"}
        )
        assert status in (403, 404), username
    plain = Api(county.users["dispatcher"]).post("/cases", case_body(county))[1]["number"]
    status, body = Api(county.users["dispatcher"]).post(
        f"/cases/{plain}/actions/record_performance", {"state": "performed"}
    )
    assert (status, body["error"]["code"]) == (409, "invalid_transition")
    resolved = agreed(county, closed=False)  # the deadline may come before the check
    assert (
        "record_performance" in Api(county.users["handler"]).get(f"/cases/{resolved}")[1]["allowed_actions"]
    )


def test_archive_waits_for_performance_until_the_deadline_passes(county):
    d = Api(county.users["dispatcher"])
    number = agreed(county, due_in_days=10)
    status, body = d.post(f"/cases/{number}/actions/archive", {})
    assert (status, body["error"]["code"]) == (409, "performance_pending")
    assert "履行期限" in body["error"]["message"] and "登记履行情况" in body["error"]["message"]
    assert "archive" not in d.get(f"/cases/{number}")[1]["allowed_actions"]
    Api(county.users["handler"]).act(number, "record_performance", {"state": "performed"})
    assert d.act(number, "archive")["status"] == "archived"
    # A deadline that has passed no longer holds the archive: the reminder has told the handler.
    passed = agreed(county, due_in_days=10)
    Agreement.objects.filter(case__number=passed).update(performance_due=TODAY - timedelta(days=1))
    assert d.act(passed, "archive")["status"] == "archived"
    # What the parties did is still recorded once the case is archived.
    data = Api(county.users["handler"]).act(
        passed, "record_performance", {"state": "not", "note": "拒不履行"}
    )
    assert data["status"] == "archived" and data["agreement"]["performance"] == "not"
    # Performed at once (no deadline): nothing to wait for.
    assert d.act(agreed(county, due_in_days=None), "archive")["status"] == "archived"


def test_judicial_confirmation_is_recorded_with_court_and_result(county, web):
    number = agreed(county)
    h = Api(county.users["handler"])
    url = f"/cases/{number}/actions/record_judicial_confirmation"
    tomorrow, today = str(TODAY + timedelta(days=1)), str(TODAY)
    status, body = h.post(url, {"applied_on": tomorrow, "court": "示范县人民法院"})
    assert status == 400 and body["error"]["fields"] == {"applied_on": "申请日期不能晚于今天"}
    status, body = h.post(url, {"applied_on": today, "court": "示范县人民法院", "result": "confirmed"})
    assert status == 400 and body["error"]["fields"] == {"result_on": "已有结果的，请填写结果日期"}
    status, body = h.post(url, {"applied_on": today, "court": "", "result_on": today})
    assert status == 400 and "court" in body["error"]["fields"]
    data = h.act(number, "record_judicial_confirmation", {"applied_on": today, "court": "示范县人民法院"})
    c = data["agreement"]["confirmation"]
    assert c == {
        "applied_on": today,
        "court": "示范县人民法院",
        "result": "",
        "result_label": "审查中",
        "result_on": None,
    }
    assert data["agreement"]["judicial_confirmation"] is True
    result = {"applied_on": today, "court": "示范县人民法院", "result": "confirmed", "result_on": today}
    data = h.act(number, "record_judicial_confirmation", result)
    assert data["agreement"]["confirmation"]["result_label"] == "确认有效"
    assert CaseEvent.objects.filter(case__number=number, action="record_judicial_confirmation").count() == 2
    section = web("handler").get(f"/cases/{number}/").content.decode().split('id="h-agreement"')[1]
    section = section.split("</section>")[0]
    assert (
        "示范县人民法院" in section and "确认有效" in section and 'data-confirmation="confirmed"' in section
    )


def _docx_text(raw: bytes) -> str:
    doc = Document(io.BytesIO(raw))
    return "\n".join(
        [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells]
    )


def test_the_agreement_document_shows_deadline_performance_and_confirmation(county, web):
    number = agreed(county, due_in_days=10)
    client = web("handler")
    text = _docx_text(client.get(f"/cases/{number}/documents/agreement.docx").content)
    due = TODAY + timedelta(days=10)
    assert f"履行期限：{due:%Y年%m月%d日}" in text and "尚未登记履行情况" in text
    assert "当事人未申请司法确认" in text
    h = Api(county.users["handler"])
    h.act(number, "record_performance", {"state": "partly", "note": "已付 500 元"})
    result = {
        "applied_on": str(TODAY),
        "court": "示范县人民法院",
        "result": "rejected",
        "result_on": str(TODAY),
    }
    h.act(number, "record_judicial_confirmation", result)
    text = _docx_text(client.get(f"/cases/{number}/documents/agreement.docx").content)
    assert f"部分履行（{TODAY:%Y年%m月%d日} 登记）：已付 500 元" in text
    assert f"{TODAY:%Y年%m月%d日} 向示范县人民法院申请司法确认，{TODAY:%Y年%m月%d日} 结果：驳回申请。" in text


def _reminders(number):
    return list(
        CaseEvent.objects.filter(
            case__number=number, action__in=("performance_due_soon", "performance_late")
        ).order_by("id")
    )


@override_settings(PINGAN_PERFORMANCE_REMIND_DAYS=3)
def test_the_sweep_reminds_the_handler_before_and_after_the_deadline_once_each(county):
    number = agreed(county, due_in_days=10)
    due = TODAY + timedelta(days=10)
    at = timezone.now()
    assert sweep(now=at + timedelta(days=6))["performance_due_soon"] == 0  # four days before: not yet
    totals = sweep(now=at + timedelta(days=7))  # three days before
    assert (totals["performance_due_soon"], totals["performance_late"]) == (1, 0)
    assert sweep(now=at + timedelta(days=8))["performance_due_soon"] == 0  # once
    assert sweep(now=at + timedelta(days=10))["performance_late"] == 0  # the deadline day itself
    assert sweep(now=at + timedelta(days=11))["performance_late"] == 1  # the day it has passed
    assert sweep(now=at + timedelta(days=12))["performance_late"] == 0  # once
    soon, late = _reminders(number)
    assert soon.data == {"due": str(due)} and late.data == {"due": str(due)}
    assert soon.from_status == soon.to_status == "closed"
    notify_events.call([soon.pk, late.pk])  # what `pingan worker` does with them
    told = list(
        Notification.objects.filter(case__number=number).values_list("recipient__username", "message")
    )
    assert sorted(u for u, _ in told) == ["handler", "handler"]
    assert any("履行期限将到" in m for _, m in told) and any("履行期限已过" in m for _, m in told)


def test_recorded_performance_or_a_new_deadline_settle_the_reminders(county):
    at = timezone.now()
    done = agreed(county, due_in_days=2)
    Api(county.users["handler"]).act(done, "record_performance", {"state": "performed"})
    sweep(now=at + timedelta(days=5))
    assert not _reminders(done)
    # Already past when first seen: only the second reminder. A deadline moved by a new resolution is
    # reminded of again.
    moved = agreed(county, due_in_days=1)
    sweep(now=at + timedelta(days=3))
    assert [e.action for e in _reminders(moved)] == ["performance_late"]
    Agreement.objects.filter(case__number=moved).update(performance_due=TODAY + timedelta(days=20))
    sweep(now=at + timedelta(days=22))
    assert [e.action for e in _reminders(moved)] == ["performance_late", "performance_late"]
