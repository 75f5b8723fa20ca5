"""The accountability ledger (GOVERNANCE §3, issue 12 part 5): rules propose once, a supervisor confirms,
dismisses, enters by hand, files the record, links rectification cases and lifts; scope by the subtree
rule; listed units and regions on every dashboard in scope until lifted; the API."""

import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pingan.accountability import actions
from pingan.accountability.models import Entry, Rule
from pingan.accountability.rules import ranking_last, run_rules
from pingan.accounts.actions import create_user, grant_role
from pingan.audit.log import verify_chain
from pingan.audit.models import AuditEntry
from pingan.cases.models import Case

from .conftest import PASSWORD, Api, case_body

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _user(county, username, role, *, region=None, unit=None):
    user = create_user(username=username, password=PASSWORD, by=None, full_name=username)
    grant_role(user, role, region=region, unit=unit, by=None)
    return user


def _web(user) -> Client:
    c = Client()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


def _case(county, town=0, *, listed=True, overdue_days=0, stream="request", **fields) -> Case:
    body = case_body(county, region=county.villages[county.towns[town].code][0].code, stream=stream)
    if stream == "tip":
        body["category"] = "T01"
    status, data = Api(county.users["dispatcher"]).post("/cases", body)
    assert status == 201, data
    now = timezone.now()
    Case.objects.filter(number=data["number"]).update(
        supervision_level="listed" if listed else "",
        accept_due=now - timedelta(days=overdue_days, hours=1),
        lead_unit=county.town_unit(county.towns[town], "centre"),
        **fields,
    )
    return Case.objects.get(number=data["number"])


def _entry(county, *, town=0, level="listing", unit=True, **terms) -> Entry:
    subject = (
        {"unit": county.town_unit(county.towns[town], "centre")} if unit else {"region": county.towns[town]}
    )
    return actions.enter(
        by=county.users["supervisor"], level=level, trigger="测试触发原因", **subject, **terms
    )


# ---------------------------------------------------------------- rules


def test_a_listed_case_overdue_30_days_proposes_one_entry_for_its_lead_unit_once(county):
    late = _case(county, 0, overdue_days=31)
    _case(county, 1, overdue_days=10)  # not yet 30 days
    _case(county, 1, listed=False, overdue_days=40)  # not listed
    _case(county, 1, overdue_days=40, stream="tip")  # a tip: leaders and supervisors never see it
    out = io.StringIO()
    call_command("accountability", "propose", stdout=out)
    assert "挂牌督办案件超期 30 天：新提出 1 条" in out.getvalue()
    assert "考核连续两期末位：新提出 0 条" in out.getvalue()  # the real ranking: no scheme, no last place
    [entry] = Entry.objects.all()
    assert entry.unit == county.town_unit(county.towns[0], "centre") and entry.status == "proposed"
    assert entry.level == "bulletin" and entry.rule.code == "listed_overdue_30"
    assert late.number in entry.trigger and "30 天" in entry.trigger
    assert list(entry.cases.all()) == [late] and entry.deadline == timezone.localdate() + timedelta(days=30)
    assert AuditEntry.objects.filter(action="accountability.propose", object_id=str(entry.pk)).count() == 1
    # Run again (the timer runs it daily): nothing new, even after the entry was dismissed.
    actions.dismiss(entry, by=county.users["supervisor"], reason="已说明原因")
    assert run_rules() == 0 and Entry.objects.count() == 1


def test_the_days_of_the_rule_are_data(county):
    _case(county, 0, overdue_days=11)
    rule = Rule.objects.get(code="listed_overdue_30")
    rule.params = {"days": 10}
    rule.save()
    assert run_rules() == 1
    rule.params = {"days": "十"}
    with pytest.raises(ValidationError):
        rule.full_clean()
    rule.params = {"weeks": 2}
    with pytest.raises(ValidationError):
        rule.full_clean()


def _ranking(table: dict[str, dict[str, int]]):
    """A provider that answers from a table {period key: {code: rank}}, as the ranking engine would."""
    asked = []

    def provider(level, period):
        asked.append((level, period.key))
        return [{"code": code, "rank": rank} for code, rank in table.get(period.key, {}).items()]

    return provider, asked


