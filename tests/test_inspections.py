"""Hazard inspections (GOVERNANCE §9): the place register, inspections whose findings open hazard cases
linked to the place, the re-inspection once a case is resolved, 排查覆盖率 and 整改率, 整改通知书."""

import io
from datetime import date, datetime, time, timedelta

import pypdfium2
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from docx import Document

from pingan.accounts.actions import NewAccount, create_accounts
from pingan.cases import actions as case_actions
from pingan.cases.models import Case
from pingan.core.errors import DomainError
from pingan.core.periods import parse_period
from pingan.inspections import actions, selectors
from pingan.inspections.models import Finding, InspectingUnit, Place, RiskGrade

from .conftest import JPEG, PASSWORD, Api
from .printing import assert_cjk_font, pdf_text, save_pages, to_pdf

ZONE = timezone.get_default_timezone()


def at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=ZONE)


def village(county, town=0, n=0):
    return county.villages[county.towns[town].code][n]


def place_body(county, town=0, **more):
    body = {
        "kind": "restaurant",
        "name": "老张家小吃店",
        "region": village(county, town).code,
        "address": "幸福路 18 号",
        "responsible_unit": "老张家小吃店（个体工商户）",
        "grade": "high",
        "lat": "30.930000",
        "lng": "117.810000",
    }
    body.update(more)
    return body


def new_place(county, user="handler", town=0, registered=None, **more) -> Place:
    return actions.register_place(county.users[user], place_body(county, town, **more), today=registered)


def answers(place: Place, failed=(), findings=None) -> dict:
    """Every item of the place's checklist passed, except the indexes in `failed`, each with a finding."""
    items = actions.checklist(place)
    results = [{"item": i.pk, "result": "failed" if n in failed else "passed"} for n, i in enumerate(items)]
    if findings is None:
        findings = [
            {"item": items[n].pk, "description": f"第{n + 1}项不合格：{items[n].text[:10]}"} for n in failed
        ]
    return {"results": results, "findings": findings}


def inspect(county, place, day=None, user="handler", failed=(), **more):
    day = day or timezone.localdate()
    body = {"place": place.pk, "inspected_on": day.isoformat(), **answers(place, failed), **more}
    return actions.record_inspection(county.users[user], body, now=at(day))


@pytest.fixture
def emergency(county):
    """A handler of the county's 应急管理局, listed as an 排查检查单位."""
    unit = county.units["YJJ"]
    InspectingUnit.objects.create(unit=unit)
    [user] = create_accounts(
        [
            NewAccount(
                username="yjj", password=PASSWORD, full_name="应急检查员", grants=[("handler", None, unit)]
            )
        ],
        by=None,
    )
    county.users["yjj"] = user
    return user


# ---------------------------------------------------------------- the acceptance: two findings, two cases


def test_an_inspection_with_two_findings_opens_two_hazard_cases_linked_to_the_place(county, api, web):
    status, place = api("handler").post("/inspections/places", place_body(county))
    assert status == 201, place
    assert place["next_due_on"] == (timezone.localdate() + timedelta(days=30)).isoformat(), "高风险每 30 天"
    p = Place.objects.get(pk=place["id"])
    items = actions.checklist(p)
    body = {
        "place": p.pk,
        "inspected_on": timezone.localdate().isoformat(),
        "inspectors": ["handler"],
        "results": [
            {"item": i.pk, "result": "failed" if n in (0, 6) else "passed"} for n, i in enumerate(items)
        ],
        "findings": [
            {"item": items[0].pk, "description": "灭火器过期未检", "severity": "normal"},
            {"item": items[6].pk, "description": "燃气软管老化开裂", "severity": "major"},
        ],
        "note": "店主在场",
    }
    status, out = api("handler").post("/inspections", body)
    assert status == 201, out
    assert len(out["cases"]) == 2 and out["on_schedule"] is True
    cases = {c.number: c for c in Case.objects.filter(number__in=out["cases"]).select_related("category")}
    assert len(cases) == 2
    for case in cases.values():
        assert case.stream == "hazard" and case.channel == "inspection" and case.status == "reported"
        assert case.region_id == village(county).code and case.address == "幸福路 18 号"
        assert str(case.lat) == "30.930000" and case.reported_by == county.users["handler"]
        assert case.events.filter(action="create").exists()
    gas = cases[out["cases"][1]]
    assert gas.severity == "major" and gas.category.code == "H02", "燃气 item → 燃气 category, 重大隐患"
    assert cases[out["cases"][0]].category.code == "H01"
    linked = Finding.objects.filter(inspection__place=p).values_list("case__number", flat=True)
    assert sorted(linked) == sorted(out["cases"])
    p.refresh_from_db()
    assert p.last_inspected_on == timezone.localdate()
    assert p.next_due_on == timezone.localdate() + timedelta(days=30)
    page = web("handler").get(f"/inspections/places/{p.pk}/").content.decode()
    for number in out["cases"]:
        assert number in page
    assert "灭火器过期未检" in page and "燃气软管老化开裂" in page
    # The dispatcher, who reads the case, finds the place on the case page.
    case_page = web("dispatcher").get(f"/cases/{out['cases'][0]}/").content.decode()
    assert "隐患排查" in case_page and f"/inspections/places/{p.pk}/" in case_page


