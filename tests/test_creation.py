"""平安创建 and 三零 (GOVERNANCE §9): programmes and checklists, the organisation register, the yearly cycle
with its steps and refusals, revocation by a veto event (an imported 命案, a 挂牌), the 三零 table, the
达标率 API and the pages."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pingan.accountability import actions as accountability
from pingan.audit.models import AuditEntry
from pingan.cases.models import Case
from pingan.cases.sweep import sweep
from pingan.core.errors import DomainError
from pingan.core.periods import make
from pingan.creation import actions, sanling, selectors
from pingan.creation.models import Application, Organisation, Programme, Status
from pingan.creation.sweep import award_due, revoke_vetoed
from pingan.demo.creation import create_programmes, seed_creation
from pingan.notices.models import Notification
from pingan.regions.models import Region
from pingan.statistics.actions import NewFigure, set_values
from pingan.statistics.models import Indicator, StatisticValue

from .conftest import JPEG, case_body

ZONE = ZoneInfo("Asia/Shanghai")
YEAR = 2026
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def programmes(county):
    return {p.code: p for p in create_programmes()}


def village(county, t=0, v=0) -> Region:
    return county.villages[county.towns[t].code][v]


def full_marks(app) -> dict:
    return {str(i.pk): i.points for i in app.programme.items.all()}


def submitted(county, programmes, t=0, v=0, year=YEAR) -> Application:
    handler = county.users["handler" if t == 0 else "handler2"]
    app = actions.start_application(
        by=handler, programme_code="safe_village", year=year, village=village(county, t, v).code
    )
    actions.save_scores(app, by=handler, scores=full_marks(app))
    actions.add_evidence(app, by=handler, name="台账.pdf", content=PDF)
    return actions.take_step(app, "submit", by=handler)


def awarded(county, programmes, v=0, year=YEAR, on=date(2026, 11, 2)) -> Application:
    app = submitted(county, programmes, v=v, year=year)
    actions.take_step(app, "review", by=county.users["unit_head"], note="实地核查属实")
    app = actions.take_step(app, "recognise", by=county.users["supervisor"], today=on)
    return actions.award(app, today=on + timedelta(days=7))


# ---------------------------------------------------------------- the cycle


def test_a_village_goes_from_self_assessment_to_award_and_every_step_is_audited(county, programmes):
    app = submitted(county, programmes)
    assert app.status == Status.SUBMITTED and app.score == 100
    app = actions.take_step(app, "review", by=county.users["unit_head"], note="材料齐全")
    assert app.status == Status.REVIEWED and app.review_note == "材料齐全"
    app = actions.take_step(app, "recognise", by=county.users["supervisor"], today=date(2026, 11, 2))
    assert app.status == Status.NOTICE
    assert (app.notice_starts, app.notice_ends) == (date(2026, 11, 2), date(2026, 11, 8))  # 7 days
    with pytest.raises(DomainError) as refused:
        actions.take_step(app, "award", by=county.users["supervisor"], today=date(2026, 11, 8))
    assert refused.value.code == "invalid_transition" and "公示期" in refused.value.message
    assert award_due(date(2026, 11, 8)) == 0  # the last day of the notice is still on notice
    assert award_due(date(2026, 11, 9)) == 1
    app.refresh_from_db()
    assert app.status == Status.AWARDED and app.awarded_at is not None
    logged = list(
        AuditEntry.objects.filter(object_type="creation.application").values_list("action", flat=True)
    )
    assert logged == [
        "creation.start", "creation.score", "creation.evidence", "creation.submit",
        "creation.review", "creation.recognise", "creation.award",
    ]  # fmt: skip


def test_a_step_from_the_wrong_state_is_409_invalid_transition_in_chinese(county, programmes, api):
    handler = county.users["handler"]
    app = actions.start_application(
        by=handler, programme_code="safe_village", year=YEAR, village=village(county).code
    )
    with pytest.raises(DomainError) as refused:
        actions.take_step(app, "review", by=county.users["unit_head"])
    assert refused.value.status == 409 and refused.value.code == "invalid_transition"
    assert refused.value.message == "该申报当前为“自评中”，不能乡镇审核通过。"
    c = api("unit_head").client
    c.force_login(county.users["unit_head"], backend="django.contrib.auth.backends.ModelBackend")
    r = c.post(f"/creation/applications/{app.pk}/steps/review/")
    assert r.status_code == 409 and "不能乡镇审核通过" in r.content.decode()


def test_submission_needs_every_item_evidence_and_the_pass_mark(county, programmes):
    handler = county.users["handler"]
    app = actions.start_application(
        by=handler, programme_code="safe_village", year=YEAR, village=village(county).code
    )
    marks = full_marks(app)
    first = next(iter(marks))
    actions.save_scores(app, by=handler, scores={first: marks[first]})
    with pytest.raises(DomainError) as refused:
        actions.take_step(app, "submit", by=handler)
    assert refused.value.code == "invalid" and "未自评打分" in refused.value.fields["scores"]
    actions.save_scores(app, by=handler, scores=marks)
    with pytest.raises(DomainError) as refused:
        actions.take_step(app, "submit", by=handler)
    assert "佐证材料" in refused.value.fields["evidence"]
    actions.add_evidence(app, by=handler, name="巡逻照片.jpg", content=JPEG)
    actions.save_scores(app, by=handler, scores={k: 0 for k in marks})
    with pytest.raises(DomainError) as refused:
        actions.take_step(app, "submit", by=handler)
    assert refused.value.code == "below_pass_mark" and refused.value.status == 409
    with pytest.raises(DomainError) as refused:
        actions.save_scores(app, by=handler, scores={first: marks[first] + 1})
    assert refused.value.code == "invalid"


def test_each_step_belongs_to_its_level_and_other_towns_do_not_see_it(county, programmes):
    app = submitted(county, programmes)
    with pytest.raises(DomainError) as refused:
        actions.take_step(app, "review", by=county.users["handler"])  # a handler, not a unit head
    assert refused.value.status == 403
    with pytest.raises(DomainError) as refused:
        actions.take_step(app, "review", by=county.users["handler2"])  # another town
    assert refused.value.status == 404
    app = actions.take_step(app, "review", by=county.users["unit_head"])
    with pytest.raises(DomainError) as refused:
        actions.take_step(app, "recognise", by=county.users["unit_head"])
    assert refused.value.status == 403
    with pytest.raises(DomainError):
        selectors.find_application(county.users["handler2"], app.pk)
    with pytest.raises(DomainError) as refused:
        actions.take_step(app, "reject", by=county.users["supervisor"])
    assert refused.value.fields == {"note": "请写明不予认定的理由（公示期间收到异议的，写明异议情况）。"}
    app = actions.take_step(app, "reject", by=county.users["supervisor"], note="复核不达标")
    assert app.status == Status.REJECTED


def test_one_application_per_subject_programme_and_year(county, programmes):
    submitted(county, programmes)
    with pytest.raises(DomainError) as refused:
        actions.start_application(
            by=county.users["handler"], programme_code="safe_village", year=YEAR, village=village(county).code
        )
    assert refused.value.code == "already_applied" and refused.value.status == 409


def test_an_organisation_programme_takes_an_organisation_of_its_kind(county, programmes):
    handler = county.users["handler"]
    school = actions.register_organisation(
        by=handler, name="城关第一小学", kind="school", region=village(county).code
    )
    market = actions.register_organisation(
        by=handler, name="城关农贸市场", kind="market", region=village(county).code
    )
    with pytest.raises(DomainError) as refused:
        actions.start_application(by=handler, programme_code="safe_campus", year=YEAR, organisation=market.pk)
    assert "学校" in refused.value.fields["organisation"]
    app = actions.start_application(
        by=handler, programme_code="safe_campus", year=YEAR, organisation=school.pk
    )
    assert app.region_id == village(county).code and app.organisation == school


# ---------------------------------------------------------------- the register


def test_supervisors_and_town_handlers_keep_the_register_of_their_own_towns(county):
    first, second = village(county, 0), village(county, 1)
    org = actions.register_organisation(
        by=county.users["handler"], name="东风卫生院", kind="hospital", region=first.code
    )
    assert AuditEntry.objects.filter(action="creation.organisation", object_id=str(org.pk)).exists()
    with pytest.raises(DomainError) as refused:
        actions.register_organisation(
            by=county.users["handler"], name="别镇中学", kind="school", region=second.code
        )
    assert refused.value.status == 403
    with pytest.raises(DomainError) as refused:
        actions.register_organisation(
            by=county.users["supervisor"], name="东风卫生院", kind="hospital", region=first.code
        )
    assert refused.value.code == "duplicate_organisation"
    actions.change_organisation(
        org,
        by=county.users["supervisor"],
        name="东风中心卫生院",
        kind="hospital",
        region=first.code,
        active=True,
    )
    change = AuditEntry.objects.get(action="creation.organisation_change")
    assert change.data["changes"] == {"name": ["东风卫生院", "东风中心卫生院"]}
    assert [o.name for o in selectors.organisations(county.users["handler2"])] == []


def test_the_register_pages_list_create_and_edit(county, web):
    c = web("supervisor")
    r = c.post(
        "/creation/organisations/", {"name": "示范中学", "kind": "school", "region": village(county).code}
    )
    assert r.status_code == 302
    org = Organisation.objects.get(name="示范中学")
    for i in range(5):
        Organisation.objects.create(name=f"企业{i}", kind="enterprise", region=village(county, 1))
    with CaptureQueriesContext(connection) as queries:
        r = c.get("/creation/organisations/")
    assert r.status_code == 200 and "示范中学" in r.content.decode() and "共 6 个单位" in r.content.decode()
    assert len(queries) <= 12, [q["sql"] for q in queries]
    r = c.post(
        f"/creation/organisations/{org.pk}/",
        {"name": "示范县实验中学", "kind": "school", "region": org.region_id},
    )
    assert r.status_code == 302
    org.refresh_from_db()
    assert org.name == "示范县实验中学" and org.active is False  # the box was not ticked: 注销
    assert web("handler2").get(f"/creation/organisations/{org.pk}/").status_code == 404


# ---------------------------------------------------------------- veto events


def test_a_village_with_an_imported_homicide_loses_its_award_automatically(
    county, programmes, api, django_capture_on_commit_callbacks
):
    app = awarded(county, programmes, year=2025, on=date(2025, 11, 2))
    other = awarded(county, programmes, v=1, year=2025, on=date(2025, 11, 2))
    with django_capture_on_commit_callbacks(execute=True):
        status, body = api("supervisor").post(
            "/statistics", {"indicator": "homicide", "region": app.region_id, "period": "2025-12", "value": 1}
        )
    assert status == 201, body
    app.refresh_from_db()
    other.refresh_from_db()
    assert app.status == Status.REVOKED and other.status == Status.AWARDED
    assert "命案起数 1起" in app.revoke_reason
    entry = AuditEntry.objects.get(action="creation.revoke")
    assert entry.actor == "system" and entry.data["reason"] == app.revoke_reason
    told = Notification.objects.filter(kind="creation_revoked")
    assert {n.recipient.username for n in told} == {"handler", "unit_head"}
    assert told.first().link == f"/creation/applications/{app.pk}/"


def test_a_homicide_in_another_year_or_village_revokes_nothing(county, programmes):
    app = awarded(county, programmes, year=2025, on=date(2025, 11, 2))
    homicide = Indicator.objects.get(code="homicide")
    figures = [NewFigure(homicide, make("month", 2026, 1), app.village, None),
               NewFigure(homicide, make("month", 2025, 5), village(county, 1), None)]  # fmt: skip
    for f in figures:
        f.value = Decimal(1)
    set_values(figures, by=county.users["supervisor"], via=StatisticValue.Via.IMPORT)
    assert revoke_vetoed() == 0
    zero = NewFigure(homicide, make("month", 2025, 6), app.village, None)
    set_values([zero], by=county.users["supervisor"], via=StatisticValue.Via.IMPORT)  # a 0 is no veto
    assert revoke_vetoed() == 0


def test_the_sweep_revokes_an_award_of_a_listed_village_and_refuses_to_recognise_one(county, programmes):
    app = awarded(county, programmes, year=2026)
    pending = submitted(county, programmes, v=1)
    actions.take_step(pending, "review", by=county.users["unit_head"])
    for v in (app.village, pending.village):
        accountability.enter(
            by=county.users["supervisor"],
            region=v,
            level="listing",
            trigger="治安问题突出",
            on=date(2026, 11, 20),
        )
    totals = sweep()
    assert totals["creation_revoked"] == 1
    app.refresh_from_db()
    assert app.status == Status.REVOKED and "被挂牌整治" in app.revoke_reason
    assert sweep()["creation_revoked"] == 0  # idempotent
    with pytest.raises(DomainError) as refused:
        actions.take_step(pending, "recognise", by=county.users["supervisor"])
    assert refused.value.code == "vetoed" and refused.value.status == 409


# ---------------------------------------------------------------- 三零


def _petition(api, county, region, reported: str, lead_unit=None, outcome="", closed=None) -> str:
    status, body = api("dispatcher").post(
        "/cases", case_body(county, stream="petition", category="P01", region=region)
    )
    assert status == 201, body
    Case.objects.filter(number=body["number"]).update(
        reported_at=datetime.fromisoformat(reported).replace(tzinfo=ZONE),
        lead_unit=lead_unit, outcome=outcome, closed_at=closed, status="closed" if closed else "dispatched",
    )  # fmt: skip
    return body["number"]


def test_sanling_reads_petitions_at_the_county_and_imported_figures_and_missing_is_unreported(county, api):
    a, b = village(county, 0, 0), village(county, 0, 1)
    bureau = county.units["XFJ"]
    town_unit = county.town_unit(county.towns[0], "centre")
    grid = county.grids[a.code][0]
    _petition(api, county, grid.code, "2026-10-10 09:00", lead_unit=bureau)  # reached the county
    _petition(api, county, b.code, "2026-10-11 09:00", lead_unit=town_unit)  # settled in the town
    resolved = datetime(2026, 10, 20, tzinfo=ZONE)
    _petition(api, county, b.code, "2026-10-12 09:00", lead_unit=bureau, outcome="resolved", closed=resolved)
    _petition(api, county, b.code, "2026-11-02 09:00", lead_unit=bureau)  # next month
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=("criminal_cases", "work_accidents"))}
    if len(indicators) < 2:
        from pingan.demo.statistics import create_indicators

        indicators = {i.code: i for i in create_indicators()}
    october = make("month", 2026, 10)
    figures = []
    for region, code, value in ((a, "criminal_cases", 0), (a, "work_accidents", 0), (b, "criminal_cases", 0)):
        f = NewFigure(indicators[code], october, region, None)
        f.value = Decimal(value)
        figures.append(f)
    set_values(figures, by=county.users["supervisor"], via=StatisticValue.Via.IMPORT)
    table = sanling.monthly(county.towns[0], october)
    rows = {r.village.code: r for r in table.rows}
    assert rows[a.code].petitions == 1 and rows[a.code].zero_petitions is False
    assert rows[a.code].zero_cases is True and rows[a.code].all_zero is False
    assert rows[b.code].petitions == 0 and rows[b.code].zero_cases is True
    assert rows[b.code].accidents is None and rows[b.code].zero_accidents is None  # 未报, not 0
    assert rows[b.code].all_zero is None and table.zero_count == 0 and table.unreported_count == 1
    set_values(
        [NewFigure(indicators["work_accidents"], october, b, None)], by=county.users["supervisor"], via="form"
    )
    assert sanling.monthly(county.towns[0], october).zero_count == 1
    page = api("supervisor").client
    page.force_login(county.users["supervisor"], backend="django.contrib.auth.backends.ModelBackend")
    r = page.get("/creation/sanling/", {"town": county.towns[0].code, "period": "2026-10"})
    assert r.status_code == 200 and "“三零”村（社区）<strong>1</strong> 个" in r.content.decode()


# ---------------------------------------------------------------- 达标率


def test_rates_for_the_county_equal_a_count_of_the_awarded_subjects(county, programmes, api):
    seed_creation(county, today=date(2026, 12, 6), seed=3)
    status, body = api("leader").get("/creation/rates", region=county.code, year="2025")
    assert status == 200, body
    villages = Region.objects.filter(code__startswith=county.code, level="village").count()
    orgs = Organisation.objects.filter(active=True)
    org_subjects = sum(
        1 for o in orgs for p in Programme.objects.filter(active=True, subject_kind="organisation")
        if p.organisation_kind in ("", o.kind)
    )  # fmt: skip
    won = Application.objects.filter(year=2025, status="awarded")
    assert body["total"] == {
        "code": county.code, "name": "示范县", "subjects": villages + org_subjects, "awarded": won.count(),
        "rate": round(won.count() / (villages + org_subjects), 4),
    }  # fmt: skip
    assert Application.objects.filter(year=2025, status="revoked").count() == 1  # the demo's 命案
    by_town = {i["code"]: i for i in body["items"]}
    assert list(by_town) == [t.code for t in county.towns]
    for town in county.towns:
        assert by_town[town.code]["awarded"] == won.filter(region__code__startswith=town.code).count()
    assert sum(i["subjects"] for i in body["items"]) == body["total"]["subjects"]
    status, only = api("leader").get(
        "/creation/rates", region=county.code, year="2025", programme="safe_village"
    )
    assert only["total"]["subjects"] == villages and only["programme"] == "safe_village"
    assert only["total"]["awarded"] == won.filter(programme__code="safe_village").count()


def test_rates_answer_stable_codes_for_bad_input_and_read_in_few_queries(county, programmes, api):
    awarded(county, programmes)
    leader = api("leader")
    status, body = leader.get("/creation/rates", region=county.towns[0].code, year="2026")
    assert status == 200 and body["total"]["awarded"] == 1
    assert [i["code"] for i in body["items"]] == [v.code for v in county.villages[county.towns[0].code]]
    assert body["items"][0]["rate"] == 1.0 and body["items"][1]["rate"] == 0.0
    assert leader.get("/creation/rates", region=county.code, year="26")[1]["error"]["code"] == "invalid_year"
    assert leader.get("/creation/rates", region="999999", year="2026")[0] == 404
    status, body = leader.get("/creation/rates", region=village(county).code, year="2026")
    assert status == 400 and body["error"]["code"] == "invalid_region"
    status, body = leader.get("/creation/rates", region=county.code, year="2026", programme="nope")
    assert status == 400 and body["error"]["code"] == "unknown_programme"
    assert api("handler2").get("/creation/rates", region=county.towns[0].code, year="2026")[0] == 404
    assert leader.get("/creation/rates", year="2026")[0] == 400
    with CaptureQueriesContext(connection) as queries:
        assert leader.get("/creation/rates", region=county.code, year="2026")[0] == 200
    assert len(queries) <= 10, [q["sql"] for q in queries]


def test_rates_of_an_empty_region_are_null_not_zero(county, api):
    status, body = api("leader").get("/creation/rates", region=county.code, year="2026")
    assert status == 200 and body["total"]["subjects"] == 0 and body["total"]["rate"] is None


# ---------------------------------------------------------------- pages


def test_the_pages_show_the_cycle_in_chinese(county, programmes, web):
    app = awarded(county, programmes)
    pending = submitted(county, programmes, v=1)
    sup = web("supervisor")
    for url, text in (
        ("/creation/?year=2026", "达标率"),
        (f"/creation/programmes/{programmes['safe_village'].pk}/", "考评细则"),
        ("/creation/applications/?year=2026", "共 2 份"),
        (f"/creation/applications/{app.pk}/", "已命名"),
        ("/creation/notice/", "公示名单"),
    ):
        r = sup.get(url)
        assert r.status_code == 200 and text in r.content.decode(), url
    unit_head = web("unit_head")
    r = unit_head.get(f"/creation/applications/{pending.pk}/")
    assert "乡镇审核通过" in r.content.decode() and "县级认定" not in r.content.decode().split("办理经过")[1]
    evidence = pending.evidence.get()
    r = unit_head.get(f"/creation/applications/{pending.pk}/evidence/{evidence.pk}/")
    assert r.status_code == 200 and r["Cache-Control"] == "private, no-store"
    assert (
        web("handler2").get(f"/creation/applications/{pending.pk}/evidence/{evidence.pk}/").status_code == 404
    )
    with CaptureQueriesContext(connection) as queries:
        assert sup.get("/creation/applications/?year=2026").status_code == 200
    assert len(queries) <= 14, [q["sql"] for q in queries]
    assert web("grid_worker").get("/creation/").status_code == 403


def test_the_handler_fills_in_through_the_pages(county, programmes, web):
    c = web("handler")
    r = c.post(
        "/creation/applications/",
        {"programme": "safe_village", "year": "2026", "village": village(county).code},
    )
    assert r.status_code == 302
    app = Application.objects.get()
    r = c.post(
        f"/creation/applications/{app.pk}/scores/", {f"item_{k}": v for k, v in full_marks(app).items()}
    )
    assert r.status_code == 302
    upload = SimpleUploadedFile("照片.jpg", JPEG, content_type="image/jpeg")
    assert c.post(f"/creation/applications/{app.pk}/evidence/", {"file": upload}).status_code == 302
    bad = SimpleUploadedFile("x.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    r = c.post(f"/creation/applications/{app.pk}/evidence/", {"file": bad})
    assert r.status_code == 400 and "文件格式不支持" in r.content.decode()
    assert c.post(f"/creation/applications/{app.pk}/steps/submit/").status_code == 302
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED and app.score == 100
    assert c.post(f"/creation/applications/{app.pk}/steps/revoke/").status_code == 404
