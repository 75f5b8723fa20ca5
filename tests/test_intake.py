"""Staff intake (登记案件): the similar-case check, and errors told by the form's own labels."""

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from pingan.cases.models import Case
from pingan.cases.similar import Probe, distance_m, similar_open_cases
from pingan.cases.views.intake import chosen_region

from .conftest import Api, case_body

# Two points about 100 m apart in the test county, and one about 2.2 km from both.
HERE = (Decimal("30.900000"), Decimal("117.800000"))
NEAR = (Decimal("30.900900"), Decimal("117.800000"))
FAR = (Decimal("30.920000"), Decimal("117.800000"))


def _text(response) -> str:
    return response.content.decode()


def _report(county, title: str, *, village=None, at=None, **fields) -> str:
    region = (village or county.villages[county.towns[0].code][0]).code
    number = Api(county.users["dispatcher"]).post("/cases", case_body(county, title=title, region=region))[1][
        "number"
    ]
    changes = dict(fields)
    if at is not None:
        changes["reported_at"] = at
    if changes:
        Case.objects.filter(number=number).update(**changes)
    return number


# ---------------------------------------------------------------- the selector


def test_similar_cases_are_open_recent_in_the_village_and_ranked_by_title(county):
    village = county.villages[county.towns[0].code][0]
    close = _report(county, "幸福小区路灯又坏")
    closer = _report(county, "小区路灯又坏了")
    loose = _report(county, "小区门口路灯闪烁")
    _report(county, "小区邻里因停车发生争执")  # shares only 小区: too little to count
    _report(county, "小区路灯又坏了", at=timezone.now() - timedelta(days=31))  # too old
    _report(county, "小区路灯又坏了", status="closed")  # no longer open
    _report(county, "小区路灯又坏了", village=county.villages[county.towns[0].code][1])  # next village
    found = similar_open_cases(county.users["dispatcher"], Probe(title="小区路灯又坏了", region=village.code))
    assert [s.number for s in found] == [closer, close, loose]
    assert found[0].score > found[1].score and found[0].status_label == "登记" and found[0].distance_m is None
    assert [r.code for r in found[0].reasons] == ["title", "village", "time"]
    # A grid code narrows to its village; a town code (before a village is picked) widens to the town.
    dispatcher = county.users["dispatcher"]
    in_grid = similar_open_cases(dispatcher, Probe(title="小区路灯又坏了", region=village.code + "001"))
    assert [s.number for s in in_grid] == [closer, close, loose]
    town_wide = similar_open_cases(
        county.users["dispatcher"], Probe(title="小区路灯又坏了", region=village.code[:9])
    )
    assert len(town_wide) == 4
    # Only what the user may see: handler2 works in another town.
    assert (
        similar_open_cases(county.users["handler2"], Probe(title="小区路灯又坏了", region=village.code)) == []
    )


def test_with_coordinates_only_cases_nearby_count_and_their_distance_shows(county):
    village = county.villages[county.towns[0].code][0]
    near = _report(county, "幸福小区路灯损坏", lat=NEAR[0], lng=NEAR[1])
    _report(county, "幸福小区路灯损坏了", lat=FAR[0], lng=FAR[1])
    unplaced = _report(county, "幸福小区路灯坏了")
    probe = Probe(title="幸福小区路灯损坏", region=village.code, lat=HERE[0], lng=HERE[1])
    found = similar_open_cases(county.users["dispatcher"], probe)
    assert [s.number for s in found] == [near, unplaced]
    assert found[0].distance_m == 100 and found[1].distance_m is None
    assert 99 < distance_m(*HERE, *NEAR) < 101 and 2100 < distance_m(*HERE, *FAR) < 2300


def test_among_equal_titles_the_same_category_comes_first(county):
    village = county.villages[county.towns[0].code][0]
    other = _report(county, "幸福小区路灯损坏")
    Case.objects.filter(number=other).update(category=None)
    same = _report(county, "幸福小区路灯损坏")  # category R02, as case_body gives
    probe = Probe(title="幸福小区路灯损坏", region=village.code, category="R02")
    found = similar_open_cases(county.users["dispatcher"], probe)
    assert [s.number for s in found] == [same, other]


def test_the_pickers_region_is_the_most_specific_that_hangs_together():
    assert chosen_region(["990122001", "990122001001", ""]) == "990122001001"
    # Just after the town changed, the village picker still holds a village of the previous town.
    assert chosen_region(["990122002", "990122001001", "990122001001001"]) == "990122002"
    assert chosen_region(["", "", ""]) == "" and chosen_region(["abc", "990122001"]) == "990122001"


# ---------------------------------------------------------------- the endpoint