def test_every_failed_item_needs_a_finding_and_every_item_a_result(county):
    place = new_place(county)
    items = actions.checklist(place)
    with pytest.raises(DomainError) as e:
        body = {
            "place": place.pk,
            "inspected_on": timezone.localdate().isoformat(),
            **answers(place, (1,), []),
        }
        actions.record_inspection(county.users["handler"], body)
    assert e.value.code == "invalid" and "没有写明发现的问题" in e.value.fields["findings"]
    body = {"place": place.pk, "inspected_on": timezone.localdate().isoformat(), **answers(place)}
    body["results"] = body["results"][:-1]
    with pytest.raises(DomainError) as e:
        actions.record_inspection(county.users["handler"], body)
    assert "检查表未填完整" in e.value.fields["results"]
    body = {"place": place.pk, "inspected_on": timezone.localdate().isoformat(), **answers(place)}
    body["findings"] = [{"item": items[0].pk, "description": "判为合格的项目不能有问题"}]
    with pytest.raises(DomainError) as e:
        actions.record_inspection(county.users["handler"], body)
    assert "findings.0.item" in e.value.fields
    assert Case.objects.filter(stream="hazard").count() == 0, "a refused inspection opens no case"


def test_an_inspection_may_not_be_dated_ahead_or_before_the_last_one(county):
    place = new_place(county, registered=timezone.localdate() - timedelta(days=20))
    inspect(county, place, day=timezone.localdate() - timedelta(days=5))
    for day, words in ((timezone.localdate() + timedelta(days=1), "晚于今天"),
                       (timezone.localdate() - timedelta(days=6), "上次检查日期")):  # fmt: skip
        body = {"place": place.pk, "inspected_on": day.isoformat(), **answers(place)}
        with pytest.raises(DomainError) as e:
            actions.record_inspection(county.users["handler"], body)
        assert words in e.value.fields["inspected_on"]


# ---------------------------------------------------------------- who


def test_town_handlers_manage_their_town_and_the_emergency_unit_the_county(county, emergency, web):
    place = new_place(county)
    other_town = place_body(county, town=1, name="柳河网吧")
    with pytest.raises(DomainError) as e:
        actions.register_place(county.users["handler"], other_town)
    assert "不在您负责排查的范围内" in e.value.fields["region"]
    assert (
        actions.register_place(county.users["handler2"], other_town).region.parent_id == county.towns[1].code
    )
    assert actions.register_place(emergency, place_body(county, town=2, name="枫林加油站")).pk
    inspect(county, place, user="yjj")
    # handler2 works in another town: the place is not there for him (404, not 403).
    assert web("handler2").get(f"/inspections/places/{place.pk}/").status_code == 404
    with pytest.raises(DomainError) as e:
        inspect(county, place, user="handler2")
    assert e.value.status == 404
    # The grid worker reads his village's places but does not inspect them.
    assert web("grid_worker").get(f"/inspections/places/{place.pk}/").status_code == 200
    assert web("grid_worker").get(f"/inspections/places/{place.pk}/inspect/").status_code == 403
    with pytest.raises(DomainError) as e:
        inspect(county, place, user="grid_worker")
    assert e.value.status == 403
    # The judicial office's handler (a town unit of another kind) and the auditor manage nothing.
    assert web("auditor").get("/inspections/").status_code == 403


def test_inspectors_named_must_work_the_place(county, emergency):
    place = new_place(county)
    done = inspect(county, place, inspectors=["yjj", "dispatcher"])
    assert sorted(done.inspectors.values_list("username", flat=True)) == ["dispatcher", "handler", "yjj"]
    with pytest.raises(DomainError) as e:
        inspect(county, Place.objects.get(pk=place.pk), inspectors=["handler2"])
    assert "不是本区域的排查人员" in e.value.fields["inspectors"]


