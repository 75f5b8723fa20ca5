"""督办 records (GOVERNANCE §4): supervise, lift, progress reports, and missed reports marked by the sweep."""

from datetime import timedelta

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pingan.cases.actions import perform
from pingan.cases.models import Case, CaseEvent, WorkRecord
from pingan.cases.sweep import sweep
from pingan.notices.delivery import notify_events
from pingan.notices.models import Notification
from pingan.supervision.models import ProgressReport, Supervision
from pingan.supervision.schedule import report_due

from .conftest import Api, case_body

LISTED = {"level": "listed", "requirement": "两周内化解到位，每周报告进展", "report_every_days": 7}


def in_progress(county) -> str:
    """A case of the first town's 综治中心, signed by its handler."""
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county))[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {"lead_unit": county.town_unit(county.towns[0], "centre").code})
    Api(county.users["handler"]).act(number, "sign")
    return number


def record(number: str) -> Supervision:
    return Supervision.objects.select_related("issued_by", "lifted_by").get(case__number=number)


def queued_events() -> set[int]:
    """The events whose notices wait on the task queue for `pingan worker`."""
    tasks = DBTaskResult.objects.filter(task_path__endswith="notify_events")
    return {pk for t in tasks for pk in t.args_kwargs["args"][0]}


def late_marks(number: str) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case__number=number, action="progress_late").order_by("id"))


def test_a_leader_lists_a_case_and_the_record_keeps_issuer_requirement_and_due(county):
    number = in_progress(county)
    data = Api(county.users["leader"]).act(number, "supervise", {**LISTED, "deadline": "2099-12-31"})
    assert data["supervision_level"] == "listed"
    s = record(number)
    assert (s.level, s.issued_by.username, s.requirement, s.report_every_days) == (
        "listed", "leader", "两周内化解到位，每周报告进展", 7
    )  # fmt: skip
    assert str(s.deadline) == "2099-12-31" and s.lifted_at is None
    assert s.next_report_due == report_due(s.issued_at, 7)
    event = CaseEvent.objects.get(case__number=number, action="supervise")
    assert event.actor == "leader" and event.data["level"] == "listed" and event.data["supervision"] == s.pk


def test_report_due_counts_calendar_days_and_moves_off_a_rest_day(db):  # the calendar is in the database
    local = timezone.get_default_timezone()
    friday = timezone.datetime(2026, 3, 6, 10, 0, tzinfo=local)  # 7 days on: Friday 13th, a working day
    assert report_due(friday, 7).isoformat() == "2026-03-13T23:59:59+08:00"
    assert report_due(friday, 8).isoformat() == "2026-03-16T23:59:59+08:00"  # Saturday → Monday


def test_only_leaders_and_supervisors_supervise(county):
    number = in_progress(county)
    for username in ("handler", "dispatcher", "unit_head"):
        status, body = Api(county.users[username]).post(f"/cases/{number}/actions/supervise", LISTED)
        assert status == 403 and body["error"]["code"] == "forbidden", username
    Api(county.users["supervisor"]).act(number, "supervise", LISTED)
    assert record(number).issued_by.username == "supervisor"


def test_supervise_explains_bad_fields_in_chinese(county):
    number = in_progress(county)
    leader = Api(county.users["leader"])
    status, body = leader.post(f"/cases/{number}/actions/supervise", {"level": "listed"})
    assert status == 400 and body["error"]["code"] == "invalid"
    assert body["error"]["fields"] == {"requirement": "此项必填", "report_every_days": "此项必填"}
    status, body = leader.post(
        f"/cases/{number}/actions/supervise", {**LISTED, "level": "urgent", "report_every_days": 0}
    )
    assert status == 400 and "可选" in body["error"]["fields"]["level"]
    assert body["error"]["fields"]["report_every_days"] == "不能小于 1"
    status, body = leader.post(f"/cases/{number}/actions/supervise", {**LISTED, "deadline": "2020-01-01"})
    assert (
        status == 400 and body["error"]["code"] == "deadline_passed" and "deadline" in body["error"]["fields"]
    )
    assert not Supervision.objects.exists() and Case.objects.get(number=number).supervision_level == ""


