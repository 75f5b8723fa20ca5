"""Scoring schemes, rankings and the ranking API (GOVERNANCE §3, issue 12 part 3): the maths worked out by
hand, ties and rank changes, effective dates, scope, errors, and the accountability rule on the real
ranking."""

import io
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from pingan.accountability.models import Entry
from pingan.accounts.models import RoleGrant, User
from pingan.assessment.models import Deduction, Item, Scheme, Veto
from pingan.assessment.ranking import provider, ranking
from pingan.assessment.scoring import competition_ranks, grade_for, score
from pingan.audit.models import AuditEntry
from pingan.core.periods import make, parse_period, period_of
from pingan.statistics.models import Indicator, StatisticValue
from tests.conftest import Api
from tests.test_kpis import world  # noqa: F401 (the hand-built county of March 2025)

# ---------------------------------------------------------------- the maths, by hand


def _item(key, weight, floor, target, direction="up"):
    return SimpleNamespace(name=key, key=key, weight=weight, floor=floor, target=target, direction=direction)


def _deduction(key, per, cap):
    return SimpleNamespace(name=key, key=key, per=per, cap=cap)


def _veto(key, comparison, threshold):
    return SimpleNamespace(name=key, key=key, comparison=comparison, threshold=threshold)


ITEMS = [_item("up", 40, 0.6, 0.9), _item("down", 20, 0.2, 0.05, "down"), _item("none", 40, 0, 1)]


@pytest.mark.parametrize(
    ("value", "points"),
    [(0.75, 20.0), (0.6, 0.0), (0.5, 0.0), (0.9, 40.0), (0.99, 40.0), (0.7, 13.33)],
)
def test_a_rising_item_is_linear_between_floor_and_target_and_clamped(value, points):
    assert score([ITEMS[0]], [], [], {"up": value}).items[0]["points"] == points


@pytest.mark.parametrize(
    ("value", "points"), [(0.1, 13.33), (0.2, 0.0), (0.3, 0.0), (0.05, 20.0), (0.01, 20.0)]
)
def test_a_falling_item_earns_more_the_lower_the_figure(value, points):
    assert score([ITEMS[1]], [], [], {"down": value}).items[0]["points"] == points


def test_a_null_item_is_left_out_and_the_score_scaled_to_the_weights_that_count():
    r = score(ITEMS, [], [], {"up": 0.75, "down": 0.1, "none": None})
    # 20 + 13.33 points of the 60 that count, on a full mark of 100: 33.33 × 100 / 60
    assert [i["points"] for i in r.items] == [20.0, 13.33, None]
    assert r.score == 55.55 and r.grade == "D"
    nothing = score(ITEMS, [], [], {})
    assert (nothing.score, nothing.grade) == (None, None)


def test_deductions_are_per_case_or_incident_up_to_their_cap_and_the_score_never_negative():
    deductions = [_deduction("overdue_open", 0.5, 2), _deduction("statistic:fires", Decimal("1.5"), 10)]
    r = score(
        ITEMS, deductions, [], {"up": 0.75, "down": 0.1, "overdue_open": 7, "statistic:fires": Decimal(3)}
    )
    assert [d["points"] for d in r.deductions] == [2.0, 4.5]  # 3.5 capped at 2; 3 × 1.5
    assert r.score == 49.05  # 55.55 − 6.5
    assert score(ITEMS, deductions, [], {"up": 0.75, "down": 0.1}).score == 55.55  # no figure, no deduction
    assert (
        score(ITEMS[:1], [_deduction("overdue_open", 10, 100)], [], {"up": 0.6, "overdue_open": 3}).score == 0
    )