# ---------------------------------------------------------------- re-inspection


def _walk_to_resolved(county, number: str) -> Case:
    d, h = county.users["dispatcher"], county.users["handler"]
    case = case_actions.accept_case(Case.objects.get(number=number), by=d)
    case_actions.dispatch_case(case, by=d, lead_unit=county.town_unit(county.towns[0], "centre"))
    case = case_actions.sign_case(Case.objects.get(number=number), by=h)
    evidence = case_actions.add_attachment(
        h, number, kind="evidence", name="整改后.jpg", content=JPEG, content_type="image/jpeg"
    )
    return case_actions.resolve_case(
        Case.objects.get(number=number), by=h, outcome="resolved", summary="已更换", evidence=[evidence.pk]
    )


def passed(note: str) -> dict:
    return {"rechecked_on": timezone.localdate(), "passed": True, "note": note}


@pytest.fixture
def resolved(county):
    place = new_place(county)
    done = inspect(county, place, failed=(0,))
    finding = done.findings.select_related("case").get()
    _walk_to_resolved(county, finding.case.number)
    return finding


def test_a_resolved_finding_awaits_its_recheck_on_the_place_and_in_the_list(county, web, resolved):
    assert list(selectors.pending_rechecks(county.users["handler"])) == [resolved]
    place_page = web("handler").get(f"/inspections/places/{resolved.inspection.place_id}/").content.decode()
    assert "待复查（1）" in place_page and f"/inspections/findings/{resolved.pk}/recheck/" in place_page
    listing = web("supervisor").get("/inspections/rechecks/").content.decode()
    assert resolved.case.number in listing and 'id="rechecks-total">1<' in listing


def test_a_dispatchers_passed_recheck_closes_the_case(county, resolved):
    recheck = actions.record_recheck(
        county.users["dispatcher"],
        resolved.pk,
        {"rechecked_on": timezone.localdate(), "passed": True, "note": "已更换"},
    )
    case = Case.objects.get(pk=resolved.case_id)
    assert recheck.effect == "check_pass" and case.status == "closed"
    assert "现场复查合格" in case.events.get(action="check_pass").data["note"]
    assert list(selectors.pending_rechecks(county.users["dispatcher"])) == []
    [row] = selectors.finding_rows(county.users["dispatcher"], Finding.objects.filter(pk=resolved.pk))
    assert row.state == "verified"
    with pytest.raises(DomainError) as e:  # once per resolution
        actions.record_recheck(county.users["dispatcher"], resolved.pk, passed("再查"))
    assert e.value.code == "not_awaiting_recheck" and e.value.status == 409


def test_a_failed_recheck_returns_the_case_for_rework_and_reopens_a_closed_one(county, resolved):
    d = county.users["dispatcher"]
    recheck = actions.record_recheck(d, resolved.pk, {"rechecked_on": timezone.localdate(), "passed": False,
                                                      "note": "灭火器仍未更换"})  # fmt: skip
    case = Case.objects.get(pk=resolved.case_id)
    assert recheck.effect == "check_fail" and case.status == "in_progress" and case.check_fail_count == 1
    # Resolved again, closed by the dispatcher's own 核查 before anyone went back: the recheck is due still,
    # and a failure then reopens the case.
    _resolve_again(county, case.number)
    case_actions.check_pass(Case.objects.get(pk=case.pk), by=d, note="资料核查")
    assert list(selectors.pending_rechecks(d)) == [resolved]
    recheck = actions.record_recheck(d, resolved.pk, {"rechecked_on": timezone.localdate(), "passed": False,
                                                      "note": "回头看发现反弹"})  # fmt: skip
    case.refresh_from_db()
    assert recheck.effect == "reopen" and case.status == "in_progress" and case.reopen_count == 1


def _resolve_again(county, number):
    h = county.users["handler"]
    evidence = case_actions.add_attachment(h, number, kind="evidence", name="再次整改.jpg", content=JPEG,
                                           content_type="image/jpeg")  # fmt: skip
    case_actions.resolve_case(Case.objects.get(number=number), by=h, outcome="resolved", summary="已整改",
                              evidence=[evidence.pk])  # fmt: skip