def test_last_in_the_ranking_two_periods_running_proposes_an_entry_once(county):
    a, b, c = (t.code for t in county.towns)
    today = date(2026, 11, 10)
    provider, asked = _ranking({
        "2026-10": {a: 1, b: 3, c: 3},  # b and c share the last rank
        "2026-09": {a: 2, b: 3, c: 1},
    })  # fmt: skip
    rule = Rule.objects.get(code="town_last_2")
    [entry] = ranking_last(rule, provider, today)
    assert asked == [("town", "2026-10"), ("town", "2026-09")]
    assert entry.region_id == b and entry.level == "interview" and entry.status == "proposed"
    assert (
        entry.trigger
        == f"{county.towns[1].name}在乡镇（街道）考核排名中连续 2 期末位（2026-09 至 2026-10）。"
    )
    assert ranking_last(rule, provider, today) == []  # once for this run of periods
    # A month later, still last: a new proposal for the new run.
    provider, _ = _ranking({"2026-11": {a: 1, b: 2}, "2026-10": {b: 3, c: 3}})
    assert [e.region_id for e in ranking_last(rule, provider, date(2026, 12, 2))] == [b]


def test_a_unit_ranking_rule_with_three_quarters(county):
    unit = county.town_unit(county.towns[2], "judicial")
    params = {"periods": 3, "level": "unit", "period": "quarter"}
    rule = Rule.objects.create(
        code="unit_last_3", name="部门连续三季度末位", kind="ranking_last", level="bulletin", params=params
    )
    table = {q: {unit.code: 9, "other": 1} for q in ("2026-Q1", "2026-Q2", "2026-Q3")}
    provider, asked = _ranking(table)
    [entry] = ranking_last(rule, provider, date(2026, 10, 15))
    assert entry.unit == unit and [p for _, p in asked] == ["2026-Q3", "2026-Q2", "2026-Q1"]
    Rule.objects.exclude(pk=rule.pk).update(active=False)
    assert run_rules(provider, now=timezone.now()) == 0  # the command's path, with a provider given


# ---------------------------------------------------------------- the workflow through the API


def test_a_supervisor_confirms_and_lifts_and_dismisses_with_audit(county, api):
    _case(county, 0, overdue_days=31)
    _case(county, 1, overdue_days=31)
    run_rules()
    first, second = Entry.objects.order_by("id")
    sup = api("supervisor")
    body = {
        "requirement": "十日内报送整改方案",
        "deadline": "2026-12-31",
        "attendees": "县委政法委副书记、城关街道党工委书记",
    }
    status, data = sup.post(f"/accountability/{first.pk}/confirm", body)
    assert status == 200, data
    assert data["status"] == "confirmed" and data["deadline"] == "2026-12-31"
    assert data["attendees"] == body["attendees"] and data["cases"][0]["number"]
    status, data = sup.post(f"/accountability/{first.pk}/confirm", {})
    assert status == 409 and data["error"]["code"] == "invalid_transition"
    status, data = sup.post(f"/accountability/{first.pk}/lift", {"note": ""})
    assert status == 400 and "解除说明" in data["error"]["fields"]["note"]
    status, data = sup.post(f"/accountability/{first.pk}/lift", {"note": "整改方案已落实，案件已办结"})
    assert status == 200 and data["status"] == "lifted" and data["lift_note"] == "整改方案已落实，案件已办结"
    status, data = sup.post(f"/accountability/{second.pk}/dismiss", {"reason": "系统外已处理"})
    assert status == 200 and data["status"] == "dismissed" and data["dismiss_reason"] == "系统外已处理"
    assert sup.post(f"/accountability/{second.pk}/lift", {"note": "x"})[0] == 409
    actions_logged = list(
        AuditEntry.objects.filter(action__startswith="accountability.").values_list("action", flat=True)
    )
    assert actions_logged.count("accountability.propose") == 2
    for action in ("confirm", "lift", "dismiss"):
        assert f"accountability.{action}" in actions_logged
    confirm = AuditEntry.objects.get(action="accountability.confirm")
    assert confirm.data["attendees"] == body["attendees"] and confirm.actor == "supervisor"
    assert verify_chain()[0]
    # A leader reads, and may not decide.
    assert api("leader").post(f"/accountability/{first.pk}/lift", {"note": "x"})[0] == 403