def test_a_veto_makes_the_grade_e_whatever_the_score():
    vetoes = [_veto("statistic:deaths", "gt", 0)]
    full = {"up": 0.9, "down": 0.05, "none": 1}
    assert score(ITEMS, [], vetoes, full | {"statistic:deaths": 0}).grade == "A"
    assert score(ITEMS, [], vetoes, full).grade == "A"  # a missing figure never vetoes
    r = score(ITEMS, [], vetoes, full | {"statistic:deaths": 1})
    assert (r.score, r.grade, r.vetoed) == (100.0, "E", True) and r.vetoes[0]["value"] == 1.0
    assert score(ITEMS, [], [_veto("x", "le", 0.5)], {"x": 0.5}).grade == "E"
    assert score([], [], vetoes, {"statistic:deaths": 2}).grade == "E"  # no score, still vetoed


@pytest.mark.parametrize(
    ("points", "full", "grade"),
    [(90, 100, "A"), (89.99, 100, "B"), (75, 100, "B"), (74.99, 100, "C"), (60, 100, "C"), (59.99, 100, "D"),
     (40, 100, "D"), (39.99, 100, "E"), (0, 100, "E"), (72, 80, "A"), (59.9, 80, "C")],
)  # fmt: skip
def test_grade_bands(points, full, grade):
    assert grade_for(points, full) == grade


def test_ties_share_a_rank_vetoed_rank_after_the_rest_and_no_score_no_rank():
    keys = [(False, 80.0), (False, 90.0), (False, 80.0), (True, 99.0), (False, None), (False, 70.0)]
    assert competition_ranks(keys) == [2, 1, 2, 5, None, 4]


# ---------------------------------------------------------------- schemes as data


def _scheme(code="t", level="town", start=date(2026, 1, 1), end=None, **kw):
    return Scheme.objects.create(
        code=code, name=f"方案{code}", level=level, effective_from=start, effective_to=end, **kw
    )


def test_scheme_rows_are_checked_before_they_are_saved(db):
    s = _scheme(end=date(2026, 6, 30))
    with pytest.raises(ValidationError, match="重叠"):
        Scheme(code="u", name="u", level="town", effective_from=date(2026, 6, 1)).full_clean()
    Scheme(code="u", name="u", level="town", effective_from=date(2026, 7, 1)).full_clean()  # after it: fine
    Scheme(code="v", name="v", level="unit", effective_from=date(2026, 6, 1)).full_clean()  # another level
    with pytest.raises(ValidationError, match="截止日期"):
        Scheme(
            code="w", name="w", level="unit", effective_from=date(2026, 6, 1), effective_to=date(2026, 5, 1)
        ).full_clean()
    bad = [
        Item(scheme=s, name="x", kpi="closed_rate", weight=10, direction="up", floor=1, target=0),
        Item(scheme=s, name="x", kpi="rework_rate", weight=10, direction="down", floor=0, target=1),
        Item(scheme=s, name="x", weight=10, direction="up", floor=0, target=1),  # neither source
        Item(scheme=s, name="x", kpi="closed_rate", weight=0, direction="up", floor=0, target=1),
        Deduction(scheme=s, name="x", kpi="closed_rate", per=1, cap=5),  # a rate is no count
        Deduction(scheme=s, name="x", kpi="overdue_open", per=1, cap=0),
    ]  # fmt: skip
    for row in bad:
        with pytest.raises(ValidationError):
            row.full_clean()
    Item(scheme=s, name="x", kpi="rework_rate", weight=10, direction="down", floor=Decimal("0.2"),
         target=Decimal("0.05")).full_clean()  # fmt: skip


