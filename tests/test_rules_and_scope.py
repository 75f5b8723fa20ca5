"""Configuration as data: most specific rules win; grants cover their subtrees."""

from datetime import date, timedelta

from pingan.accounts.models import RoleGrant, User
from pingan.cases.models import Case, Category, RoutingRule, TimeLimitRule
from pingan.cases.rules import suggest_lead_unit, time_limit

from .conftest import Api, case_body


def test_town_routing_rule_beats_the_county_rule(county):
    cat = Category.objects.get(code="D10")  # 劳动争议: county-wide to 人社局
    town, village = county.towns[0], county.villages[county.towns[0].code][0]
    assert suggest_lead_unit(cat, village.code, date(2026, 11, 2)) == county.units["RSJ"]
    judicial = county.town_unit(town, "judicial")
    RoutingRule.objects.create(category=cat, region=town, lead_unit=judicial)
    assert suggest_lead_unit(cat, village.code, date(2026, 11, 2)) == judicial
    assert (
        suggest_lead_unit(cat, county.villages[county.towns[1].code][0].code, date(2026, 11, 2))
        == county.units["RSJ"]
    )


def test_routing_rules_respect_effective_dates(county):
    cat = Category.objects.get(code="D10")
    town, village = county.towns[0], county.villages[county.towns[0].code][0]
    judicial = county.town_unit(town, "judicial")
    RoutingRule.objects.create(category=cat, region=town, lead_unit=judicial, effective_from=date(2027, 1, 1))
    assert suggest_lead_unit(cat, village.code, date(2026, 12, 31)) == county.units["RSJ"]
    assert suggest_lead_unit(cat, village.code, date(2027, 1, 1)) == judicial


def test_category_and_severity_rules_beat_the_stream_default(county):
    case = Case(stream="hazard", category=Category.objects.get(code="H02"), severity="normal")
    assert (time_limit(case, "resolve", date(2026, 11, 2)).amount, case.severity) == (15, "normal")
    case.severity = "major"
    assert time_limit(case, "resolve", date(2026, 11, 2)).amount == 7
    TimeLimitRule.objects.create(
        stream="hazard",
        category=case.category,
        step="resolve",
        amount=3,
        unit="natural_days",
        effective_from=date(2026, 11, 1),
    )
    assert time_limit(case, "resolve", date(2026, 11, 2)).amount == 3
    assert time_limit(case, "resolve", date(2026, 10, 31)).amount == 7


def test_a_grant_on_a_department_covers_the_units_below_it(county):
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county, stream="dispute", category="D13", title="交通事故赔偿纠纷"))[
        1
    ]["number"]
    d.act(number, "accept")
    police_station = county.town_unit(county.towns[0], "police")
    d.act(number, "dispatch", {"lead_unit": police_station.code})
    chief = User.objects.create_user("chief", password="x" * 10)
    RoleGrant.objects.create(user=chief, role="unit_head", unit=county.units["GAJ"])
    assert Api(chief).get(f"/cases/{number}")[0] == 200
    other = User.objects.create_user("other", password="x" * 10)
    RoleGrant.objects.create(user=other, role="unit_head", unit=county.units["RSJ"])
    assert Api(other).get(f"/cases/{number}")[0] == 404


def test_grid_worker_sees_own_grid_and_own_reports(county):
    grid_worker = Api(county.users["grid_worker"])
    village = county.villages[county.towns[0].code][0]
    grid = county.grids[village.code][0]
    body = case_body(county, stream="grid_event", category="G02", region=grid.code, title="垃圾堆放")
    mine = grid_worker.post("/cases", body)[1]["number"]
    d = Api(county.users["dispatcher"])
    elsewhere = d.post("/cases", case_body(county, region=county.villages[county.towns[1].code][0].code))[1][
        "number"
    ]
    # Moved out of the worker's grid by the dispatcher, the report stays visible to its reporter.
    d.act(mine, "update", {"region": county.villages[county.towns[1].code][1].code})
    numbers = [c["number"] for c in grid_worker.get("/cases")[1]["items"]]
    assert mine in numbers and elsewhere not in numbers
    assert grid_worker.get(f"/cases/{elsewhere}")[0] == 404


def test_leader_supervises_and_the_flag_filters(county):
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county))[1]["number"]
    other = d.post("/cases", case_body(county, title="另一件"))[1]["number"]
    leader = Api(county.users["leader"])
    assert (
        leader.act(
            number, "supervise", {"level": "listed", "requirement": "每周报告进展", "report_every_days": 7}
        )["supervision_level"]
        == "listed"
    )
    assert [c["number"] for c in d.get("/cases", supervised="true")[1]["items"]] == [number]
    assert other in [c["number"] for c in d.get("/cases", supervised="false")[1]["items"]]
    # A handler cannot supervise.
    assert leader.get(f"/cases/{number}")[1]["allowed_actions"] == ["supervise", "lift_supervision"]


def test_created_date_filters(county):
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county))[1]["number"]
    reported = Case.objects.get(number=number).reported_at
    after = (reported - timedelta(minutes=1)).isoformat()
    before = (reported - timedelta(seconds=1)).isoformat()
    assert [c["number"] for c in d.get("/cases", created_after=after)[1]["items"]] == [number]
    assert d.get("/cases", created_before=before)[1]["items"] == []


def test_region_codes_are_validated(county):
    from django.core.exceptions import ValidationError

    from pingan.regions.models import Region

    town = county.towns[0]
    bad = ("99012200", "990122001x01", "990199001001", "990122")
    for code, parent in ((c, town) for c in bad):
        try:
            Region(code=code, name="测试", parent=parent).full_clean(exclude=["level"])
        except ValidationError:
            continue
        raise AssertionError(f"{code} under {parent.code} should be rejected")
    Region(code=town.code + "099", name="新社区", parent=town).full_clean(exclude=["level"])
