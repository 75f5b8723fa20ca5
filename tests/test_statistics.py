"""Imported statistics (GOVERNANCE §8, issue 12 part 7): definitions, figures per region or unit and
period, the form, the API, the Excel template and its all-or-nothing import, year-on-year and target."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from pingan.accounts.actions import create_user, grant_role
from pingan.audit.log import verify_chain
from pingan.audit.models import AuditEntry
from pingan.core.periods import parse_period
from pingan.regions.models import Region
from pingan.statistics.models import Indicator, StatisticValue
from pingan.statistics.selectors import figure, value_for

from .conftest import PASSWORD, Api


@pytest.fixture
def indicators(db):
    return {
        "fires": Indicator.objects.create(
            code="fire_count", name="火灾起数", unit="起", source="消防救援大队", target=Decimal(10)
        ),
        "deaths": Indicator.objects.create(
            code="fire_deaths", name="火灾死亡人数", unit="人", source="消防救援大队"
        ),
        "safety": Indicator.objects.create(
            code="sense_of_safety", name="群众安全感", unit="%", source="县委政法委", direction="up",
            aggregation="mean", survey=True, target=Decimal(95),
        ),
    }  # fmt: skip


def _post(api, **body):
    return api("supervisor").post("/statistics", body)


def test_posting_a_figure_stores_it_and_audits_it_and_a_correction_replaces_it(county, api, indicators):
    town = county.towns[0].code
    status, body = _post(api, indicator="fire_count", region=town, period="2026-10", value=3)
    assert status == 201 and body["value"] == "3.0000" and body["subject_name"] == county.towns[0].name
    status, body = _post(api, indicator="fire_count", region=town, period="2026-10", value="4")
    assert status == 200 and StatisticValue.objects.get().value == 4
    entries = AuditEntry.objects.filter(action="statistic.set").order_by("id")
    assert [(e.data["value"], e.data["replaced"]) for e in entries] == [
        ("3.0000", None),
        ("4.0000", "3.0000"),
    ]
    assert verify_chain()[0]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"value": -1}, "invalid", "value"),
        ({"value": "三"}, "invalid", "value"),
        ({"value": "NaN"}, "invalid", "value"),
        ({"period": "2026-13"}, "invalid_period", None),
        ({"period": "2026-W60"}, "invalid_period", None),
        ({"indicator": "no_such"}, "unknown_indicator", None),
        ({"region": "999999"}, "invalid", "region"),
        (
            {"indicator": "sense_of_safety", "value": 96},
            "invalid",
            "sample_size",
        ),  # a survey needs its sample
        ({"sample_size": 400}, "invalid", "sample_size"),  # ... and a count has none
    ],
)
def test_bad_figures_are_refused_with_a_chinese_message_and_nothing_is_stored(
    county, api, indicators, body, code, field
):
    sent = {"indicator": "fire_count", "region": county.code, "period": "2026-10", "value": 1, **body}
    status, answer = _post(api, **sent)
    assert status == 400 and answer["error"]["code"] == code
    if field:
        assert field in answer["error"]["fields"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answer["error"]["message"])
    assert not StatisticValue.objects.exists()


def test_only_supervisors_in_whose_region_the_figure_lies_may_enter_it(county, api, indicators):
    status, _ = api("leader").post(
        "/statistics", {"indicator": "fire_count", "region": county.code, "period": "2026-10", "value": 1}
    )
    assert status == 403
    town_supervisor = create_user(username="town_sup", password=PASSWORD, by=None, full_name="乡镇督导")
    grant_role(town_supervisor, "supervisor", region=county.towns[0], by=None)
    mine = Api(town_supervisor)
    ok = {"indicator": "fire_count", "period": "2026-10", "value": 1}
    assert mine.post("/statistics", {**ok, "region": county.towns[0].code})[0] == 201
    assert mine.post("/statistics", {**ok, "region": county.towns[1].code})[0] == 403
    # A unit's figure belongs to the region the unit sits in.
    other_unit = county.town_unit(county.towns[1], "centre")
    assert mine.post("/statistics", {**ok, "unit": other_unit.code})[0] == 403
    assert api("supervisor").post("/statistics", {**ok, "unit": other_unit.code})[0] == 201
    # Reading follows the same subtree rule.
    _post(api, indicator="fire_count", region=county.towns[1].code, period="2026-10", value=2)
    _, listed = mine.get("/statistics")
    assert [i["region"] for i in listed["items"]] == [county.towns[0].code] and listed["total"] == 1
    assert api("leader").get("/statistics")[1]["total"] == 3
    assert api("handler").get("/statistics")[1]["total"] == 0


def _enter(county, indicators, rows):
    """rows: (indicator key, region code, period, value, sample size)."""
    from pingan.statistics.actions import NewFigure, set_values

    figures = []
    for key, code, period, value, sample in rows:
        f = NewFigure(indicators[key], parse_period(period), Region.objects.get(code=code), None)
        f.value, f.sample_size = Decimal(value), sample
        figures.append(f)
    set_values(figures, by=county.users["supervisor"], via="form")


def test_a_region_figure_takes_its_highest_level_and_its_longest_periods(county, indicators):
    t1, t2 = (t.code for t in county.towns[:2])
    v1 = county.villages[t1][0].code
    _enter(county, indicators, [
        ("fires", t1, "2026-07", 2, None), ("fires", t1, "2026-08", 3, None),
        ("fires", t2, "2026-08", 4, None),
        ("fires", v1, "2026-08", 99, None),  # a village's own figure: inside its town's, never added to it
        ("fires", t2, "2026-Q3", 9, None),  # entered for the quarter: wins over the town's months
    ])  # fmt: skip
    fires = indicators["fires"]
    county_region = Region.objects.get(code=county.code)
    assert value_for(fires, parse_period("2026-08"), region=county.towns[0]) == 3
    assert value_for(fires, parse_period("2026-Q3"), region=county.towns[0]) == 5  # July + August
    assert value_for(fires, parse_period("2026-08"), region=county_region) == 3 + 4  # towns, not the village
    assert value_for(fires, parse_period("2026-Q3"), region=county.towns[1]) == 9
    assert value_for(fires, parse_period("2026-09"), region=county.towns[0]) is None
    assert value_for(fires, parse_period("2026-08"), region=Region.objects.get(code=v1)) == 99


def test_survey_means_weigh_by_sample_size_and_figures_compare_with_last_year_and_target(county, indicators):
    t1, t2 = (t.code for t in county.towns[:2])
    _enter(county, indicators, [
        ("safety", t1, "2026", "90", 100), ("safety", t2, "2026", "98", 300),
        ("safety", t1, "2025", "94", 400),
        ("fires", t1, "2026", 8, None), ("fires", t1, "2025", 10, None),
    ])  # fmt: skip
    county_region = Region.objects.get(code=county.code)
    safety = figure(indicators["safety"], parse_period("2026"), region=county_region)
    assert safety.value == Decimal("96.0000")  # (90 × 100 + 98 × 300) ÷ 400
    assert safety.year_ago == Decimal("94.0000") and safety.yoy == round(2 / 94, 4)
    assert safety.gap == Decimal(1) and safety.met(indicators["safety"]) is True  # up: 96 ≥ 95
    fires = figure(indicators["fires"], parse_period("2026"), region=county.towns[0])
    assert fires.yoy == -0.2 and fires.gap == -2 and fires.met(indicators["fires"]) is True  # down: 8 ≤ 10


def test_the_figure_api_answers_with_year_on_year_and_gap(county, api, indicators):
    _enter(county, indicators, [("fires", county.towns[0].code, "2026-10", 12, None)])
    status, body = api("leader").get(
        "/statistics/figure", indicator="fire_count", region=county.towns[0].code, period="2026-10"
    )
    assert status == 200
    assert body["value"] == "12.0000" and body["year_ago"] is None and body["yoy"] is None
    assert body["gap"] == "2.0000" and body["met"] is False and body["period"]["start"] == "2026-10-01"
    assert (
        api("handler").get(
            "/statistics/figure", indicator="fire_count", region=county.code, period="2026-10"
        )[0]
        == 404
    )


# ---------------------------------------------------------------- the Excel template and its import


def _workbook(rows, header=None) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(header or ["区划或单位代码", "名称", "期间", "火灾起数（起）", "火灾死亡人数（人）"])
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("消防.xlsx", out.getvalue(), content_type="application/octet-stream")


def test_the_template_lists_the_sources_indicators_and_the_towns_with_what_is_entered(
    county, web, indicators
):
    _enter(county, indicators, [("fires", county.towns[0].code, "2026-10", 5, None)])
    r = web("supervisor").get("/statistics/template/", {"source": "消防救援大队", "period": "2026-10"})
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("区划或单位代码*", "名称", "期间*", "火灾起数（起）", "火灾死亡人数（人）")
    assert [r[0] for r in rows[1:]] == [county.code, *(t.code for t in county.towns)]
    assert rows[2][2:] == ("2026-10", 5, None)


def test_an_import_with_one_bad_row_imports_nothing_and_names_the_row_and_column(county, web, indicators):
    t1, t2, t3 = (t.code for t in county.towns)
    upload = _workbook([
        [t1, "一镇", "2026-10", 3, 0],
        [t2, "二镇", "2026-10", "三起", 1],  # row 3: not a number
        [t3, "三镇", "2026-13", 1, 0],  # row 4: no such month
        ["123", "", "2026-10", 1, None],  # row 5: no such region or unit
        [t1, "一镇", "2026-10", 4, None],  # row 6: the same town and month twice
    ])  # fmt: skip
    r = web("supervisor").post("/statistics/import/", {"source": "消防救援大队", "file": upload})
    assert r.status_code == 400
    errors = [(e.row, e.column) for e in r.context["rejected"].errors]
    assert errors == [(3, "火灾起数（起）"), (4, "期间"), (5, "区划或单位代码"), (6, "")]
    html = r.content.decode()
    assert "有 4 行数据有误，本次未导入任何数据" in html and "第 3 行" in html and "火灾起数（起）" in html
    assert not StatisticValue.objects.exists()


def test_a_good_import_stores_every_figure_and_a_repeat_replaces_them(county, web, indicators):
    t1, t2 = (t.code for t in county.towns[:2])
    client = web("supervisor")
    upload = _workbook([[t1, "", "2026-10", 3, 0], [t2, "", "2026-10", 5, None]])
    r = client.post("/statistics/import/", {"source": "消防救援大队", "file": upload})
    assert r.status_code == 200 and "已导入 3 个数值" in r.content.decode()
    again = _workbook([[t1, "", "2026-10", 4, 0]])
    assert client.post("/statistics/import/", {"source": "消防救援大队", "file": again}).status_code == 200
    stored = {(v.indicator.code, v.region_id): v.value for v in StatisticValue.objects.all()}
    assert stored == {("fire_count", t1): 4, ("fire_deaths", t1): 0, ("fire_count", t2): 5}
    assert {v.via for v in StatisticValue.objects.all()} == {"import"}


def test_an_import_refuses_a_foreign_header_and_a_file_that_is_no_workbook(county, web, indicators):
    client = web("supervisor")
    foreign = _workbook(
        [[county.code, "", "2026-10", 1]], header=["区划或单位代码", "名称", "期间", "刑事案件"]
    )
    r = client.post("/statistics/import/", {"source": "消防救援大队", "file": foreign})
    assert r.status_code == 400 and "刑事案件" in r.context["file_error"].message
    junk = SimpleUploadedFile("x.xlsx", b"not a workbook")
    r = client.post("/statistics/import/", {"source": "消防救援大队", "file": junk})
    assert r.status_code == 400 and r.context["file_error"].code == "import_file_invalid"


# ---------------------------------------------------------------- the page


def test_the_page_shows_figures_by_town_with_last_year_and_the_target(county, web, indicators):
    t1 = county.towns[0].code
    _enter(county, indicators, [
        ("fires", t1, "2026-10", 12, None), ("fires", t1, "2025-10", 10, None),
        ("fires", county.towns[1].code, "2026-10", 3, None),
    ])  # fmt: skip
    r = web("leader").get("/statistics/", {"source": "消防救援大队", "period": "2026-10"})
    html = r.content.decode()
    assert r.status_code == 200 and "2026年10月" in html
    # County: 12 + 3 = 15 this October against 10 a year ago (+50.0%), 5 over the target of 10.
    assert '<td class="num">15</td>' in html and "+50.0%" in html and "未达目标（差 5）" in html
    assert county.towns[0].name in html and "填报一个数值" not in html  # leaders read, supervisors enter
    r = web("leader").get("/statistics/", {"period": "2026-13"})
    assert r.status_code == 200 and "期间“2026-13”无法识别" in r.content.decode()
    assert web("handler").get("/statistics/").status_code == 403


def test_the_form_enters_a_figure_and_shows_a_bad_value_at_once(county, web, indicators):
    client = web("supervisor")
    form = {"indicator": "fire_count", "subject": county.code, "period": "2026-11", "value": "7"}
    r = client.post("/statistics/enter/", form)
    assert r.status_code == 302 and StatisticValue.objects.get().value == 7
    r = client.post("/statistics/enter/", {**form, "value": "七"})
    assert r.status_code == 400 and "应为不小于 0 的数字" in r.content.decode()
    assert StatisticValue.objects.get().value == 7