def test_admin_builds_a_scheme_with_its_items_in_the_admin_audited(county, web):
    client = web("admin")
    assert client.get("/admin/assessment/scheme/add/").status_code == 200
    data = {
        "code": "town-2026", "name": "乡镇考核方案", "level": "town", "effective_from": "2026-01-01",
        "effective_to": "", "note": "",
        "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0",
        "items-0-order": "0", "items-0-name": "按期办结率", "items-0-kpi": "closed_on_time_rate",
        "items-0-weight": "100", "items-0-direction": "up", "items-0-floor": "0.6", "items-0-target": "0.9",
        "deductions-TOTAL_FORMS": "1", "deductions-INITIAL_FORMS": "0",
        "deductions-0-order": "0", "deductions-0-name": "超期", "deductions-0-kpi": "overdue_open",
        "deductions-0-per": "0.5", "deductions-0-cap": "5",
        "vetoes-TOTAL_FORMS": "0", "vetoes-INITIAL_FORMS": "0",
    }  # fmt: skip
    r = client.post("/admin/assessment/scheme/add/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    scheme = Scheme.objects.get(code="town-2026")
    assert scheme.items.get().kpi == "closed_on_time_rate" and scheme.deductions.get().cap == 5
    types = set(AuditEntry.objects.filter(action="config.create").values_list("object_type", flat=True))
    assert {"assessment.scheme", "assessment.item", "assessment.deduction"} <= types
    assert web("leader").get("/admin/assessment/scheme/").status_code in (302, 403)


# ---------------------------------------------------------------- rankings on real figures


def test_the_ranking_reads_the_kpi_engine_by_hand(world):  # noqa: F811
    """March 2025 (tests/test_kpis.py): town A closed 1 of 2 due on time, c2 overdue; town B 1 of 1;
    town C had nothing due. February: only town B, 0 of 1 on time."""
    s = _scheme(start=date(2025, 1, 1))
    Item.objects.create(scheme=s, name="按期办结率", kpi="closed_on_time_rate", weight=100, floor=0, target=1)
    Deduction.objects.create(scheme=s, name="超期", kpi="overdue_open", per=5, cap=3)
    result = ranking("town", parse_period("2025-03"))
    rows = {r["code"]: r for r in result["rows"]}
    a, b, c = (t.code for t in world.c.towns)
    assert (rows[b]["score"], rows[b]["grade"], rows[b]["rank"], rows[b]["rank_change"]) == (100.0, "A", 1, 0)
    assert (rows[a]["score"], rows[a]["grade"], rows[a]["rank"], rows[a]["rank_change"]) == (
        47.0,
        "D",
        2,
        None,
    )
    assert rows[a]["deductions"] == [{"name": "超期", "key": "overdue_open", "value": 1.0, "points": 3.0}]
    assert rows[a]["values"]["closed_on_time_rate"] == 0.5 and rows[a]["items"][0]["points"] == 50.0
    assert (rows[c]["score"], rows[c]["rank"]) == (None, None)
    assert [r["code"] for r in result["rows"]] == [b, a, c]  # unranked last
    assert result["scheme"] == {"code": "t", "name": "方案t", "full_mark": 100.0}
    # Departments: the units seated in the county; 县司法局 closed c3 on time in March.
    u = _scheme(code="u", level="unit", start=date(2025, 1, 1))
    Item.objects.create(scheme=u, name="按期办结率", kpi="closed_on_time_rate", weight=100, floor=0, target=1)
    units = ranking("unit", parse_period("2025-03"))["rows"]
    assert units[0]["code"] == world.sfj.code and units[0]["score"] == 100.0 and units[0]["rank"] == 1
    assert world.centre_a.code not in {r["code"] for r in units}  # a town's unit is the town's


@pytest.fixture
def safety(county):
    """An indicator and a helper that enters a town's figure for a month."""
    indicator = Indicator.objects.create(code="safety", name="安全感", source="县委政法委", direction="up")
    deaths = Indicator.objects.create(code="deaths", name="事故死亡人数", source="县应急管理局")

    def enter(indicator, town, period, value):
        StatisticValue.objects.create(
            indicator=indicator, region=town, period=period.key, starts_on=period.start, ends_on=period.end,
            value=Decimal(value),
        )  # fmt: skip

    return SimpleNamespace(indicator=indicator, deaths=deaths, enter=enter)


def _statistic_scheme(code, safety, start, end=None, weight=100):
    s = _scheme(code=code, start=start, end=end)
    Item.objects.create(
        scheme=s, name="安全感", indicator=safety.indicator, weight=weight, floor=80, target=100
    )
    Veto.objects.create(scheme=s, name="事故死亡", indicator=safety.deaths, comparison="gt", threshold=0)
    return s


def test_ties_share_a_rank_and_rank_change_is_against_the_previous_month(county, safety):
    a, b, c = county.towns
    oct_, sep = make("month", 2026, 10), make("month", 2026, 9)
    _statistic_scheme("t", safety, date(2026, 1, 1))
    for town, now, before in ((a, 95, 85), (b, 95, 100), (c, 90, 90)):
        safety.enter(safety.indicator, town, oct_, now)
        safety.enter(safety.indicator, town, sep, before)
    rows = ranking("town", oct_)["rows"]
    # October: 75, 75, 50 points → 1, 1, 3; September: 25, 100, 50 → 3, 1, 2.
    assert [(r["code"], r["score"], r["rank"], r["rank_change"]) for r in rows] == [
        (a.code, 75.0, 1, 2), (b.code, 75.0, 1, 0), (c.code, 50.0, 3, -1),
    ]  # fmt: skip
    item = {"name": "安全感", "key": "statistic:safety", "value": 95.0, "weight": 100.0, "points": 75.0}
    assert rows[0]["items"][0] == item
    safety.enter(safety.deaths, b, oct_, 1)  # a death in town B: E, and after the others
    rows = ranking("town", oct_)["rows"]
    assert [(r["code"], r["grade"], r["rank"]) for r in rows] == [
        (a.code, "B", 1),
        (c.code, "D", 2),
        (b.code, "E", 3),
    ]
    assert rows[2]["vetoed"] and rows[2]["vetoes"] == [
        {"name": "事故死亡", "key": "statistic:deaths", "value": 1.0}
    ]


def test_the_scheme_in_force_on_the_periods_last_day_is_used_unless_one_is_named(county, safety):
    a = county.towns[0]
    oct_, sep = make("month", 2026, 10), make("month", 2026, 9)
    _statistic_scheme("old", safety, date(2026, 1, 1), date(2026, 9, 30), weight=50)
    _statistic_scheme("new", safety, date(2026, 10, 1))
    safety.enter(safety.indicator, a, oct_, 90)
    assert ranking("town", oct_)["scheme"]["code"] == "new"
    assert ranking("town", sep)["scheme"]["code"] == "old"
    assert ranking("town", oct_)["rows"][0]["score"] == 50.0
    assert ranking("town", oct_, scheme="old")["rows"][0]["score"] == 25.0  # the named one, 50 points
    assert ranking("town", make("quarter", 2026, 3))["scheme"]["code"] == "old"  # in force on 09-30
    with pytest.raises(Exception) as none:
        ranking("town", make("month", 2025, 12))
    assert none.value.code == "no_scheme"
    assert provider("town", make("month", 2025, 12)) == []  # no scheme: the rule has nothing to read


# ---------------------------------------------------------------- the API


def test_the_ranking_api_answers_leaders_with_every_town(county, api, safety):
    _statistic_scheme("t", safety, date(2026, 1, 1))
    for town, value in zip(county.towns, (90, 95, 85), strict=True):
        safety.enter(safety.indicator, town, make("month", 2026, 10), value)
    status, body = api("leader").get("/kpis/ranking", level="town", period="2026-10")
    assert status == 200, body
    assert body["level"] == "town" and body["period"] == {
        "key": "2026-10",
        "start": "2026-10-01",
        "end": "2026-10-31",
    }
    assert [(r["name"], r["rank"], r["grade"]) for r in body["rows"]] == [
        (county.towns[1].name, 1, "B"), (county.towns[0].name, 2, "D"), (county.towns[2].name, 3, "E"),
    ]  # fmt: skip
    row = body["rows"][0]
    assert set(row) >= {
        "code",
        "name",
        "score",
        "grade",
        "rank",
        "rank_change",
        "values",
        "items",
        "deductions",
    }
    assert row["rank_change"] is None and "closed_on_time_rate" in row["values"]
    status, body = api("supervisor").get("/kpis/ranking", level="town", period="2026-10", scheme="t")
    assert status == 200 and body["scheme"]["code"] == "t"


def test_a_town_leader_sees_his_towns_row_with_its_county_rank(county, api, safety):
    _statistic_scheme("t", safety, date(2026, 1, 1))
    for town, value in zip(county.towns, (90, 95, 85), strict=True):
        safety.enter(safety.indicator, town, make("month", 2026, 10), value)
    user = User.objects.create_user("town_leader")
    RoleGrant.objects.create(user=user, role="leader", region=county.towns[2])
    status, body = Api(user).get("/kpis/ranking", level="town", period="2026-10")
    assert status == 200 and [(r["code"], r["rank"]) for r in body["rows"]] == [(county.towns[2].code, 3)]


def test_ranking_errors_are_400s_in_chinese_and_404_for_those_without_figures(county, api, safety):
    _statistic_scheme("t", safety, date(2026, 1, 1))
    leader = api("leader")
    for params, code in (
        ({"level": "town", "period": "2026-13"}, "invalid_period"),
        ({"level": "village", "period": "2026-10"}, "invalid_level"),
        ({"level": "town", "period": "2026-10", "scheme": "nope"}, "invalid_scheme"),
        ({"level": "unit", "period": "2026-10", "scheme": "t"}, "scheme_level_mismatch"),
        ({"level": "unit", "period": "2026-10"}, "no_scheme"),
        ({"level": "town", "period": "2025-10"}, "no_scheme"),
    ):
        status, body = leader.get("/kpis/ranking", **params)
        assert (status, body["error"]["code"]) == (400, code), params
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]["message"])
    for username in ("admin", "auditor", "grid_worker"):
        assert api(username).get("/kpis/ranking", level="town", period="2026-10")[0] == 404
    assert leader.get("/kpis/ranking", period="2026-10")[0] == 400  # the level is required