def test_a_town_handlers_recheck_is_recorded_for_the_checker_without_touching_the_case(county, web, resolved):
    recheck = actions.record_recheck(
        county.users["handler"],
        resolved.pk,
        {"rechecked_on": timezone.localdate(), "passed": True, "note": "已整改"},
    )
    case = Case.objects.get(pk=resolved.case_id)
    assert recheck.effect == "" and case.status == "resolved", "核查 stays the dispatcher's"
    assert list(selectors.pending_rechecks(county.users["handler"])) == []
    page = web("dispatcher").get(f"/cases/{case.number}/").content.decode()
    assert "复查合格" in page and "已整改" in page


def test_a_recheck_before_the_case_is_resolved_is_refused(county):
    done = inspect(county, new_place(county), failed=(0,))
    finding = done.findings.get()
    with pytest.raises(DomainError) as e:
        actions.record_recheck(county.users["dispatcher"], finding.pk, passed("x"))
    assert e.value.code == "not_awaiting_recheck"


# ---------------------------------------------------------------- 排查覆盖率 and 整改率


def test_coverage_by_town_matches_a_hand_count(county):
    """June 2025, every due day in it already past. Intervals: high 30, elevated 60, general 90, low 180.

    Town A (towns[0]):
      A1 high, registered 05-10 → due 06-09; inspected 06-05          → due, on schedule
      A2 high, registered 05-10 → due 06-09; inspected 06-20          → due, late
      A3 high, registered 05-10 → due 06-09; never inspected          → due, missed
      A4 low,  registered 05-10 → due 11-06                           → not due in June
      A5 general, registered 02-01 → due 05-02; inspected only 07-10  → overdue when June began: due, late
      → 应检查 4, 按期 1: 25%.
    Town B (towns[1]):
      B1 high, registered 05-20 → due 06-19; inspected 06-01 (early)  → due, on schedule; next due 07-01
      B2 elevated, registered 04-20 → due 06-19; inspected 06-19      → due, on schedule (on the day)
      B3 high, registered 05-01 → due 05-31; inspected 05-25 (not June's); next due 06-24; inspected 06-30
                                                                       → due, late
      → 应检查 3, 按期 2: 66.67%.
    Town C: no places → none due, no rate.
    County: 应检查 7, 按期 3 → 42.86%.

    整改率: A1's inspection found 2 problems, one of them resolved; B3's of 06-30 found one, not resolved;
    A5's of 07-10 is not in June. Town A 1 ÷ 2 = 50%, town B 0 ÷ 1, county 1 ÷ 3.
    """
    y = 2025

    def d(month, day):
        return date(y, month, day)

    def reg(town, name, grade, registered):
        user = "handler" if town == 0 else "handler2"
        return new_place(county, user=user, town=town, name=name, grade=grade, registered=registered)

    a1, a2, _a3 = (reg(0, f"A{n}", "high", d(5, 10)) for n in (1, 2, 3))
    reg(0, "A4", "low", d(5, 10))
    a5 = reg(0, "A5", "general", d(2, 1))
    b1 = reg(1, "B1", "high", d(5, 20))
    b2 = reg(1, "B2", "elevated", d(4, 20))
    b3 = reg(1, "B3", "high", d(5, 1))
    a1_done = inspect(county, a1, d(6, 5), failed=(0, 1))
    inspect(county, a2, d(6, 20))
    inspect(county, a5, d(7, 10), failed=(2,))
    inspect(county, b1, d(6, 1), user="handler2")
    inspect(county, b2, d(6, 19), user="handler2")
    inspect(county, b3, d(5, 25), user="handler2")
    inspect(county, Place.objects.get(pk=b3.pk), d(6, 30), user="handler2", failed=(0,))
    _walk_to_resolved(county, a1_done.findings.order_by("pk")[0].case.number)

    rows, total = selectors.coverage_rows(county.code, parse_period("2025-06"))
    by_town = {r.region.code: (r.due, r.on_schedule, r.coverage, r.findings, r.rectified) for r in rows}
    a, b, c = (t.code for t in county.towns)
    assert by_town[a] == (4, 1, 0.25, 2, 1)
    assert by_town[b] == (3, 2, 0.6667, 1, 0)
    assert by_town[c] == (0, 0, None, 0, 0)
    assert (total.due, total.on_schedule, total.coverage) == (7, 3, 0.4286)
    assert (total.findings, total.rectified, total.rectification_rate) == (3, 1, 0.3333)
    # A town's rows are its villages (every place above lies in the first village).
    rows, total = selectors.coverage_rows(a, parse_period("2025-06"))
    first = rows[0]
    assert (first.region.code, first.due, first.on_schedule) == (village(county).code, 4, 1)


