"""Retention: `pingan purge` clears personal data and files of ended cases past their stream's
keeping period, keeps a tombstone for the statistics, and leaves the same result when run again."""

import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from pingan.accounts.models import User
from pingan.api.models import IdempotencyRecord
from pingan.audit.log import verify_chain
from pingan.audit.models import AuditEntry
from pingan.cases import actions
from pingan.cases.models import (
    Agreement,
    Attachment,
    Case,
    CaseEvent,
    CaseRequest,
    FollowUp,
    Party,
    PublicMessage,
    Receipt,
    Reporter,
    RetentionPolicy,
    TipExclusion,
    WorkRecord,
)
from pingan.cases.retention import CLEARED, purge
from pingan.notices.models import Notification
from pingan.portal.public import submit_report

from .conftest import JPEG, case_body

# What the tombstone keeps so that counts, clocks and KPIs still add up.
KEPT = [
    "number",
    "stream",
    "category_id",
    "region_id",
    "status",
    "channel",
    "severity",
    "people_involved",
    "is_group",
    "lead_unit_id",
    "handler_id",
    "reported_by_id",
    "occurred_at",
    "reported_at",
    "accepted_at",
    "dispatched_at",
    "signed_at",
    "resolved_at",
    "closed_at",
    "accept_due",
    "sign_due",
    "resolve_due",
    "check_due",
    "outcome",
    "return_count",
    "extension_count",
    "check_fail_count",
    "reopen_count",
    "supervision_level",
    "created_at",
]
YEAR = timedelta(days=365)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def run_purge(django_capture_on_commit_callbacks):
    """purge() as it runs outside the test transaction: file deletions happen after each commit."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return purge(**kwargs)

    return run


def _perform(county, username, number, action, payload=None):
    return actions.perform(county.users[username], number, action, payload or {})


def _closed_case(county, api, **overrides) -> str:
    """A request walked from intake to follow-up: reporter, parties, a photo, work records, an
    extension request, an agreement and a follow-up, all holding text about people."""
    body = case_body(
        county,
        address="幸福小区 3 栋",
        lat="31.123456",
        lng="117.654321",
        parties=[{"name": "李四", "phone": "13900001111", "address": "幸福小区 3 栋 201"}],
        **overrides,
    )
    status, data = api("dispatcher").post("/cases", body, **{"Idempotency-Key": f"key-{body['title']}"})
    assert status == 201, data
    number = data["number"]
    _perform(county, "dispatcher", number, "accept")
    _perform(
        county,
        "dispatcher",
        number,
        "dispatch",
        {"lead_unit": county.town_unit(county.towns[0], "centre").code},
    )
    _perform(county, "handler", number, "sign")
    _perform(county, "handler", number, "record_work", {"kind": "visit", "content": "走访李四，了解情况"})
    new_due = (timezone.now() + timedelta(days=20)).isoformat()
    _perform(county, "handler", number, "request_extension", {"reason": "李四外出", "new_due": new_due})
    _perform(county, "unit_head", number, "decide_extension", {"decision": "approve", "note": "同意，催李四"})
    status, att = api("handler").upload(number, JPEG)
    assert status == 201, att
    _perform(
        county,
        "handler",
        number,
        "resolve",
        {
            "outcome": "resolved",
            "summary": "已与李四协商更换路灯",
            "evidence": [att["id"]],
            "agreement": {"terms": "李四承担维修费用 200 元"},
        },
    )
    _perform(county, "supervisor", number, "check_pass", {"note": "现场核实"})
    _perform(
        county,
        "dispatcher",
        number,
        "follow_up",
        {"satisfaction": "satisfied", "resolved": True, "note": "张三丰满意"},
    )
    assert Case.objects.get(number=number).status == "closed"
    return number


def _age(number: str, by: timedelta) -> None:
    Case.objects.filter(number=number).update(closed_at=timezone.now() - by)


def _files() -> set[str]:
    root = Path(django_settings.MEDIA_ROOT)
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _kept(number: str) -> dict:
    return Case.objects.filter(number=number).values(*KEPT).get()


def _case_state(number: str) -> dict:
    case = Case.objects.get(number=number)
    return {
        "case": Case.objects.filter(pk=case.pk).values().get(),
        "reporter": list(Reporter.objects.filter(case=case).values()),
        "parties": list(Party.objects.filter(case=case).values()),
        "attachments": list(Attachment.objects.filter(case=case).values()),
        "work": list(WorkRecord.objects.filter(case=case).values()),
        "agreement": list(Agreement.objects.filter(case=case).values()),
        "follow_ups": list(FollowUp.objects.filter(case=case).values()),
        "requests": list(CaseRequest.objects.filter(case=case).values()),
        "receipt": list(Receipt.objects.filter(case=case).values()),
        "messages": list(PublicMessage.objects.filter(case=case).values()),
        "exclusions": list(TipExclusion.objects.filter(case=case).values()),
        "events": list(CaseEvent.objects.filter(case=case).values()),
    }


def _snapshot(*numbers: str) -> dict:
    return {
        "cases": {n: _case_state(n) for n in numbers},
        "notifications": list(Notification.objects.order_by("pk").values()),
        "audit": list(AuditEntry.objects.order_by("pk").values()),
        "files": _files(),
    }


def _public_case(county) -> tuple[str, str]:
    """A named public report with a photo, a reply to the reporter, then rejected."""
    case, code = submit_report(
        {
            "stream": "hazard",
            "description": "幸福小区 3 栋楼道堆放电动车充电，王五家门口",
            "anonymous": False,
            "name": "王五",
            "phone": "13700002222",
            "address": "幸福小区",
        },
        [("photo.jpg", JPEG)],
    )
    _perform(county, "dispatcher", case.number, "reply", {"text": "王五您好，已转物业处理"})
    _perform(county, "dispatcher", case.number, "reject", {"reason": "属物业管理范围"})
    return case.number, code


def _withdrawn_tip(county, api) -> str:
    body = case_body(county, stream="tip", category="T01", title="某娱乐场所老板赵六欺行霸市")
    status, data = api("dispatcher").post("/cases", body)
    assert status == 201, data
    unit = county.town_unit(county.towns[1], "centre").code
    _perform(county, "dispatcher", data["number"], "exclude", {"units": [unit], "reason": "该单位人员涉及"})
    _perform(county, "dispatcher", data["number"], "withdraw", {"reason": "反映人撤回"})
    return data["number"]


# ---------------------------------------------------------------- what a purge removes and keeps


def test_past_retention_case_loses_personal_data_and_files_but_keeps_its_tombstone(county, api, run_purge):
    number = _closed_case(county, api)
    _age(number, 3 * YEAR + timedelta(days=1))  # requests are kept 1095 days
    case = Case.objects.get(number=number)
    Notification.objects.create(
        recipient=county.users["handler"],
        case=case,
        kind="dispatch",
        message=f"新分派：{number} {case.title}",
    )
    [stored] = Attachment.objects.filter(case=case).values_list("file", flat=True)
    assert stored in _files()
    assert "路灯" in str(IdempotencyRecord.objects.get(resource=number).response)
    before = _kept(number)
    now = timezone.now()

    result = run_purge(now=now)

    assert result.cases["request"] == 1 and result.total == 1 and result.files == 1
    case.refresh_from_db()
    assert _kept(number) == before
    assert case.title == "求助（已按保存期限清除）"
    assert (case.description, case.address, case.outcome_summary, case.extra) == ("", "", "", {})
    assert case.lat is None and case.lng is None
    assert case.purged_at == now
    assert not Reporter.objects.filter(case=case).exists()
    assert not Party.objects.filter(case=case).exists()
    assert not Attachment.objects.filter(case=case).exists()
    assert stored not in _files()
    [work] = WorkRecord.objects.filter(case=case)
    assert (work.kind, work.content) == ("visit", CLEARED)
    assert Agreement.objects.get(case=case).terms == CLEARED
    [follow_up] = FollowUp.objects.filter(case=case)
    assert (follow_up.satisfaction, follow_up.resolved, follow_up.note) == ("satisfied", True, CLEARED)
    [req] = CaseRequest.objects.filter(case=case)
    assert (req.kind, req.decision, req.reason, req.note) == ("extension", "approved", CLEARED, CLEARED)
    assert "路灯" not in Notification.objects.get(case=case).message
    assert IdempotencyRecord.objects.get(resource=number).response is None  # a replay shows the tombstone


def test_public_report_loses_receipt_and_messages_and_the_code_no_longer_answers(county, run_purge):
    number, code = _public_case(county)
    _age(number, 3 * YEAR + timedelta(days=1))
    public = Client()
    r = public.post("/api/v1/public/reports/lookup", {"receipt": code}, content_type="application/json")
    assert r.status_code == 200, r.json()
    files = _files()
    assert len(files) == 1

    result = run_purge()

    assert result.cases["hazard"] == 1 and result.files == 1
    case = Case.objects.get(number=number)
    assert case.status == "rejected" and case.title == "安全隐患（已按保存期限清除）"  # no category
    assert case.description == "" and case.address == ""
    assert not Receipt.objects.filter(case=case).exists()
    assert not PublicMessage.objects.filter(case=case).exists()
    assert not Reporter.objects.filter(case=case).exists()
    assert _files() == set()
    r = public.post("/api/v1/public/reports/lookup", {"receipt": code}, content_type="application/json")
    assert r.status_code == 404
    assert "已按保存期限清除" in r.json()["error"]["message"]


def test_withdrawn_tip_loses_its_exclusions(county, api, run_purge):
    number = _withdrawn_tip(county, api)
    assert TipExclusion.objects.filter(case__number=number).exists()
    _age(number, 5 * YEAR + timedelta(days=2))  # tips are kept 1825 days

    result = run_purge()

    assert result.cases["tip"] == 1
    case = Case.objects.get(number=number)
    assert case.title == "涉黑涉恶（已按保存期限清除）" and case.status == "withdrawn"
    assert not TipExclusion.objects.filter(case=case).exists()
    assert not Reporter.objects.filter(case=case).exists()


def test_cases_inside_retention_and_open_cases_are_untouched(county, api, run_purge):
    recent = _closed_case(county, api)
    _age(recent, 3 * YEAR - timedelta(days=1))
    status, data = api("dispatcher").post("/cases", case_body(county, title="另一件诉求"))
    assert status == 201, data
    still_open = data["number"]
    # An open case is never purged, however old it is.
    Case.objects.filter(number=still_open).update(reported_at=timezone.now() - 10 * YEAR)
    before = _snapshot(recent, still_open)

    result = run_purge()

    assert result.total == 0 and result.files == 0
    assert _snapshot(recent, still_open) == before
    assert Case.objects.get(number=recent).purged_at is None


def test_each_stream_keeps_its_own_retention_days(county, api, run_purge):
    request = _closed_case(county, api)
    hazard, _ = _public_case(county)
    for number in (request, hazard):
        _age(number, timedelta(days=60))
    RetentionPolicy.objects.filter(stream="hazard").update(days=30)

    result = run_purge()

    assert result.cases["hazard"] == 1 and result.cases["request"] == 0
    assert Case.objects.get(number=hazard).purged_at is not None
    assert Case.objects.get(number=request).purged_at is None
    assert Reporter.objects.filter(case__number=request).exists()


def test_a_stream_without_a_policy_is_kept(county, api, run_purge):
    number = _closed_case(county, api)
    _age(number, 10 * YEAR)
    RetentionPolicy.objects.filter(stream="request").delete()

    result = run_purge()

    assert result.unset == ["request"] and "request" not in result.cases
    assert Case.objects.get(number=number).purged_at is None


# ---------------------------------------------------------------- idempotence and orphan files


def test_second_run_purges_nothing_and_leaves_identical_state(county, api, run_purge):
    closed = _closed_case(county, api)
    public, _ = _public_case(county)
    tip = _withdrawn_tip(county, api)
    recent = _closed_case(county, api, title="近期诉求")
    for number in (closed, public, tip):
        _age(number, 6 * YEAR)
    _age(recent, timedelta(days=10))
    now = timezone.now()

    first = run_purge(now=now)
    after_first = _snapshot(closed, public, tip, recent)
    second = run_purge(now=now + timedelta(minutes=5))

    assert first.total == 3 and first.files == 2
    assert second.total == 0 and second.files == 0 and second.orphans == 0
    assert set(second.cases.values()) == {0}
    assert _snapshot(closed, public, tip, recent) == after_first
    assert len(_files()) == 1  # the recent case's photo


def _orphan(name: str, age: timedelta) -> Path:
    path = Path(django_settings.MEDIA_ROOT) / "attachments" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"left behind")
    stamp = time.time() - age.total_seconds()
    os.utime(path, (stamp, stamp))
    return path


def test_old_orphan_files_go_and_fresh_ones_and_referenced_ones_stay(county, api, run_purge):
    number = _closed_case(county, api)  # inside retention: its photo is referenced
    [stored] = Attachment.objects.filter(case__number=number).values_list("file", flat=True)
    referenced = Path(django_settings.MEDIA_ROOT) / stored
    stamp = time.time() - 3 * 3600
    os.utime(referenced, (stamp, stamp))
    old = _orphan("2020/01/0123456789abcdef", timedelta(hours=2))
    fresh = _orphan("2020/02/fedcba9876543210", timedelta(minutes=5))

    result = run_purge()

    assert result.orphans == 1
    assert not old.exists() and not old.parent.exists()  # the emptied directory goes too
    assert fresh.exists() and referenced.exists()
    assert run_purge().orphans == 0


def test_files_left_by_a_crash_between_commit_and_deletion_are_removed(county, api, run_purge):
    number = _closed_case(county, api)
    _age(number, 4 * YEAR)
    [stored] = Attachment.objects.filter(case__number=number).values_list("file", flat=True)
    path = Path(django_settings.MEDIA_ROOT) / stored
    stamp = time.time() - 2 * 3600
    os.utime(path, (stamp, stamp))

    with pytest.MonkeyPatch.context() as mp:
        # The process dies after the commit, before any file is deleted or the orphans are swept.
        mp.setattr("pingan.cases.retention._delete_files", lambda names, result: None)
        mp.setattr("pingan.cases.retention.delete_orphan_files", lambda dry_run: 0)
        crashed = run_purge()
    assert crashed.total == 1 and crashed.files == 0 and path.exists()

    result = run_purge()

    assert result.total == 0 and result.orphans == 1
    assert not path.exists() and _files() == set()


def test_a_purge_that_fails_midway_rolls_back_and_keeps_the_files(county, api, run_purge, monkeypatch):
    number = _closed_case(county, api)
    _age(number, 4 * YEAR)
    before = _snapshot(number)

    def fail(*args, **kwargs):
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr("pingan.cases.retention.events.write", fail)
    with pytest.raises(RuntimeError):
        run_purge()

    assert _snapshot(number) == before  # rows and the photo on disk are all still there


def test_dry_run_counts_and_changes_nothing(county, api, run_purge):
    number = _closed_case(county, api)
    _age(number, 4 * YEAR)
    _orphan("2021/03/00112233445566778899", timedelta(days=1))
    before = _snapshot(number)

    result = run_purge(dry_run=True)

    assert (result.total, result.files, result.orphans) == (1, 1, 1)
    assert _snapshot(number) == before


# ---------------------------------------------------------------- audit and the command


def test_purge_writes_an_event_and_an_audit_entry_and_keeps_the_history(county, api, run_purge):
    number = _closed_case(county, api)
    _age(number, 4 * YEAR)
    history = list(CaseEvent.objects.filter(case__number=number).values())

    run_purge()

    events = list(CaseEvent.objects.filter(case__number=number).values())
    assert events[:-1] == history
    purge_event = events[-1]
    assert (purge_event["action"], purge_event["actor"]) == ("purge", "system")
    assert purge_event["from_status"] == purge_event["to_status"] == "closed"
    assert purge_event["data"]["reporter"] == 1 and purge_event["data"]["attachments"] == 1
    entry = AuditEntry.objects.get(action="case.purge")
    assert (entry.actor, entry.object_id) == ("system", number)
    assert entry.data == purge_event["data"]
    assert AuditEntry.objects.get(action="purge").data["cases"]["request"] == 1
    assert verify_chain()[0]


def test_command_reports_in_chinese_and_a_second_run_reports_zeros(
    county, api, django_capture_on_commit_callbacks
):
    number = _closed_case(county, api)
    _age(number, 4 * YEAR)

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge", "--dry-run", stdout=out)
    assert "试运行" in out.getvalue() and "将清除 群众诉求 1 件" in out.getvalue()
    assert Case.objects.get(number=number).purged_at is None

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge", stdout=out)
    assert "清除 群众诉求 1 件…" in out.getvalue()
    assert "清除案件 1 件（群众诉求 1 件）" in out.getvalue()
    assert Case.objects.get(number=number).purged_at is not None

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge", stdout=out)
    assert "清除案件 0 件，删除附件文件 0 个，清理遗留文件 0 个" in out.getvalue()


def test_admin_edits_retention_days(county):
    root = User.objects.create_superuser("root", password="pw-root-123")
    client = Client()
    client.force_login(root, backend="django.contrib.auth.backends.ModelBackend")
    r = client.get("/admin/cases/retentionpolicy/")
    assert r.status_code == 200
    assert "安全隐患" in r.content.decode()
    policy = RetentionPolicy.objects.get(stream="hazard")

    r = client.post(f"/admin/cases/retentionpolicy/{policy.pk}/change/", {"stream": "hazard", "days": 400})

    assert r.status_code == 302
    assert RetentionPolicy.objects.get(stream="hazard").days == 400
    # A slip of the keyboard cannot make cases vanish the day they close.
    r = client.post(f"/admin/cases/retentionpolicy/{policy.pk}/change/", {"stream": "hazard", "days": 0})
    assert r.status_code == 200 and "保存期限不能少于 30 日" in r.content.decode()
    assert RetentionPolicy.objects.get(stream="hazard").days == 400


def test_a_tombstone_can_only_be_archived(county, api, run_purge):
    number = _closed_case(county, api)
    assert {"reopen", "follow_up"} <= set(api("dispatcher").get(f"/cases/{number}")[1]["allowed_actions"])
    _age(number, timedelta(days=4000))
    run_purge()
    assert api("dispatcher").get(f"/cases/{number}")[1]["allowed_actions"] == ["archive"]
    status, body = api("dispatcher").post(f"/cases/{number}/actions/reopen", {"reason": "重新看看"})
    assert status == 409 and body["error"]["code"] == "invalid_transition"