def test_entering_by_hand_and_bad_input(county, api):
    sup = api("supervisor")
    town = county.towns[0]
    ok = {"region": town.code, "level": "listing", "trigger": "本季度矛盾纠纷化解率全县末位"}
    status, data = sup.post(
        "/accountability", {**ok, "requirement": "一月内完成整改", "deadline": "2027-01-31"}
    )
    assert status == 201, data
    assert data["status"] == "confirmed" and data["subject_name"] == town.name and data["rule"] is None
    assert AuditEntry.objects.filter(action="accountability.enter", object_id=str(data["id"])).exists()
    unit = county.town_unit(town, "centre")
    assert (
        sup.post("/accountability", {**ok, "region": None, "unit": unit.code})[1]["subject_code"] == unit.code
    )
    for bad, code, field in [
        ({"unit": unit.code}, "invalid", "region"),  # both
        ({"region": None}, "invalid", "region"),  # neither
        ({"region": "999999999"}, "invalid", "region"),
        ({"level": "warning"}, "invalid", "level"),
        ({"trigger": "  "}, "invalid", "trigger"),
        ({"deadline": "明年"}, "invalid", "deadline"),
        ({"date": "2099-01-01"}, "invalid", "date"),  # never later than today
        ({"attendees": "城关街道党工委书记 13812345678"}, "invalid", "attendees"),
    ]:
        status, data = sup.post("/accountability", {**ok, **bad})
        assert status == 400 and data["error"]["code"] == code, (bad, data)
        assert field in data["error"]["fields"] and data["error"]["message"]
    assert Entry.objects.count() == 2  # nothing half-written
    assert api("leader").post("/accountability", ok)[0] == 403
    assert api("handler").post("/accountability", ok)[0] == 403
    town_sup = Api(_user(county, "town2_sup", "supervisor", region=county.towns[1]))
    status, data = town_sup.post("/accountability", ok)
    assert status == 404 and data["error"]["code"] == "not_found"


def test_the_list_follows_the_subtree_rule_and_filters(county, api):
    _entry(county, town=0, level="listing")
    _entry(county, town=0, level="interview", unit=False)
    other = _entry(county, town=1, level="reminder")
    actions.lift(other, by=county.users["supervisor"], note="已整改")
    status, data = api("leader").get("/accountability")
    assert status == 200 and data["total"] == 3
    town_leader = Api(_user(county, "town1_leader", "leader", region=county.towns[0]))
    data = town_leader.get("/accountability")[1]
    assert data["total"] == 2 and {i["level"] for i in data["items"]} == {"listing", "interview"}
    assert api("leader").get("/accountability", status="lifted")[1]["total"] == 1
    assert (
        api("leader").get("/accountability", level="interview")[1]["items"][0]["region"]
        == county.towns[0].code
    )
    assert api("leader").get("/accountability", region=county.towns[0].code)[1]["total"] == 2
    unit = county.town_unit(county.towns[1], "centre").code
    assert api("leader").get("/accountability", unit=unit)[1]["total"] == 1
    status, data = api("leader").get("/accountability", status="open")
    assert status == 400 and data["error"]["fields"]["status"]
    assert api("handler").get("/accountability")[0] == 403
    assert town_leader.post(f"/accountability/{other.pk}/lift", {"note": "x"})[0] == 404
    assert api("supervisor").post("/accountability/99999999999999999999/lift", {"note": "x"})[0] in (400, 404)


# ---------------------------------------------------------------- record and cases