def test_coverage_api_and_page(county, api, web):
    place = new_place(county, registered=timezone.localdate() - timedelta(days=40))  # due 10 days ago
    status, out = api("supervisor").get("/inspections/coverage", region=county.code)
    assert status == 200, out
    period = out["period"]
    first = next(r for r in out["items"] if r["region"]["code"] == county.towns[0].code)
    assert first["due"] == 1 and first["on_schedule"] == 0 and first["coverage"] == 0.0
    assert out["total"]["due"] == 1
    assert api("handler2").get("/inspections/coverage", region=county.towns[0].code)[0] == 404
    assert api("supervisor").get("/inspections/coverage", period="2025-13")[0] == 400
    page = web("leader").get("/inspections/coverage/", {"period": period}).content.decode()
    assert 'id="coverage-total">0%<' in page and county.towns[0].name in page
    inspect(county, place)
    status, out = api("supervisor").get("/inspections/coverage")
    assert out["total"]["due"] == 1 and out["total"]["on_schedule"] == 0, "inspected late is not on schedule"


# ---------------------------------------------------------------- the register


def test_places_api_lists_with_filters_in_a_fixed_number_of_queries(county, api):
    for n in range(3):
        new_place(
            county, name=f"小店{n}", kind="shop", registered=timezone.localdate() - timedelta(days=40 * n)
        )
    new_place(county, name="工地", kind="construction", grade="low")
    client = api("dispatcher")
    client.get("/inspections/places")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        status, out = client.get("/inspections/places")
    assert status == 200 and out["total"] == 4
    for n in range(6):
        new_place(county, name=f"更多{n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/inspections/places")[1]["total"] == 10
    assert len(many) == len(few), "no query per place"
    assert client.get("/inspections/places", kind="shop")[1]["total"] == 3
    overdue = client.get("/inspections/places", overdue="true")[1]
    # Registered 80 and 40 days ago, high: due 50 and 10 days ago; the earliest due first.
    assert [p["name"] for p in overdue["items"]] == ["小店2", "小店1"]
    assert overdue["items"][0]["overdue"] is True
    assert client.get("/inspections/places", grade="low")[1]["total"] == 1
    assert api("handler2").get("/inspections/places")[1]["total"] == 0, "another town's handler"
    assert api("leader").get("/inspections/places")[1]["total"] == 10


def test_places_api_create_is_strict(county, api):
    status, out = api("handler").post("/inspections/places", {**place_body(county), "owner": "张三"})
    assert status == 400
    status, out = api("handler").post("/inspections/places", place_body(county, grade="extreme"))
    assert status == 400 and "grade" in out["error"]["fields"]
    status, out = api("handler").post("/inspections/places", place_body(county, region=county.towns[0].code))
    assert status == 400 and "村（社区）" in out["error"]["fields"]["region"]
    assert api("leader").post("/inspections/places", place_body(county))[0] == 403


def test_list_page_filters_and_pins_its_queries(county, web):
    for n in range(3):
        new_place(county, name=f"网吧{n}", kind="netbar")
    client = web("dispatcher")
    client.get("/inspections/")
    with CaptureQueriesContext(connection) as few:
        page = client.get("/inspections/").content.decode()
    assert "网吧0" in page and 'id="places-total">3<' in page
    for n in range(5):
        new_place(county, name=f"旅馆{n}", kind="hotel")
    with CaptureQueriesContext(connection) as many:
        page = client.get("/inspections/").content.decode()
    assert 'id="places-total">8<' in page and len(many) == len(few)
    page = client.get("/inspections/", {"kind": "hotel"}).content.decode()
    assert "旅馆0" in page and "网吧0" not in page
    assert "隐患排查" in page, "the menu entry"


def test_a_new_grade_interval_reschedules_the_places_of_that_grade(county):
    place = new_place(county, registered=date(2025, 1, 1))
    grade = RiskGrade.objects.get(code="high")
    grade.interval_days = 15
    grade.save()
    assert actions.reschedule(grade) == 1
    place.refresh_from_db()
    assert place.next_due_on == date(2025, 1, 16)