def test_a_handler_sees_only_his_departments_row(world, api):  # noqa: F811
    u = _scheme(code="u", level="unit", start=date(2025, 1, 1))
    Item.objects.create(scheme=u, name="按期办结率", kpi="closed_on_time_rate", weight=100, floor=0, target=1)
    status, body = Api(world.sfj_handler).get("/kpis/ranking", level="unit", period="2025-03")
    assert status == 200 and [r["code"] for r in body["rows"]] == [world.sfj.code]
    assert api("handler").get("/kpis/ranking", level="unit", period="2025-03")[1]["rows"] == []  # a town unit


# ---------------------------------------------------------------- the accountability rule


def test_pingan_accountability_propose_runs_the_ranking_rule_on_the_real_ranking(county, safety):
    a, b, c = county.towns
    last = period_of("month", timezone.localdate()).previous()
    _statistic_scheme("t", safety, date(last.year - 1, 1, 1))
    for period in (last, last.previous()):
        for town, value in ((a, 95), (b, 90), (c, 82)):
            safety.enter(safety.indicator, town, period, value)
    rows = provider("town", last)
    ranked = {(r["code"], r["rank"], r["county"]) for r in rows}
    assert ranked == {(a.code, 1, county.code), (b.code, 2, county.code), (c.code, 3, county.code)}
    out = io.StringIO()
    call_command("accountability", "propose", stdout=out)
    assert "乡镇（街道）考核连续两期末位：新提出 1 条" in out.getvalue()
    [entry] = Entry.objects.filter(rule__code="town_last_2")
    assert entry.region_id == c.code and entry.status == "proposed" and "连续 2 期末位" in entry.trigger
