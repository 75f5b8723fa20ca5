"""交办时限: a dispatch may give the lead unit less time than the category allows, and that time is the
case's resolve clock everywhere (overdue filter, sweep, rows); a return gives the time back."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from pingan.cases.models import Case, CaseEvent
from pingan.cases.sweep import sweep

from .conftest import Api, case_body

LOCAL = ZoneInfo("Asia/Shanghai")


def _accepted_dispute(county) -> tuple[Api, str]:
    """A neighbours' dispute (30 natural days to resolve), accepted by the centre."""
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county, stream="dispute", category="D02", title="邻里排水纠纷"))[1][
        "number"
    ]
    d.act(number, "accept")
    return d, number


def _day(days_ahead: int) -> str:
    return (timezone.now().astimezone(LOCAL).date() + timedelta(days=days_ahead)).isoformat()


def _end_of(day: str) -> datetime:
    return datetime.combine(datetime.fromisoformat(day).date(), time(23, 59, 59), LOCAL)


def test_a_due_date_becomes_the_resolve_clock_and_the_sweep_marks_it_overdue(county):
    d, number = _accepted_dispute(county)
    limit = Case.objects.get(number=number).resolve_due
    day = _day(5)
    d.act(number, "dispatch", {"due": day, "note": "5 日内反馈"})
    case = Case.objects.get(number=number)
    assert case.status == "dispatched" and case.resolve_due == _end_of(day) < limit
    event = CaseEvent.objects.get(case=case, action="dispatch")
    assert event.data["due"] and datetime.fromisoformat(event.data["limit_due"]) == limit

    Api(county.users["handler"]).act(number, "sign")  # only the resolve clock runs from here
    due = _end_of(day)
    assert not Case.objects.overdue(now=due - timedelta(minutes=1)).filter(number=number).exists()
    assert sweep(now=due - timedelta(minutes=1))["marked"] == 0
    assert Case.objects.overdue(now=due + timedelta(minutes=1)).filter(number=number).exists()
    assert sweep(now=due + timedelta(minutes=1))["marked"] == 1
    mark = CaseEvent.objects.get(case=case, action="overdue")
    assert mark.data["step"] == "resolve" and datetime.fromisoformat(mark.data["due"]) == due


def test_a_due_time_with_its_zone_is_taken_as_given(county):
    d, number = _accepted_dispute(county)
    due = (
        (timezone.now() + timedelta(days=3))
        .astimezone(LOCAL)
        .replace(hour=17, minute=30, second=0, microsecond=0)
    )
    d.act(number, "dispatch", {"due": due.isoformat()})
    assert Case.objects.get(number=number).resolve_due == due
    assert d.get(f"/cases/{number}")[1]["resolve_due"].startswith(due.date().isoformat())


def test_a_due_later_than_the_handling_period_or_in_the_past_is_refused(county):
    d, number = _accepted_dispute(county)
    limit = Case.objects.get(number=number).resolve_due
    too_late = d.act(number, "dispatch", {"due": _day(45)}, expect=400)["error"]
    assert too_late["code"] == "due_too_late" and "due" in too_late["fields"]
    assert f"{limit.astimezone(LOCAL):%Y-%m-%d %H:%M}" in too_late["message"]
    past = d.act(number, "dispatch", {"due": _day(-1)}, expect=400)["error"]
    assert past["code"] == "due_in_past" and "晚于现在" in past["message"]
    bad = d.act(number, "dispatch", {"due": "下周五"}, expect=400)["error"]
    assert bad["code"] == "invalid" and "due" in bad["fields"]
    naive = d.act(number, "dispatch", {"due": f"{_day(3)}T12:00:00"}, expect=400)["error"]
    assert "时区" in naive["fields"]["due"]
    case = Case.objects.get(number=number)
    assert case.status == "accepted" and case.resolve_due == limit
    assert not case.events.filter(action="dispatch").exists()


def test_an_approved_return_gives_back_the_time_the_due_took_off(county):
    d, number = _accepted_dispute(county)
    limit = Case.objects.get(number=number).resolve_due
    d.act(number, "dispatch", {"due": _day(5)})
    Api(county.users["unit_head"]).act(number, "request_return", {"reason": "不属本所职责"})
    d.act(number, "decide_return", {"decision": "approve"})
    case = Case.objects.get(number=number)
    assert case.status == "accepted" and case.resolve_due == limit
    d.act(number, "dispatch", {})  # a dispatch without a due keeps the full period
    assert Case.objects.get(number=number).resolve_due == limit


def test_the_dispatch_form_takes_a_due_date(county, web):
    _, number = _accepted_dispute(county)
    page = web("dispatcher")
    html = page.get(f"/cases/{number}/").content.decode()
    assert 'type="date" name="due"' in html and "本案办理时限为" in html
    unit = re.search(r'<option value="([^"]+)" selected>[^<]*（建议）', html).group(1)

    r = page.post(f"/cases/{number}/actions/dispatch/", {"lead_unit": unit, "due": _day(45)})
    html = r.content.decode()
    assert r.status_code == 400 and "不能晚于" in html
    assert re.search(
        r'name="due" value="[\d-]+" aria-invalid="true" aria-describedby="dispatch-due-error"', html
    )
    assert 'id="dispatch-due-error"' in html

    day = _day(5)
    assert page.post(f"/cases/{number}/actions/dispatch/", {"lead_unit": unit, "due": day}).status_code == 302
    assert Case.objects.get(number=number).resolve_due == _end_of(day)