def test_editing_a_place_moves_its_due_day_with_the_grade(county, web):
    place = new_place(county, registered=date(2025, 1, 1))
    r = web("handler").post(f"/inspections/places/{place.pk}/edit/", {**place_body(county), "grade": "low"})
    assert r.status_code == 302
    place.refresh_from_db()
    assert place.grade_id == "low" and place.next_due_on == date(2025, 6, 30)
    assert (
        web("handler2").post(f"/inspections/places/{place.pk}/edit/", place_body(county)).status_code == 404
    )


# ---------------------------------------------------------------- the UI form and the notice


def test_the_inspection_form_opens_cases_with_photos(county, web):
    place = new_place(county)
    items = actions.checklist(place)
    client = web("handler")
    assert client.get(f"/inspections/places/{place.pk}/inspect/").status_code == 200
    form = {f"result_{i.pk}": "passed" for i in items}
    form |= {f"result_{items[2].pk}": "failed", "inspected_on": timezone.localdate().isoformat()}
    r = client.post(f"/inspections/places/{place.pk}/inspect/", form)
    assert r.status_code == 400 and "没有写明发现的问题" in r.content.decode(), (
        "a failed item without a finding"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    form |= {f"finding_{items[2].pk}": "后厨插座私接多个插线板", "extra_1": "门口堆放纸箱",
             f"photos_{items[2].pk}": SimpleUploadedFile("现场.jpg", JPEG, "image/jpeg")}  # fmt: skip
    r = client.post(f"/inspections/places/{place.pk}/inspect/", form)
    assert r.status_code == 302
    findings = list(Finding.objects.filter(inspection__place=place).select_related("case").order_by("pk"))
    assert [f.description for f in findings] == ["后厨插座私接多个插线板", "门口堆放纸箱"]
    assert findings[0].case.attachments.count() == 1 and findings[1].case.attachments.count() == 0
    assert findings[1].case.category.code == "H08"


def test_the_rectification_notice_opens_in_word_and_prints_chinese(county, web, tmp_path):
    place = new_place(county, name="青石镇好再来饭店")
    done = inspect(county, place, failed=(0, 6))
    numbers = list(done.findings.order_by("pk").values_list("case__number", flat=True))
    r = web("handler").get(f"/inspections/records/{done.pk}/notice.docx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(
        [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for row in t.rows for c in row.cells]
    )
    assert "安全隐患整改通知书" in text and "青石镇好再来饭店" in text and all(n in text for n in numbers)
    assert "整改期限" in text and "复查" in text
    source = tmp_path / "notice.docx"
    source.write_bytes(r.content)
    printed = to_pdf(source, tmp_path)
    assert_cjk_font(printed)
    pdf = pypdfium2.PdfDocument(str(printed))
    flat = "".join(pdf_text(pdf).split())
    assert "安全隐患整改通知书" in flat and "青石镇好再来饭店" in flat and numbers[0] in flat
    save_pages(pdf, "inspections", "notice")
    assert web("handler2").get(f"/inspections/records/{done.pk}/notice.docx").status_code == 404


def test_pages_render_for_readers(county, web, resolved):
    client = web("leader")
    for url in ("/inspections/", "/inspections/rechecks/", "/inspections/coverage/",
                f"/inspections/places/{resolved.inspection.place_id}/"):  # fmt: skip
        r = client.get(url)
        assert r.status_code == 200, url
    assert client.get("/inspections/places/new/").status_code == 403
    assert web("handler").get("/inspections/places/new/").status_code == 200
    assert Api(county.users["leader"]).get("/inspections/places")[0] == 200


# ---------------------------------------------------------------- the demo


def test_the_demo_seeds_places_inspections_findings_and_overdue_places(county):
    from pingan.demo.inspections import seed_inspections

    places, inspections, findings = seed_inspections(county, places=60)
    assert places == 60 and inspections > 60 and findings > 5
    assert seed_inspections(county) == (0, 0, 0), "once"
    today = timezone.localdate()
    assert Place.objects.filter(next_due_on__lt=today).exists(), "some places overdue"
    assert Place.objects.filter(next_due_on__gte=today).count() > 30
    found = Case.objects.filter(stream="hazard", channel="inspection")
    statuses = set(found.values_list("status", flat=True))
    assert "closed" in statuses and statuses & {"resolved", "in_progress"}
    assert Finding.objects.count() == Case.objects.filter(stream="hazard", channel="inspection").count()
    _, total = selectors.coverage_rows(county.code, parse_period(today.strftime("%Y-%m")))
    assert total.due > 0 and 0 < total.on_schedule <= total.due
