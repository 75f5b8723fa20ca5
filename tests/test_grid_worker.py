"""The grid worker on a phone: urgency sets the clock, the report tab leads, dates carry their year, and
the case page shows where the case is — coordinates, and the town drawn small when it has an outline."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pingan.audit.models import AuditEntry
from pingan.cases.models import Case
from pingan.cases.rules import due_from
from pingan.cases.views.locator import town_locator
from pingan.demo.county import town_centre
from pingan.regions.models import Region, RegionOutline, boundary_rings

from .conftest import Api


def _text(response) -> str:
    return response.content.decode()


def _my_grid(county) -> str:
    return county.grids[county.villages[county.towns[0].code][0].code][0].code


def _report(county, web, title: str, **fields) -> Case:
    r = web("grid_worker").post(
        "/cases/grid/", {"stream": "hazard", "title": title, "region": _my_grid(county), **fields}
    )
    assert r.status_code == 302, _text(r)
    return Case.objects.get(title=title)


# ---------------------------------------------------------------- the report form


def test_an_urgent_gas_smell_gets_the_major_hazard_clock_and_is_listed(county, web):
    page = _text(web("grid_worker").get("/cases/grid/"))
    assert '<input type="radio" name="severity" value="normal" id="g-urgency" checked>' in page
    assert '<input type="radio" name="severity" value="major">' in page and "紧急" in page

    urgent = _report(county, web, "楼道内闻到燃气味", category="H02", severity="major")
    usual = _report(county, web, "楼道内燃气表箱门损坏", category="H02")
    assert urgent.severity == "major" and usual.severity == "normal"
    d = Api(county.users["dispatcher"])
    for case in (urgent, usual):
        d.act(case.number, "accept")
    urgent.refresh_from_db()
    usual.refresh_from_db()
    assert urgent.resolve_due == due_from(urgent.accepted_at, {"amount": 7, "unit": "natural_days"})
    assert usual.resolve_due == due_from(usual.accepted_at, {"amount": 15, "unit": "natural_days"})
    assert urgent.supervision_level == "listed" and usual.supervision_level == ""


def test_my_reports_show_the_full_date_with_the_year(county, web):
    case = _report(county, web, "路灯杆倾斜")
    html = _text(web("grid_worker").get("/cases/grid/"))
    assert f"{timezone.localtime(case.reported_at):%Y-%m-%d %H:%M} · {case.number}" in html


def test_report_errors_name_the_phone_forms_labels(county, web):
    other_grid = county.grids[county.villages[county.towns[1].code][0].code][0].code
    r = web("grid_worker").post("/cases/grid/", {"stream": "hazard", "title": "", "region": other_grid})
    html = _text(r)
    assert r.status_code == 400 and Case.objects.count() == 0
    assert '<a href="#g-title">标题：' in html
    assert re.search(r'<input id="g-title"[^>]*aria-invalid="true"', html)
    r = web("grid_worker").post(
        "/cases/grid/", {"stream": "hazard", "title": "井盖缺失", "region": other_grid}
    )
    html = _text(r)
    assert '<a href="#g-grid">所在网格：该区划不在您的管辖范围内</a>' in html and "地点" not in html
    assert re.search(r'<select id="g-grid"[^>]*aria-invalid="true" aria-describedby="g-grid-error"', html)


# ---------------------------------------------------------------- where the case is


def test_the_case_page_shows_coordinates_and_the_town_with_a_dot(county, web):
    lat, lng = town_centre(0)
    case = _report(county, web, "消防栓被圈占", lat=f"{lat + 0.01:.6f}", lng=f"{lng - 0.005:.6f}")
    html = _text(web("grid_worker").get(f"/cases/{case.number}/"))
    assert f"纬度 {lat + 0.01:.5f}，经度 {lng - 0.005:.5f}" in html
    svg = re.search(r"<svg .*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and county.towns[0].name in svg and '<path d="M' in svg and "<circle" in svg
    assert "http" not in svg and " style=" not in html and "<script>" not in html  # no tiles, no inline style


def test_without_an_outline_or_coordinates_the_page_says_what_it_knows(county, web):
    plain = _report(county, web, "井盖松动")
    assert "<dt>坐标</dt>" not in _text(web("grid_worker").get(f"/cases/{plain.number}/"))
    RegionOutline.objects.filter(region_id=county.towns[0].code).delete()
    located = _report(county, web, "井盖缺失", lat="30.912345", lng="117.812345")
    html = _text(web("grid_worker").get(f"/cases/{located.number}/"))
    assert "纬度 30.91235，经度 117.81235" in html and "<svg" not in html


def test_the_locator_fits_the_town_and_the_dot_in_its_drawing(county):
    lat, lng = town_centre(0)
    town = county.towns[0].code
    middle = town_locator(town + "001", Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}"))
    assert middle is not None and middle.town == county.towns[0].name
    assert abs(middle.x - middle.width / 2) < 5 and abs(middle.y - middle.height / 2) < 5
    # A point outside the outline widens the drawing so that the dot stays in it.
    away = town_locator(town, Decimal(f"{lat + 0.2:.6f}"), Decimal(f"{lng:.6f}"))
    assert away is not None and 0 <= away.x <= away.width and 0 <= away.y <= 12
    assert town_locator(town, None, Decimal("117.8")) is None
    assert town_locator(county.code, Decimal("30.9"), Decimal("117.8")) is None  # no town to draw


def test_an_outline_is_checked_before_it_is_kept(county, web):
    town = Region.objects.get(code=county.towns[0].code)
    too_few = [[[117.8, 30.9], [117.9, 30.9], [117.8, 30.9]]]
    open_ring = [[[117.8, 30.9], [117.9, 30.9], [117.9, 31], [117.8, 31]]]
    off_the_globe = [[[217.8, 30.9], [117.9, 30.9], [117.9, 31], [217.8, 30.9]]]
    bad_outlines = [
        {"type": "Point", "coordinates": [117.8, 30.9]},
        {"type": "Polygon", "coordinates": too_few},
        {"type": "Polygon", "coordinates": open_ring},
        {"type": "Polygon", "coordinates": off_the_globe},
        {"type": "Polygon", "coordinates": [["x", "y", "z", "w"]]},
        "not even an object",
    ]
    for bad in bad_outlines:
        with pytest.raises(ValidationError) as refused:
            RegionOutline(region=town, geometry=bad).full_clean(validate_unique=False)
        assert "geometry" in refused.value.message_dict
    triangle = [[117.8, 30.9], [117.9, 30.9], [117.9, 31.0], [117.8, 30.9]]
    RegionOutline(region=town, geometry={"type": "MultiPolygon", "coordinates": [[triangle]]}).full_clean(
        validate_unique=False
    )


def test_the_admin_edits_a_towns_outline_and_the_audit_log_keeps_it(county, web):
    town = Region.objects.get(code=county.towns[2].code)
    RegionOutline.objects.filter(region=town).delete()
    admin = web("admin")
    url = f"/admin/regions/region/{town.code}/change/"
    assert admin.get(url).status_code == 200
    form = {
        "code": town.code,
        "name": town.name,
        "parent": county.code,
        "outline-TOTAL_FORMS": "1",
        "outline-INITIAL_FORMS": "0",
        "outline-MIN_NUM_FORMS": "0",
        "outline-MAX_NUM_FORMS": "1",
        "outline-0-region": town.code,
    }
    r = admin.post(url, {**form, "outline-0-geometry": '{"type": "Point", "coordinates": [117.8, 30.9]}'})
    assert r.status_code == 200 and "Polygon 或 MultiPolygon" in _text(r)
    assert not RegionOutline.objects.filter(region=town).exists()
    square = (
        '{"type": "Polygon", "coordinates": [[[117.7, 30.8], [117.8, 30.8], [117.8, 30.9], [117.7, 30.8]]]}'
    )
    r = admin.post(url, {**form, "outline-0-geometry": square})
    assert r.status_code == 302, _text(r)
    assert RegionOutline.objects.get(region=town).geometry["type"] == "Polygon"
    entry = AuditEntry.objects.filter(action="config.create", object_id=town.code).latest("id")
    assert "geometry" in entry.data["changes"]


def test_the_demo_county_towns_have_outlines_around_their_cases(county):
    ring = boundary_rings(RegionOutline.objects.get(region_id=county.towns[1].code).geometry)[0]
    lat, lng = town_centre(1)
    assert ring[0] == ring[-1] and len(ring) > 8
    assert min(p[0] for p in ring) < lng - 0.02 and max(p[0] for p in ring) > lng + 0.02
    assert min(p[1] for p in ring) < lat - 0.02 and max(p[1] for p in ring) > lat + 0.02
