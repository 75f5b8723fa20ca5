"""GET /api/v1/kpis and /kpis/breakdown: the figures of what the caller may see, errors as values."""

from pingan.accounts.models import RoleGrant, User
from tests.conftest import Api
from tests.test_kpis import world  # noqa: F401 (the hand-built county of March 2025)


def test_leader_gets_the_county_by_default(world, api):  # noqa: F811
    status, body = api("leader").get("/kpis", period="2025-03")
    assert status == 200
    assert body["scope"] == {"region": "990122", "name": "示范县"}
    assert body["period"] == {"key": "2025-03", "start": "2025-03-01", "end": "2025-03-31"}
    assert body["values"]["reported"] == 4 and body["values"]["closed_rate"] == 0.6667
    assert body["values"]["backlog_resolution_rate"] is None


def test_a_stream_narrows_the_figures(world, api):  # noqa: F811
    _, disputes = api("leader").get("/kpis", period="2025-03", stream="dispute")
    _, requests = api("leader").get("/kpis", period="2025-03", stream="request")
    assert (disputes["values"]["reported"], requests["values"]["reported"]) == (3, 1)  # c6 is a request


def test_breakdown_by_town_adds_up_to_the_county(world, api):  # noqa: F811
    status, body = api("supervisor").get("/kpis/breakdown", period="2025-Q1", by="town")
    assert status == 200
    assert [r["town"] for r in body["rows"]] == [t.code for t in world.c.towns]
    reported = [r["values"]["reported"] for r in body["rows"]]
    assert reported == [3, 2, 0]  # town A: c1, c2, c6; town B: c3, c4
    assert body["rows"][2]["values"]["closed_rate"] is None  # nothing due: null, not 0 %
    _, county = api("supervisor").get("/kpis", period="2025-Q1")
    assert sum(reported) == county["values"]["reported"]


def test_breakdown_by_unit_lists_the_units_of_the_region(world, api):  # noqa: F811
    status, body = api("leader").get("/kpis/breakdown", period="2025-Q1", by="unit", region=world.town_a.code)
    assert status == 200
    rows = {r["unit"]: r for r in body["rows"]}
    assert world.sfj.code not in rows  # seated in the county, not in town A
    assert rows[world.centre_a.code]["values"]["closed"] == 1  # c1
    assert rows[world.centre_a.code]["name"] == world.centre_a.name


def test_a_handler_sees_his_units_only(world, api):  # noqa: F811
    handler = api("handler")
    status, body = handler.get("/kpis", period="2025-03")
    assert status == 200 and "unit" in body["scope"]  # no region grant: his first unit by default
    assert handler.get("/kpis", period="2025-03", unit=world.centre_a.code)[0] == 200
    assert handler.get("/kpis", period="2025-03", unit=world.sfj.code)[0] == 404
    assert handler.get("/kpis", period="2025-03", region="990122")[0] == 404
    assert handler.get("/kpis/breakdown", period="2025-03", by="town")[0] == 404


def test_a_town_leader_sees_his_town_and_not_the_next(world, api):  # noqa: F811
    user = User.objects.create_user("town_leader")
    RoleGrant.objects.create(user=user, role="leader", region=world.town_b)
    town = Api(user)
    status, body = town.get("/kpis", period="2025-03")
    assert status == 200 and body["scope"]["region"] == world.town_b.code
    assert body["values"]["reported"] == 1  # c3
    status, body = town.get("/kpis", period="2025-03", region=world.town_a.code)
    assert (status, body["error"]["code"]) == (404, "not_found")
    assert town.get("/kpis/breakdown", period="2025-03", by="town")[1]["rows"][0]["town"] == world.town_b.code


def test_roles_without_figures_get_404(world, api):  # noqa: F811
    for username in ("admin", "auditor", "grid_worker"):
        assert api(username).get("/kpis", period="2025-03")[0] == 404


def test_bad_input_is_a_400_with_a_code_and_a_chinese_message(world, api):  # noqa: F811
    leader = api("leader")
    grid = world.c.grids[world.c.villages[world.town_a.code][0].code][0].code
    cases = [
        ({"period": "2025-13"}, "invalid_period"),
        ({"period": "2025-W54"}, "invalid_period"),
        ({"period": "March"}, "invalid_period"),
        ({"period": "2025-Q5"}, "invalid_period"),
        ({"period": "2025-03", "region": "999999"}, "invalid_region"),
        ({"period": "2025-03", "region": grid}, "region_too_fine"),
        ({"period": "2025-03", "unit": "NOPE"}, "invalid_unit"),
        ({"period": "2025-03", "stream": "gossip"}, "invalid_stream"),
        ({"period": "2025-03", "region": "990122", "unit": world.sfj.code}, "invalid_scope"),
    ]
    for params, code in cases:
        status, body = leader.get("/kpis", **params)
        assert (status, body["error"]["code"]) == (400, code), params
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]["message"])
    status, body = leader.get("/kpis/breakdown", period="2025-03", by="grid")
    assert (status, body["error"]["code"]) == (400, "invalid_breakdown")
    assert leader.get("/kpis")[0] == 400  # the period is required


def test_kpis_take_a_fixed_number_of_queries(world, api, django_assert_max_num_queries):  # noqa: F811
    leader = api("leader")
    # The first read of an ended quarter also keeps each month's sums (a few cache writes a month).
    with django_assert_max_num_queries(35):
        assert leader.get("/kpis", period="2025-Q1")[0] == 200
    # Kept sums, then the stocks: the net and the changes dated after, one read per measure.
    with django_assert_max_num_queries(11):
        assert leader.get("/kpis", period="2025-Q1")[0] == 200
    with django_assert_max_num_queries(35):
        assert leader.get("/kpis/breakdown", period="2025-Q1", by="unit")[0] == 200
    with django_assert_max_num_queries(12):
        assert leader.get("/kpis/breakdown", period="2025-Q1", by="unit")[0] == 200