def test_supervising_again_raises_routine_to_listed_in_the_same_record(county):
    number = in_progress(county)
    Api(county.users["supervisor"]).act(
        number, "supervise", {"level": "routine", "requirement": "加快办理", "report_every_days": 14}
    )
    first_due = record(number).next_report_due
    Api(county.users["leader"]).act(number, "supervise", LISTED)
    s = record(number)  # still one record: get() would raise on two
    assert (s.level, s.issued_by.username, s.report_every_days) == ("listed", "leader", 7)
    assert s.next_report_due < first_due  # the shorter interval applies at once
    assert Case.objects.get(number=number).supervision_level == "listed"
    assert CaseEvent.objects.filter(action="supervise").last().data["previous"] == "routine"


def test_a_report_by_its_due_is_on_time_and_moves_the_due(county):
    number = in_progress(county)
    t0 = timezone.now() + timedelta(minutes=1)
    perform(county.users["leader"], number, "supervise", LISTED, now=t0)
    t1 = t0 + timedelta(days=3)
    perform(county.users["handler"], number, "report_progress", {"text": "已约双方调解一次"}, now=t1)
    s = record(number)
    assert s.next_report_due == report_due(t1, 7) and s.last_report_at == t1
    event = CaseEvent.objects.get(case__number=number, action="report_progress")
    assert event.data["on_time"] is True and event.actor == "handler"
    work = WorkRecord.objects.get(case__number=number)
    assert (work.kind, work.content, work.author.username) == ("progress", "已约双方调解一次", "handler")
    assert ProgressReport.objects.get().on_time is True and not late_marks(number)


def test_a_late_report_is_not_on_time_and_its_missed_cycle_is_marked_once(county):
    number = in_progress(county)
    t0 = timezone.now() + timedelta(minutes=1)
    perform(county.users["leader"], number, "supervise", LISTED, now=t0)
    due = record(number).next_report_due
    late = due + timedelta(days=2)  # before any sweep noticed
    perform(county.users["handler"], number, "report_progress", {"text": "补报进展"}, now=late)
    event = CaseEvent.objects.get(case__number=number, action="report_progress")
    assert event.data["on_time"] is False
    [mark] = late_marks(number)
    assert mark.actor == "system" and mark.data["due"].startswith(due.isoformat()[:19])
    assert record(number).next_report_due == report_due(late, 7) and record(number).missed_since is None
    assert sweep(now=late + timedelta(hours=1))["progress_late"] == 0
    assert mark.pk not in queued_events()  # nobody is chased for a report that is in


def test_a_report_after_a_marked_miss_is_late_then_the_next_one_is_on_time(county):
    number = in_progress(county)
    t0 = timezone.now() + timedelta(minutes=1)
    perform(county.users["leader"], number, "supervise", LISTED, now=t0)
    swept = record(number).next_report_due + timedelta(hours=1)
    assert sweep(now=swept)["progress_late"] == 1
    perform(
        county.users["handler"], number, "report_progress", {"text": "迟报"}, now=swept + timedelta(hours=1)
    )
    perform(
        county.users["handler"], number, "report_progress", {"text": "按时"}, now=swept + timedelta(days=2)
    )
    flags = [e.data["on_time"] for e in CaseEvent.objects.filter(action="report_progress").order_by("id")]
    assert flags == [False, True] and len(late_marks(number)) == 1


