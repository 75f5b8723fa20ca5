"""重点地区 (GOVERNANCE §6): villages ranked by cases per 1,000 residents against the same days a year
earlier, imported 警情 per 1,000 beside them; a supervisor lists the worst as 重点整治地区 with a
deadline and delists it after 验收; the subtree rule; the dashboards; the API and the page."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pingan.accounts.actions import create_user, grant_role
from pingan.audit.models import AuditEntry
from pingan.cases.actions import create_case
from pingan.core.periods import make, period_of
from pingan.demo.focusareas import incident_indicator
from pingan.demo.statistics import create_indicators
from pingan.focusareas import actions, selectors
from pingan.focusareas.models import FocusArea
from pingan.focusareas.ranking import NO_POPULATION, rank_villages, window_for
from pingan.regions.models import Region
from pingan.statistics.actions import NewFigure, set_values

from .conftest import PASSWORD, Api, case_body

# ---------------------------------------------------------------- the hand-built county
#
# Three towns of two villages each (conftest's county). Cases are registered 40 days ago (inside the
# last twelve full months, whatever today is) and 405 days ago (inside the same months a year earlier).
#
# village  population           cases now  per 1,000           a year ago  per 1,000   yoy
# t0 v0    2000 (region)            6      6/2000*1000 = 3.0         3        1.5        (3.0-1.5)/1.5 = +1.0
# t0 v1     500 (region)            3      3/500*1000  = 6.0         1        2.0        (6.0-2.0)/2.0 = +2.0
# t1 v0    1000 (region)            3      3/1000*1000 = 3.0         0        0.0        null (no base)
# t1 v1    none                     5      unranked                  0
# t2 v0    4000 (region), but the 常住人口 statistic for the year says 2000:
#                                   2      2/2000*1000 = 1.0 (+ one 整改事项, not counted)
# t2 v1    1000 (region)            0      0.0
#
# Ranking: t0v1 6.0 → 1; t0v0 and t1v0 3.0 → 2 and 2 (a tie shares the rank); t2v0 1.0 → 4;
# t2v1 0.0 → 5; t1v1 last, without a rank and with the note.
# 警情: t0v0 has 10 imported for a month of the window → 10/2000*1000 = 5.0 per 1,000; nobody else any.


def _villages(county):
    return [v for town in county.towns for v in county.villages[town.code]]


def _register(county, village: Region, n: int, days_ago: int, stream="request"):
    by = county.users["supervisor" if stream == "rectification" else "dispatcher"]
    at = timezone.now() - timedelta(days=days_ago)
    extra = {"category": "X01", "stream": stream} if stream == "rectification" else {}
    for i in range(n):
        body = case_body(county, region=village.code, title=f"测试案件{i}", **extra)
        if stream == "rectification":
            body.pop("reporter")
        create_case(by, body, now=at)


@pytest.fixture
def hand(county):
    v = _villages(county)
    for village, population in zip(v, (2000, 500, 1000, None, 4000, 1000), strict=True):
        Region.objects.filter(code=village.code).update(population=population)
    for village, now, ago in zip(v, (6, 3, 3, 5, 2, 0), (3, 1, 0, 0, 0, 0), strict=True):
        _register(county, village, now, 40)
        _register(county, village, ago, 405)
    _register(county, v[4], 1, 40, stream="rectification")
    window = window_for()
    supervisor = county.users["supervisor"]
    create_indicators()
    population = NewFigure(_indicator("population"), make("year", window.last.year), v[4], None)
    population.value = Decimal(2000)
    incidents = NewFigure(incident_indicator(), period_of("month", window.start), v[0], None)
    incidents.value = Decimal(10)
    set_values([population, incidents], by=supervisor, via="form")
    return v


def _indicator(code):
    from pingan.statistics.models import Indicator

    return Indicator.objects.get(code=code)


def _user(username, role, region):
    user = create_user(username=username, password=PASSWORD, by=None, full_name=username)
    grant_role(user, role, region=region, by=None)
    return user


def _deadline(days=60) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


# ---------------------------------------------------------------- the ranking


def test_villages_are_ranked_by_cases_per_thousand_against_the_year_before(county, hand):
    result = selectors.ranking(county.users["supervisor"])
    assert result.scope.code == county.code and result.window.key == "12m"
    got = [
        (r.region.code, r.rank, r.cases, r.rate, r.cases_year_ago, r.rate_year_ago, r.yoy)
        for r in result.rows
    ]
    t0v0, t0v1, t1v0, t1v1, t2v0, t2v1 = (v.code for v in hand)
    assert got == [
        (t0v1, 1, 3, 6.0, 1, 2.0, 2.0),
        (t0v0, 2, 6, 3.0, 3, 1.5, 1.0),
        (t1v0, 2, 3, 3.0, 0, 0.0, None),
        (t2v0, 4, 2, 1.0, 0, 0.0, None),  # the 整改事项 is not counted
        (t2v1, 5, 0, 0.0, 0, 0.0, None),
        (t1v1, None, 5, None, 0, None, None),
    ]
    rows = {r.region.code: r for r in result.rows}
    assert rows[t2v0].population == 2000 and rows[t2v0].population_source == "statistic"
    assert rows[t0v0].population_source == "region" and rows[t1v1].note == NO_POPULATION
    assert rows[t0v0].incidents == 10 and rows[t0v0].incidents_rate == 5.0
    assert rows[t0v1].incidents is None and rows[t0v1].incidents_rate is None
    assert result.unranked == 1


def test_a_past_period_is_ranked_on_its_own_days_and_a_future_one_refused(county, hand):
    last_year = str(timezone.localdate().year - 1)
    result = selectors.ranking(county.users["leader"], period=last_year)
    assert result.window.start == date(int(last_year), 1, 1) and result.window.end == date(
        int(last_year) + 1, 1, 1
    )
    assert result.year_ago.start == date(int(last_year) - 1, 1, 1)
    with pytest.raises(Exception, match="尚未开始"):
        selectors.ranking(county.users["leader"], period=str(timezone.localdate().year + 1))


def test_a_town_leader_ranks_only_the_villages_of_his_town(county, hand):
    town = county.towns[0]
    leader = _user("town_leader", "leader", town)
    result = selectors.ranking(leader)
    assert result.scope.code == town.code
    assert [r.region.code for r in result.rows] == [hand[1].code, hand[0].code]
    assert [r.rank for r in result.rows] == [1, 2]  # ranked within his town
    for other in (county.towns[1].code, county.code, hand[2].code):
        with pytest.raises(Exception) as caught:
            selectors.ranking(leader, region=other)
        assert caught.value.status == 404
    with pytest.raises(Exception) as caught:
        selectors.ranking(county.users["handler"])  # a unit role reads no ranking
    assert caught.value.status == 403


# ---------------------------------------------------------------- listing and delisting


def test_a_supervisor_lists_a_village_once_and_delists_it_after_acceptance(county, hand):
    supervisor = county.users["supervisor"]
    area = actions.list_area(
        by=supervisor, region=hand[1].code, reason="千人发案率全县第一", deadline=_deadline()
    )
    assert area.status == "listed" and area.basis_rank == 1 and area.basis_rate == Decimal("6.00")
    audit = AuditEntry.objects.filter(action="focusareas.list").get()
    assert (
        audit.object_id == str(area.pk) and audit.data["region"] == hand[1].code and audit.data["rank"] == 1
    )
    with pytest.raises(Exception) as twice:
        actions.list_area(by=supervisor, region=hand[1].code, reason="再次列入", deadline=_deadline())
    assert twice.value.code == "invalid_transition" and twice.value.status == 409
    [row] = [r for r in selectors.ranking(supervisor).rows if r.region.code == hand[1].code]
    assert row.listed == area
    actions.delist(area, by=supervisor, note="验收合格")
    area.refresh_from_db()
    assert area.status == "delisted" and area.acceptance_note == "验收合格" and area.delisted_by == supervisor
    assert AuditEntry.objects.filter(action="focusareas.delist", object_id=str(area.pk)).exists()
    with pytest.raises(Exception) as again:
        actions.delist(area, by=supervisor, note="再次验收")
    assert again.value.code == "invalid_transition" and again.value.status == 409
    # Listed again later: the first listing stays as history.
    actions.list_area(by=supervisor, region=hand[1].code, reason="发案率反弹", deadline=_deadline())
    assert list(FocusArea.objects.filter(region=hand[1]).values_list("status", flat=True)) == [
        "listed",
        "delisted",
    ]


def test_listing_needs_a_village_a_reason_a_future_deadline_and_a_supervisor_over_it(county, hand):
    supervisor = county.users["supervisor"]
    village = hand[0].code

    def refused(by=supervisor, **fields):
        with pytest.raises(Exception) as caught:
            actions.list_area(
                by=by, **{"region": village, "reason": "理由", "deadline": _deadline(), **fields}
            )
        return caught.value.status, getattr(caught.value, "fields", {})

    assert refused(reason=" ") == (400, {"reason": "请填写列入理由。"})
    assert refused(deadline=timezone.localdate().isoformat())[1] == {"deadline": "整治期限应晚于今天。"}
    assert refused(deadline=_deadline(800))[0] == 400
    assert refused(deadline="明年")[0] == 400
    assert refused(region=county.towns[0].code)[0] == 400  # a town is not listed, its villages are
    assert refused(by=county.users["leader"])[0] == 403  # a leader reads, a supervisor keeps
    assert refused(region="110101001001")[0] == 404
    town1_supervisor = _user("town1_supervisor", "supervisor", county.towns[1])
    assert refused(by=town1_supervisor)[0] == 404  # another town's village: as if it did not exist
    area = actions.list_area(by=supervisor, region=village, reason="理由", deadline=_deadline())
    with pytest.raises(Exception) as caught:
        actions.delist(area, by=town1_supervisor, note="验收")
    assert caught.value.status == 404
    with pytest.raises(Exception) as caught:
        actions.delist(area, by=supervisor, note="")
    assert caught.value.status == 400
    assert not FocusArea.objects.exclude(pk=area.pk).exists()


def test_a_town_reader_sees_only_the_areas_of_his_town(county, hand):
    supervisor = county.users["supervisor"]
    mine = actions.list_area(by=supervisor, region=hand[0].code, reason="甲", deadline=_deadline())
    actions.list_area(by=supervisor, region=hand[2].code, reason="乙", deadline=_deadline())
    leader = _user("town_leader", "leader", county.towns[0])
    assert list(selectors.visible_areas(leader)) == [mine]
    assert selectors.visible_areas(supervisor).count() == 2
    assert not selectors.visible_areas(county.users["handler"]).exists()


# ---------------------------------------------------------------- dashboards and the page


def _home(client) -> str:
    r = client.get("/")
    assert r.status_code == 200
    return r.content.decode()


def test_a_listed_village_shows_on_the_dashboards_in_scope_until_delisted(county, hand, web):
    supervisor = county.users["supervisor"]
    area = actions.list_area(
        by=supervisor, region=hand[0].code, reason="千人发案率居前", deadline=_deadline()
    )
    marker = f'data-focus-area="{hand[0].code}"'
    for user in ("leader", "supervisor", "dispatcher", "grid_worker", "handler"):
        assert marker in _home(web(user)), user
    assert marker in web("leader").get("/cockpit/").content.decode()
    assert marker not in _home(web("handler2"))  # works in the second town
    assert f"/focus-areas/#area-{area.pk}" in _home(web("leader"))
    assert "/focus-areas/" not in _home(web("handler"))  # shown, but not his page to open
    actions.delist(area, by=supervisor, note="验收合格")
    assert marker not in _home(web("leader"))


def test_the_page_ranks_lists_and_marks_an_overdue_area(county, hand, web):
    client = web("supervisor")
    page = client.get("/focus-areas/").content.decode()
    assert "千人发案率排名" in page and f'data-village="{hand[1].code}"' in page and NO_POPULATION in page
    assert "列为重点整治地区" in page
    r = client.post(
        "/focus-areas/add/",
        {"village": hand[1].code, "reason": "千人发案率全县第一", "deadline": _deadline(), "period": "12m"},
    )
    assert r.status_code == 302 and r["Location"].startswith("/focus-areas/?period=12m#area-")
    area = FocusArea.objects.get()
    r = client.post("/focus-areas/add/", {"village": hand[1].code, "reason": "再次", "deadline": _deadline()})
    assert r.status_code == 409 and "不能重复列入" in r.content.decode()
    FocusArea.objects.filter(pk=area.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    page = client.get("/focus-areas/").content.decode()
    assert "data-overdue" in page and "验收摘牌" in page
    leader_page = web("leader").get("/focus-areas/").content.decode()
    assert "data-overdue" in leader_page and "验收通过，摘牌" not in leader_page  # leaders read only
    r = client.post(f"/focus-areas/{area.pk}/delist/", {"note": "验收合格，同意摘牌"})
    assert r.status_code == 302
    assert "验收合格，同意摘牌" in client.get("/focus-areas/").content.decode()
    assert web("handler").get("/focus-areas/").status_code == 403
    assert web("handler").post(f"/focus-areas/{area.pk}/delist/", {"note": "x"}).status_code == 404


def test_the_menu_offers_the_page_to_leaders_and_supervisors(county, web):
    assert 'href="/focus-areas/"' in _home(web("leader"))
    assert 'href="/focus-areas/"' not in _home(web("handler"))


# ---------------------------------------------------------------- the API


def test_the_api_ranks_lists_and_delists(county, hand):
    api = Api(county.users["supervisor"])
    status, data = api.get("/focus-areas/ranking")
    assert status == 200 and data["scope"]["code"] == county.code and data["period"]["key"] == "12m"
    top = data["rows"][0]
    assert (
        top["region"]["code"] == hand[1].code
        and top["rank"] == 1
        and top["rate"] == 6.0
        and top["yoy"] == 2.0
    )
    assert (
        data["rows"][-1]["rank"] is None
        and data["rows"][-1]["note"] == NO_POPULATION
        and data["unranked"] == 1
    )
    status, town = api.get("/focus-areas/ranking", region=county.towns[0].code, period="12m")
    assert status == 200 and [r["rank"] for r in town["rows"]] == [1, 2]
    assert api.get("/focus-areas/ranking", period="2026-13")[0] == 400
    body = {"region": hand[1].code, "reason": "千人发案率全县第一", "deadline": _deadline()}
    status, area = api.post("/focus-areas", body)
    assert (
        status == 201 and area["status"] == "listed" and area["basis_rank"] == 1 and area["overdue"] is False
    )
    status, again = api.post("/focus-areas", body)
    assert status == 409 and again["error"]["code"] == "invalid_transition"
    status, page = api.get("/focus-areas", status="listed")
    assert status == 200 and page["total"] == 1 and page["items"][0]["id"] == area["id"]
    assert api.get("/focus-areas/ranking")[1]["rows"][0]["listed"]["id"] == area["id"]
    status, done = api.post(f"/focus-areas/{area['id']}/actions/delist", {"note": "验收合格"})
    assert status == 200 and done["status"] == "delisted" and done["acceptance_note"] == "验收合格"
    assert api.post(f"/focus-areas/{area['id']}/actions/delist", {"note": "x"})[0] == 409
    assert api.post("/focus-areas/99999999/actions/delist", {"note": "x"})[0] == 404
    assert api.get("/focus-areas", status="nonsense")[0] == 400


def test_the_api_refuses_outsiders_and_readers_who_do_not_keep_the_list(county, hand):
    area = actions.list_area(
        by=county.users["supervisor"], region=hand[0].code, reason="甲", deadline=_deadline()
    )
    leader, handler = Api(county.users["leader"]), Api(county.users["handler"])
    assert (
        leader.post("/focus-areas", {"region": hand[1].code, "reason": "乙", "deadline": _deadline()})[0]
        == 403
    )
    assert leader.post(f"/focus-areas/{area.pk}/actions/delist", {"note": "x"})[0] == 403
    assert handler.get("/focus-areas/ranking")[0] == 403 and handler.get("/focus-areas")[0] == 403
    assert handler.post(f"/focus-areas/{area.pk}/actions/delist", {"note": "x"})[0] == 404
    town1 = Api(_user("town1_leader", "leader", county.towns[1]))
    assert town1.get("/focus-areas")[1]["total"] == 0
    assert town1.get("/focus-areas/ranking", region=county.towns[0].code)[0] == 404


def test_the_ranking_costs_the_same_few_queries_however_many_villages(county, hand):
    api = Api(county.users["supervisor"])
    actions.list_area(by=county.users["supervisor"], region=hand[0].code, reason="甲", deadline=_deadline())
    assert api.get("/focus-areas/ranking")[0] == 200  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert api.get("/focus-areas/ranking")[0] == 200
    town = county.towns[0]
    for i in range(5):
        Region.objects.create(code=f"{town.code}{300 + i:03d}", name=f"新村{i}", parent=town, population=900)
    with CaptureQueriesContext(connection) as more:
        status, data = api.get("/focus-areas/ranking")
    assert status == 200 and len(data["rows"]) == 11
    assert len(more) == len(few) == 11, [q["sql"][:90] for q in more.captured_queries]
    actions.list_area(by=county.users["supervisor"], region=hand[1].code, reason="乙", deadline=_deadline())
    with CaptureQueriesContext(connection) as listed:
        assert api.get("/focus-areas")[1]["total"] == 2
    assert len(listed) == 4, "\n".join(q["sql"][:150] for q in listed.captured_queries)


# ---------------------------------------------------------------- the demo


def test_the_demo_lists_the_two_worst_villages_and_has_one_delisted(db, capsys):
    from django.core.management import call_command

    call_command("seed", "--cases", "300", "--towns", "2")
    assert "列为重点整治地区" in capsys.readouterr().out
    villages = Region.objects.filter(level="village")
    assert villages.filter(population__isnull=False).count() >= villages.count() - 2
    assert all(v.population is None or 650 <= v.population <= 7800 for v in villages)
    listed = list(FocusArea.objects.filter(status="listed").order_by("basis_rank"))
    assert sum(selectors.overdue(a) for a in listed) == 1
    assert FocusArea.objects.filter(status="delisted").exclude(acceptance_note="").count() == 1
    county_region = Region.objects.get(level="county")
    result = rank_villages(county_region, window_for())
    assert any(r.incidents is not None for r in result.rows)  # the 派出所's village 警情
    assert {a.region_id for a in listed} == {r.region.code for r in result.rows[:2]}
