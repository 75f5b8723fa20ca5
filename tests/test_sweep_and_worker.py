"""The overdue sweep, real (the worker's test is in test_notices.py)."""

import os
import re
import signal
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone

from pingan.cases.management.commands import sweep as sweep_command
from pingan.cases.models import Case, CaseEvent, Escalation
from pingan.cases.sweep import sweep

from .conftest import case_body

# What the 平安创建 part of the sweep reports when it has nothing to award or revoke.
NOTHING_CREATED = {"creation_revoked": 0, "creation_awarded": 0}


def _overdue_case(county, api, hours_overdue):
    number = api("dispatcher").post("/cases", case_body(county))[1]["number"]
    Case.objects.filter(number=number).update(accept_due=timezone.now() - timedelta(hours=hours_overdue))
    return number


NO_REMINDERS = {"performance_due_soon": 0, "performance_late": 0, "leader_digest": 0, "surge_alerts": 0}


@override_settings(PINGAN_ESCALATION_HOURS=24)
def test_sweep_escalates_one_level_per_interval_and_only_once(county, api):
    fresh = _overdue_case(county, api, hours_overdue=1)
    stale = _overdue_case(county, api, hours_overdue=50)  # past two intervals: level 3
    totals = sweep()
    assert totals == {"marked": 2, "escalations": 4, "progress_late": 0, **NOTHING_CREATED, **NO_REMINDERS}
    assert Case.objects.get(number=fresh).escalation_level == 1
    assert Case.objects.get(number=stale).escalation_level == 3
    levels = list(
        Escalation.objects.filter(case__number=stale).order_by("level").values_list("level", flat=True)
    )
    assert levels == [1, 2, 3]
    assert CaseEvent.objects.filter(action="escalate").count() == 4
    assert sweep() == {"marked": 0, "escalations": 0, "progress_late": 0, **NOTHING_CREATED, **NO_REMINDERS}
    assert Escalation.objects.count() == 4
    # A day later the fresh case climbs one more level, and only that.
    assert sweep(now=timezone.now() + timedelta(hours=24))["escalations"] == 2  # fresh → 2, stale → 4
    assert Case.objects.get(number=stale).escalation_level == 4


def test_sweep_leaves_cases_on_time_alone(county, api):
    api("dispatcher").post("/cases", case_body(county))
    assert sweep() == {"marked": 0, "escalations": 0, "progress_late": 0, **NOTHING_CREATED, **NO_REMINDERS}


def test_acting_on_a_case_clears_its_escalation(county, api):
    number = _overdue_case(county, api, hours_overdue=30)
    sweep()
    data = api("dispatcher").act(number, "accept")
    case = Case.objects.get(number=number)
    assert data["status"] == "accepted" and case.escalation_level == 0 and case.overdue_since is None


def test_overdue_filter(county, api):
    late = _overdue_case(county, api, hours_overdue=2)
    on_time = api("dispatcher").post("/cases", case_body(county))[1]["number"]
    d = api("dispatcher")
    assert [c["number"] for c in d.get("/cases", overdue="true")[1]["items"]] == [late]
    assert [c["number"] for c in d.get("/cases", overdue="false")[1]["items"]] == [on_time]
    assert d.get(f"/cases/{late}")[1]["overdue"] is True
    assert d.get(f"/cases/{on_time}")[1]["overdue"] is False


def test_a_clock_without_a_due_time_is_not_overdue(county, api):
    d = api("dispatcher")
    number = d.post("/cases", case_body(county))[1]["number"]
    d.act(number, "accept")
    Case.objects.filter(number=number).update(resolve_due=None)  # a category with no resolve limit
    assert d.get(f"/cases/{number}")[1]["overdue"] is False
    assert [c["overdue"] for c in d.get("/cases")[1]["items"]] == [False]


def test_sweep_command_reports_in_chinese(county, api, capsys):
    _overdue_case(county, api, hours_overdue=1)
    call_command("sweep")
    assert "新增升级 1 件次" in capsys.readouterr().out


def test_a_dispatched_case_past_its_resolve_time_is_swept_as_the_filter_says(county, api):
    """The sweep and the overdue filter read the same clock table: dispatched runs the resolve clock."""
    d = api("dispatcher")
    number = d.post("/cases", case_body(county))[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {})
    now = timezone.now()
    Case.objects.filter(number=number).update(
        sign_due=now + timedelta(hours=2), resolve_due=now - timedelta(hours=1)
    )
    assert [c["number"] for c in d.get("/cases", overdue="true")[1]["items"]] == [number]
    assert sweep() == {"marked": 1, "escalations": 1, "progress_late": 0, **NOTHING_CREATED, **NO_REMINDERS}
    [mark] = CaseEvent.objects.filter(case__number=number, action="overdue")
    assert mark.data["step"] == "resolve" and mark.audit is not None
    assert Escalation.objects.get(case__number=number).step == "resolve"


# The loop closes its database connections between runs, so these tests commit for real.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sweep_every_runs_on_schedule_until_sigterm(county, api, capsys, monkeypatch):
    """`pingan sweep --every N` (what `pingan demo` runs beside its server): a sweep at once, then one
    every N minutes; SIGTERM ends it quietly and leaves the process's own SIGTERM handling as it was."""
    _overdue_case(county, api, hours_overdue=1)
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        if len(slept) == 1:
            _overdue_case(county, api, hours_overdue=1)  # the next run finds this one
        else:
            assert callable(signal.getsignal(signal.SIGTERM))  # else the signal would end the test run
            os.kill(os.getpid(), signal.SIGTERM)  # as `pingan demo` stops it, in the middle of a wait

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(sweep_command, "time", SimpleNamespace(sleep=sleep))
    call_command("sweep", "--every", "0.5")
    runs = [line for line in capsys.readouterr().out.splitlines() if "超期巡检完成" in line]
    assert slept == [30.0, 30.0]
    assert len(runs) == 2 and all("新增升级 1 件次" in line for line in runs)
    assert re.match(r"\d\d:\d\d 超期巡检完成", runs[0])
    assert signal.getsignal(signal.SIGTERM) == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_sweep_on_a_schedule_is_retried_at_the_next_run(county, api, capsys, monkeypatch):
    _overdue_case(county, api, hours_overdue=1)
    answers = iter([OperationalError("database is locked"), None])

    def flaky_sweep(**kwargs):
        if failure := next(answers):
            raise failure
        return sweep(**kwargs)

    def sleep(seconds):
        if not next(sleeps):
            raise KeyboardInterrupt

    sleeps = iter([True, False])
    monkeypatch.setattr(sweep_command, "sweep", flaky_sweep)
    monkeypatch.setattr(sweep_command, "time", SimpleNamespace(sleep=sleep))
    call_command("sweep", "--every", "5")
    printed = capsys.readouterr()
    assert "超期巡检未能完成，下次按时重试：database is locked" in printed.err
    assert "新增升级 1 件次" in printed.out
    with pytest.raises(CommandError, match="--every 应大于 0"):
        call_command("sweep", "--every", "0")