def test_the_sweep_marks_each_missed_cycle_once_and_tells_the_handler_and_unit_head(county):
    number = in_progress(county)
    t0 = timezone.now() + timedelta(minutes=1)
    perform(county.users["leader"], number, "supervise", LISTED, now=t0)
    first_due = record(number).next_report_due
    assert sweep(now=first_due - timedelta(minutes=1))["progress_late"] == 0
    now = first_due + timedelta(hours=2)
    assert sweep(now=now)["progress_late"] == 1
    assert sweep(now=now)["progress_late"] == 0  # the same cycle is not marked twice
    [mark] = late_marks(number)
    assert mark.data["level"] == "listed" and mark.from_status == mark.to_status == "in_progress"
    s = record(number)
    assert s.next_report_due == report_due(first_due, 7) and s.missed_since == first_due
    assert mark.pk in queued_events()
    notify_events.call([mark.pk])  # what `pingan worker` does with it
    told = set(
        Notification.objects.filter(kind="progress_late").values_list("recipient__username", flat=True)
    )
    assert told == {"handler", "unit_head"}
    assert "督办案件逾期未报告办理进展" in Notification.objects.filter(kind="progress_late").first().message
    # Two more cycles missed while no sweep ran: each is marked, once.
    later = s.next_report_due + timedelta(days=8)
    assert sweep(now=later)["progress_late"] == 2 and sweep(now=later)["progress_late"] == 0


def test_no_report_is_owed_while_the_case_waits_for_dispatch(county):
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county))[1]["number"]
    d.act(number, "accept")
    t0 = timezone.now() + timedelta(minutes=1)
    perform(county.users["leader"], number, "supervise", LISTED, now=t0)
    due = record(number).next_report_due
    assert sweep(now=due + timedelta(days=1))["progress_late"] == 0
    assert record(number).next_report_due > due + timedelta(days=1) and not late_marks(number)


def test_only_the_lead_units_handler_reports_and_only_on_a_supervised_case(county):
    number = in_progress(county)
    handler = Api(county.users["handler"])
    status, body = handler.post(f"/cases/{number}/actions/report_progress", {"text": "进展"})
    assert status == 409 and body["error"]["code"] == "invalid_transition"
    Api(county.users["leader"]).act(number, "supervise", LISTED)
    status, body = Api(county.users["unit_head"]).post(
        f"/cases/{number}/actions/report_progress", {"text": "x"}
    )
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = Api(county.users["handler2"]).post(
        f"/cases/{number}/actions/report_progress", {"text": "x"}
    )
    assert status == 404
    status, body = handler.post(f"/cases/{number}/actions/report_progress", {"text": "  "})
    assert status == 400 and body["error"]["fields"] == {"text": "不能为空"}
    assert (
        "report_progress"
        in handler.act(number, "report_progress", {"text": "已走访当事人"})["allowed_actions"]
    )


def test_lifting_ends_the_record_and_clears_the_flag(county):
    number = in_progress(county)
    leader = Api(county.users["leader"])
    leader.act(number, "supervise", LISTED)
    status, body = leader.post(f"/cases/{number}/actions/lift_supervision", {})
    assert status == 400 and body["error"]["fields"] == {"note": "此项必填"}
    status, _ = Api(county.users["handler"]).post(f"/cases/{number}/actions/lift_supervision", {"note": "x"})
    assert status == 403
    data = leader.act(number, "lift_supervision", {"note": "矛盾已化解"})
    assert data["supervision_level"] == "" and "lift_supervision" not in data["allowed_actions"]
    s = record(number)
    assert s.lifted_at is not None and s.lifted_by.username == "leader" and s.lift_note == "矛盾已化解"
    status, _ = Api(county.users["handler"]).post(f"/cases/{number}/actions/report_progress", {"text": "x"})
    assert status == 409
    leader.act(number, "supervise", LISTED)  # supervised again: a new record beside the lifted one
    assert Supervision.objects.filter(case__number=number).count() == 2


def test_a_major_hazard_is_listed_by_the_system_on_acceptance(county):
    d = Api(county.users["dispatcher"])
    body = case_body(county, stream="hazard", category="H02", title="燃气管道泄漏", severity="major")
    number = d.post("/cases", body)[1]["number"]
    assert d.act(number, "accept")["supervision_level"] == "listed"
    s = record(number)
    assert (
        s.level == "listed"
        and s.issued_by is None
        and s.report_every_days == 7
        and "重大隐患" in s.requirement
    )
