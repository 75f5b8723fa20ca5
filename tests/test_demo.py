"""The synthetic county and its case history are consistent and cover every state."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from pingan.audit.models import AuditEntry
from pingan.campaigns.models import Finding as CampaignFinding
from pingan.cases.models import Case, CaseEvent, CaseSerial, Status
from pingan.cases.sweep import sweep
from pingan.cases.workflow import check_event
from pingan.demo import surges
from pingan.inspections.models import Finding
from pingan.notices.delivery import notify_events
from pingan.notices.models import Notification
from pingan.surges.models import SurgeAlert


def _surge_cases() -> int:
    """The 研判预警's own: the cases it registers, and the rectification case it opens from an alert."""
    return surges.REGISTERED + SurgeAlert.objects.exclude(case=None).count()


def test_seed_makes_every_state_with_legal_audited_histories(db, capsys):
    """The demo's history obeys the workflow: every case's events, replayed through the transition
    table, are legal steps from 登记 to where the case stands, and each has its audit entry."""
    call_command("seed", "--cases", "300", "--towns", "3")
    assert "300/300" in capsys.readouterr().out
    assert set(Case.objects.values_list("status", flat=True)) == set(Status.values)
    by_case: dict[int, list[CaseEvent]] = {}
    for event in CaseEvent.objects.order_by("case_id", "at", "id"):
        by_case.setdefault(event.case_id, []).append(event)
    status_of = dict(Case.objects.values_list("pk", "status"))
    # Cases of their own: the hazard inspections' findings (GOVERNANCE §9) and the 专项整治's 问题清单
    # (rectification cases made by the case intake, §6).
    found = Finding.objects.count() + CampaignFinding.objects.count() + _surge_cases()
    assert Finding.objects.exists() and CampaignFinding.objects.exists()
    assert len(by_case) == len(status_of) == 300 + found
    steps = 0
    for case_id, events in by_case.items():
        status = ""
        for event in events:
            assert event.from_status == status, (case_id, event.action)
            check_event(event.action, event.from_status, event.to_status)
            status = event.to_status
            steps += 1
        assert status == status_of[case_id]
    assert not CaseEvent.objects.filter(audit__isnull=True).exists()
    assert AuditEntry.objects.filter(object_type="case").count() == steps
    year, last = CaseSerial.objects.values_list("year", "last").order_by("-year").first()
    assert Case.objects.filter(number=f"PA-990122-{year}-{last:06d}").exists()
    # The seeded overdue cases are what the first sweep escalates, and only once.
    assert sweep()["escalations"] > 0
    assert sweep()["escalations"] == 0
    # `pingan audit verify` passes, and names the one row altered behind its back.
    call_command("audit", "verify", stdout=StringIO())
    altered = CaseEvent.objects.order_by("id")[steps // 2].audit_id
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditentry SET actor = %s WHERE id = %s", ["someone", altered])
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", stdout=out)
    assert f"id={altered}" in out.getvalue()


def test_demo_prints_the_logins_and_a_working_portal_receipt(db, capsys, settings, tmp_path):
    from pingan.portal.public import find_receipt

    settings.SUGGEST_MODEL = tmp_path / "suggest.npz"
    call_command("demo", "--cases", "40", "--no-serve")
    out = capsys.readouterr().out
    assert "dispatcher" in out and "/portal/" in out
    # The 智能建议 model is trained once from the closed cases, without the held-out evaluation.
    assert "正在用已结案案件训练智能建议模型" in out and "模型已保存" in out and "检验的准确率" not in out
    assert settings.SUGGEST_MODEL.exists()
    code = out.split("查询码 ")[1].split("，")[0]
    receipt = find_receipt(code)
    assert receipt is not None and receipt.case.channel == "portal" and receipt.case.has_receipt


def test_a_one_town_county_seeds(db, capsys):
    call_command("seed", "--cases", "20", "--towns", "1")
    assert "20/20" in capsys.readouterr().out
    own = Finding.objects.count() + CampaignFinding.objects.count() + _surge_cases()
    assert Case.objects.count() == 20 + own, "the generated cases and the findings' own"


def test_the_demo_has_two_years_of_statistics_for_every_town(db, capsys):
    from datetime import date

    from pingan.core.periods import period_of
    from pingan.regions.models import Region
    from pingan.statistics.models import Indicator, StatisticValue
    from pingan.statistics.selectors import figure

    call_command("seed", "--cases", "20", "--towns", "2")
    assert "个统计数值" in capsys.readouterr().out
    county = Region.objects.get(level="county")
    last_month = period_of("month", date.today().replace(day=1)).previous()
    fires = Indicator.objects.get(code="fires")
    assert StatisticValue.objects.filter(indicator=fires).count() == 2 * 24  # two towns, 24 months
    f = figure(fires, last_month, region=county)
    assert f.value is not None and f.year_ago is not None and f.yoy is not None
    safety = figure(
        Indicator.objects.get(code="sense_of_safety"),
        period_of("year", last_month.start.replace(year=last_month.year - 1)),
        region=county,
    )
    assert safety.value is not None and 85 < safety.value < 100 and safety.target == 95
    count = StatisticValue.objects.count()
    call_command("seed", "--cases", "5", "--towns", "2")
    assert StatisticValue.objects.count() == count  # seeded once


def test_the_demo_has_the_last_three_monthly_reports_published(db, capsys):
    from datetime import date

    from pingan.core.periods import period_of
    from pingan.reports.models import Report

    call_command("seed", "--cases", "30", "--towns", "2")
    assert "已生成并发布近三个月的月通报" in capsys.readouterr().out
    last = period_of("month", date.today()).previous()
    expected = [last.key, last.previous().key, last.previous().previous().key]
    reports = Report.objects.order_by("-period")
    assert [r.period for r in reports] == expected and {r.status for r in reports} == {"published"}
    assert all(r.commentary and r.docx and r.xlsx for r in reports)
    # The demo's schemes rank its towns and departments in every 通报.
    from pingan.assessment.models import Scheme

    assert sorted(Scheme.objects.values_list("level", flat=True)) == ["town", "unit"]
    assert sum(i.weight for i in Scheme.objects.get(level="town").items.all()) == 100
    headings = [s["heading"] for s in reports[0].document["sections"]]
    assert "三、考核排名" in headings and "四、红黑榜" in headings


def test_the_demos_first_sweep_escalates_cases_of_the_demo_handler_and_tells_him(db):
    """However few cases and whenever seeded, some requests of the first town sit in handling past their
    time, not yet escalated: the demo's first sweep escalates them and the worker tells 吴承办 (handler)."""
    call_command("seed", "--cases", "60", "--towns", "2", stdout=StringIO())
    mine = Case.objects.filter(handler__username="handler", status=Status.IN_PROGRESS, escalation_level=0)
    assert mine.filter(resolve_due__lt=timezone.now() - timedelta(days=7)).exists()
    sweep()
    notify_events.call(list(CaseEvent.objects.filter(action="escalate").values_list("pk", flat=True)))
    escalated = Case.objects.filter(handler__username="handler", escalation_level__gt=0)
    told = Notification.objects.filter(
        recipient__username="handler", kind="escalate", read_at=None, case__in=escalated
    )
    assert told.exists()


def test_the_demo_supervises_open_cases_with_reports_and_marks_of_missed_ones(db):
    """督办 in the demo goes through the real actions: every flag has its record, listed cases in
    handling have reports or late marks up to now, never a long silence."""
    from pingan.cases.models.case import OPEN_STATUSES
    from pingan.supervision.models import Supervision

    call_command("seed", "--cases", "600", "--towns", "2")
    assert (
        not Case.objects.exclude(supervision_level="").exclude(supervisions__lifted_at__isnull=True).exists()
    )
    assert not Supervision.objects.filter(lifted_at__isnull=True, case__supervision_level="").exists()
    in_handling = Supervision.objects.filter(
        lifted_at__isnull=True, case__status__in=("dispatched", "in_progress")
    )
    assert in_handling.exists()
    now = timezone.now()
    for s in in_handling:
        assert s.next_report_due >= now  # every cycle before now was reported or marked
        assert s.issued_at > now - timedelta(days=60) or s.case.status not in OPEN_STATUSES
    assert CaseEvent.objects.filter(action="report_progress", data__on_time=True).exists()
    assert sweep()["progress_late"] == 0  # the demo left nothing unmarked


def test_the_demo_has_baoan_backlog_and_mediation_agreements_followed_through(db):
    """包案 with late steps on the leader's desk, 积案 some of them closed (积案化解率 has a figure this
    month), and agreements with 履行情况 recorded, pending and 司法确认 sought."""
    from pingan.assessment.selectors import kpis
    from pingan.cases.clocks import LOCAL
    from pingan.cases.models import Agreement
    from pingan.cases.selectors import leader_desk
    from pingan.core.periods import period_of

    # 1,500 cases: at 600 a county has a handful of disputes in handling with a demo handler, and on some
    # days (2026-12-07) all of them had an event in the last hours, which leaves no room for a mediation.
    call_command("seed", "--cases", "1500", "--towns", "2", stdout=StringIO())
    leader = Case.objects.filter(responsible_leader__isnull=False).first().responsible_leader
    today = timezone.now().astimezone(LOCAL).date()
    desk = leader_desk(leader, today)
    assert len(desk) >= 3 and any(r["late"] for r in desk)
    assert Case.objects.filter(responsible_leader=leader, leader_signed_off_at__isnull=False).exists()
    assert Case.objects.filter(backlog=True, status__in=("dispatched", "in_progress")).count() >= 3
    assert Case.objects.filter(backlog=True, status="closed").exists()
    month = period_of("month", today).key
    assert kpis(leader, period=month)["values"]["backlog_resolution_rate"] is not None
    states = set(Agreement.objects.values_list("performance", flat=True))
    assert {"performed", "partly", ""} <= states
    assert Agreement.objects.filter(confirmation_applied_on__isnull=False).exists()