def test_the_record_is_stored_and_served_only_in_scope(county, web, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    entry = _entry(county, town=0, level="interview", attendees="县委政法委副书记、城关街道党工委书记")
    url = f"/accountability/{entry.pk}/"
    sup = web("supervisor")
    refused = sup.post(url + "upload/", {"file": SimpleUploadedFile("记录.docx", b"PK\x03\x04 not a pdf")})
    assert refused.status_code == 400 and "文件格式不支持" in refused.content.decode()
    r = sup.post(url + "upload/", {"file": SimpleUploadedFile("约谈记录.pdf", PDF, "application/pdf")})
    assert r.status_code == 302
    entry.refresh_from_db()
    assert entry.record_name == "约谈记录.pdf" and "约谈记录" not in entry.record_file.name
    assert AuditEntry.objects.filter(action="accountability.record", object_id=str(entry.pk)).exists()
    got = web("leader").get(url + "record/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    assert got["Content-Disposition"].startswith("attachment")
    assert (
        _web(_user(county, "town2_leader", "leader", region=county.towns[1])).get(url + "record/").status_code
        == 404
    )
    assert web("handler").get(url + "record/").status_code == 404  # no ledger of his: no entry
    assert web("leader").post(url + "upload/", {"file": SimpleUploadedFile("x.pdf", PDF)}).status_code == 403


def test_only_cases_the_supervisor_may_see_are_linked(county, web, api):
    mine, theirs = _case(county, 0), _case(county, 1)
    tip = _case(county, 0, stream="tip")
    entry = _entry(county, town=0)
    town_sup = _web(_user(county, "town1_sup", "supervisor", region=county.towns[0]))
    url = f"/accountability/{entry.pk}/"
    for number in (theirs.number, tip.number, "PA-000000-2000-000001"):
        r = town_sup.post(url + "link/", {"cases": f"{mine.number}, {number}"})
        assert r.status_code == 400 and "不存在或您无权查看" in r.content.decode()
    assert entry.cases.count() == 0  # all or nothing
    assert town_sup.post(url + "link/", {"cases": mine.number}).status_code == 302
    assert [c.number for c in entry.cases.all()] == [mine.number]
    page = town_sup.get(url).content.decode()
    assert mine.number in page and "取消关联" in page
    # The supervisor of the county links the other town's case; the town's leader reads only his own.
    assert web("supervisor").post(url + "link/", {"cases": theirs.number}).status_code == 302
    town_leader = Api(_user(county, "town1_leader", "leader", region=county.towns[0]))
    [item] = town_leader.get("/accountability")[1]["items"]
    assert [c["number"] for c in item["cases"]] == [mine.number]
    assert town_sup.post(url + "unlink/", {"number": mine.number}).status_code == 302
    assert [c.number for c in entry.cases.all()] == [theirs.number]
    assert AuditEntry.objects.filter(action="accountability.unlink").count() == 1


# ---------------------------------------------------------------- dashboards


def _home(client) -> str:
    r = client.get("/")
    assert r.status_code == 200
    return r.content.decode()


def test_a_confirmed_listing_shows_on_every_dashboard_in_scope_until_lifted(county, web):
    listed = _entry(county, town=0, level="listing", requirement="一月内完成整改")
    proposed = Entry.objects.create(
        unit=county.town_unit(county.towns[0], "judicial"), level="listing", trigger="x"
    )
    past = _entry(
        county, town=0, level="interview", unit=False, deadline=timezone.localdate() - timedelta(days=1)
    )
    current = _entry(
        county, town=0, level="bulletin", unit=False, deadline=timezone.localdate() + timedelta(days=9)
    )
    marker = f'data-entry="{listed.pk}"'
    for client in (web("leader"), web("supervisor"), web("dispatcher"), web("handler"), web("unit_head")):
        page = _home(client)
        assert marker in page and "问责事项" in page and "一月内完成整改" in page
        assert f'data-entry="{current.pk}"' in page
        assert f'data-entry="{proposed.pk}"' not in page and f'data-entry="{past.pk}"' not in page
    grid = _home(web("grid_worker"))  # a village's worker: his town is under accountability, not his unit
    assert f'data-entry="{current.pk}"' in grid and marker not in grid
    assert f'href="/accountability/{listed.pk}/"' in _home(web("leader"))
    assert f"/accountability/{listed.pk}/" not in _home(web("handler"))  # shown, but not his ledger to open
    town2 = _web(_user(county, "town2_leader", "leader", region=county.towns[1]))
    assert "问责事项" not in _home(town2) and "问责事项" not in _home(web("handler2"))
    actions.lift(listed, by=county.users["supervisor"], note="整改完成")
    assert marker not in _home(web("leader")) and marker not in _home(web("handler"))


def test_the_dashboard_query_runs_only_on_the_dashboard(county, web):
    _entry(county, town=0)
    client = web("leader")
    for path, expected in (("/", 1), ("/cases/", 0), ("/reports/", 0)):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        touching = [q for q in queries.captured_queries if "accountability_entry" in q["sql"]]
        assert len(touching) == expected, (path, touching)


# ---------------------------------------------------------------- pages


def test_the_pages_list_count_enter_confirm_and_show_errors(county, web):
    for _ in range(32):
        _entry(county, town=1, level="reminder")
    sup = web("supervisor")
    page = sup.get("/accountability/").content.decode()
    assert "共 <strong data-total>32</strong> 条" in page and "第 1 / 2 页" in page
    assert "第 2 / 2 页" in sup.get("/accountability/?page=2").content.decode()
    assert "共 <strong data-total>0</strong> 条" in sup.get("/accountability/?level=listing").content.decode()
    bad = sup.post(
        "/accountability/new/",
        {"subject": f"region:{county.towns[0].code}", "level": "listing", "trigger": ""},
    )
    assert bad.status_code == 400 and "请填写触发原因" in bad.content.decode()
    form = {"subject": f"region:{county.towns[0].code}", "level": "listing", "deadline": "2027-03-31"}
    form |= {"trigger": "群众安全感连续两季度全县末位", "attendees": "县委政法委副书记"}
    r = sup.post("/accountability/new/", form)
    assert r.status_code == 302
    detail = sup.get(r["Location"]).content.decode()
    assert "群众安全感连续两季度全县末位" in detail and "解除问责" in detail and "2027-03-31" in detail
    leader_view = web("leader").get(r["Location"]).content.decode()
    assert "解除问责" not in leader_view and "群众安全感" in leader_view
    assert web("handler").get("/accountability/").status_code == 403
    nav = web("leader").get("/").content.decode()
    assert 'href="/accountability/"' in nav and "问责台账" in nav
    assert "问责台账" not in web("handler").get("/cases/").content.decode()


# ---------------------------------------------------------------- demo


def test_the_demo_ledger_holds_a_listing_a_lifted_interview_and_a_proposal(county, web):
    from pingan.demo.accountability import seed_accountability
    from pingan.demo.generator import generate_cases

    generate_cases(county, 60)
    late = _case(county, 0, overdue_days=45)
    assert seed_accountability(county) >= 3
    listing = Entry.objects.get(level="listing")
    assert (
        listing.status == "confirmed"
        and listing.unit == county.town_unit(county.towns[-1], "centre")
        and listing.deadline > timezone.localdate()
    )
    assert "党（工）委书记" in listing.attendees
    interview = Entry.objects.get(level="interview")
    assert interview.status == "lifted" and interview.lift_note and interview.date < timezone.localdate()
    assert Entry.objects.filter(status="proposed", cases=late).exists()
    assert f'data-entry="{listing.pk}"' in _home(web("leader"))
    assert seed_accountability(county) == 0  # once


def test_admin_edits_a_rule_in_the_admin_audited_and_bad_parameters_are_refused(county, web):
    rule = Rule.objects.get(code="listed_overdue_30")
    form = {
        "code": rule.code, "name": rule.name, "kind": rule.kind, "level": "interview",
        "requirement": rule.requirement, "deadline_days": "20", "active": "on",
    }  # fmt: skip
    admin = web("admin")
    url = f"/admin/accountability/rule/{rule.pk}/change/"
    bad = admin.post(url, {**form, "params": '{"days": 0}'})
    assert bad.status_code == 200 and "1 到 3650 之间的整数" in bad.content.decode()
    assert admin.post(url, {**form, "params": '{"days": 45}'}).status_code == 302
    rule.refresh_from_db()
    assert rule.params == {"days": 45} and rule.level == "interview"
    assert AuditEntry.objects.filter(action="config.change", object_type="accountability.rule").exists()
    assert web("supervisor").get(url).status_code in (302, 403)  # configuration is the admin's