def test_the_warning_names_number_title_status_date_and_distance(county, web):
    village = county.villages[county.towns[0].code][0]
    number = _report(county, "幸福小区路灯损坏", lat=NEAR[0], lng=NEAR[1])
    page = web("dispatcher")
    html = _text(
        page.get(
            "/cases/similar/",
            {
                "title": "小区路灯坏了",
                "region": [village.code[:9], village.code, ""],
                "category": "R02",
                "lat": str(HERE[0]),
                "lng": str(HERE[1]),
            },
        )
    )
    assert f'href="/cases/{number}/"' in html and "幸福小区路灯损坏" in html and "登记" in html
    assert timezone.localtime().strftime("%Y-%m-%d") in html and "相距约 100 米" in html
    assert "同一村（社区）" in html and "500 米以内" in html
    town_only = _text(
        page.get("/cases/similar/", {"title": "小区路灯坏了", "region": [village.code[:9], "", ""]})
    )
    assert number in town_only and "同一乡镇（街道）" in town_only
    # Bad coordinates are ignored, not a 500.
    r = page.get(
        "/cases/similar/", {"title": "小区路灯坏了", "region": village.code, "lat": "1e999", "lng": "x"}
    )
    assert r.status_code == 200 and number in _text(r)
    assert _text(page.get("/cases/similar/", {"title": "", "region": village.code})).strip() == ""


def test_the_form_asks_again_when_title_description_place_or_category_change(county, web):
    html = _text(web("dispatcher").get("/cases/new/"))
    similar = re.search(r'<div id="similar"[^>]*>', html).group(0)
    for trigger in (
        "from:#i-title",
        "change from:#i-town",
        "change from:#i-village",
        "change from:#i-category",
    ):
        assert trigger in similar
    assert "change from:#i-description" in similar and "change from:#i-address" in similar
    assert (
        'hx-include="#i-title, #i-description, [name=region], #i-category, #i-address, #i-lat, #i-lng"'
        in similar
    )
    # One request at a time and the latest one last: no answer about an older title arrives after a
    # newer one, and none is aborted half-way.
    assert 'hx-sync="this:queue last"' in similar
    assert "hx-get" not in re.search(r'<input id="i-title"[^>]*>', html).group(0)


# ---------------------------------------------------------------- errors by label


def test_an_empty_submit_names_and_marks_the_fields_by_their_labels(county, web):
    r = web("dispatcher").post("/cases/new/", {"stream": "dispute", "title": "", "region": ["", "", ""]})
    html = _text(r)
    assert r.status_code == 400
    summary = re.search(r'<div class="card error-summary".*?</div>', html, re.S).group(0)
    assert '<a href="#i-title">标题：此项必填</a>' in summary
    assert '<a href="#i-town">乡镇（街道）：此项必填</a>' in summary
    assert "地点" not in summary
    for field_id in ("i-title", "i-town"):
        control = re.search(rf'<(input|select) id="{field_id}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in control and f'aria-describedby="{field_id}-error"' in control
        assert f'<p class="field-error" id="{field_id}-error">此项必填</p>' in html
    assert 'aria-invalid="true"' not in re.search(r'<textarea id="i-description"[^>]*>', html).group(0)


def test_a_refused_value_keeps_the_rest_of_the_form(county, web):
    town = county.towns[0]
    village = county.villages[town.code][1]
    r = web("dispatcher").post(
        "/cases/new/",
        {"stream": "dispute", "title": "邻里纠纷", "region": [town.code, village.code, ""],
         "reporter_name": "李四", "reporter_phone": "12345", "party0_name": "张三",
         "party1_name": "王五", "party1_phone": "999", "party1_role": "respondent"},
    )  # fmt: skip
    html = _text(r)
    assert r.status_code == 400 and Case.objects.count() == 0
    assert '<a href="#i-rphone">反映人 联系电话：' in html and '<a href="#p1-phone">当事人 2 电话：' in html
    assert re.search(r'<input id="p1-phone"[^>]*aria-invalid="true"', html)
    assert '<details class="more" open>' in html  # the second party's fields are shown, not folded away
    # With the first fieldset left blank, the second party is the payload's first: still named 当事人 2.
    r = web("dispatcher").post(
        "/cases/new/",
        {"stream": "dispute", "title": "邻里纠纷", "region": [town.code, village.code, ""],
         "party1_name": "王五", "party1_phone": "999"},
    )  # fmt: skip
    assert '<a href="#p1-phone">当事人 2 电话：' in _text(r) and "当事人 1 电话" not in _text(r)
    assert re.search(rf'<option value="{town.code}" selected>', html)
    assert re.search(rf'<option value="{village.code}" selected>', html)
    assert 'value="王五"' in html and '<option value="respondent" selected>' in html


def test_typed_coordinates_are_kept_to_six_decimals_and_nonsense_is_named(county, web):
    village = county.villages[county.towns[0].code][0]
    form = {"stream": "request", "title": "路灯不亮", "region": [village.code[:9], village.code, ""]}
    page = web("dispatcher")
    r = page.post("/cases/new/", {**form, "lat": "30.91234567", "lng": "117.8123456"})
    assert r.status_code == 302
    case = Case.objects.get(title="路灯不亮")
    assert case.lat == Decimal("30.912346") and case.lng == Decimal("117.812346")
    for lat in ("北纬30度", "NaN", "1e999", "95"):
        r = page.post("/cases/new/", {**form, "lat": lat, "lng": "117.8"})
        assert r.status_code == 400, lat
        assert '<a href="#i-lat">纬度：' in _text(r)
