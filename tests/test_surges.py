"""研判预警: a rise in a village × category, reports piling up at one address, a large 群体性 case; each
detected at its threshold and not below; a re-run writes nothing twice; the notice reaches the
dispatchers in scope only; readers outside the scope get 404, leaders read but do not act; dismiss and
open a rectification case; the API, the page, the dashboards, the weekly report and the daily run."""

import html
import re
from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from pingan.accounts.actions import create_user, grant_role
from pingan.api.base import api as ninja_api
from pingan.audit.models import AuditEntry
from pingan.cases.actions import create_case
from pingan.cases.clocks import LOCAL
from pingan.cases.models import Case
from pingan.cases.sweep import sweep
from pingan.core.periods import period_of
from pingan.demo.surges import seed_surges
from pingan.notices.models import Notification
from pingan.regions.models import Region
from pingan.reports.content import weekly_document
from pingan.surges import stats
from pingan.surges.actions import dismiss, open_case, run_detection
from pingan.surges.detection import detect
from pingan.surges.models import SurgeAlert, SurgeRun
from pingan.surges.selectors import place_name

from .conftest import PASSWORD, Api, case_body

TODAY = timezone.localdate()


def _at(days_ago: int, hour: int = 10) -> datetime:
    """A moment `days_ago` local days before today."""
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour), tzinfo=LOCAL)


def _village(county, town: int = 0, index: int = 0):
    return county.villages[county.towns[town].code][index]


def _register(county, days_ago: int, *, village=None, hour: int = 10, **fields) -> Case:
    body = case_body(county, region=(village or _village(county)).code, **fields)
    return create_case(county.users["dispatcher"], body, now=_at(days_ago, hour))


def _baseline(county, per_week: int, **fields) -> None:
    """`per_week` cases in each of the eight weeks before the last seven days."""
    for week in range(stats.WEEKS):
        for i in range(per_week):
            _register(county, 8 + 7 * week + i, **fields)


def _dispatcher(username: str, region) -> object:
    user = create_user(username=username, password=PASSWORD, by=None, full_name=username)
    grant_role(user, "dispatcher", region=region, by=None)
    return user


# ---------------------------------------------------------------- the tests on numbers


def test_poisson_tail_matches_the_sum_of_the_probabilities():
    assert stats.poisson_tail(0, 2.0) == 1.0
    assert stats.poisson_tail(3, 0.0) == 0.0
    # P(X ≥ 6 | 1) = 1 − Σ_{i<6} e^-1/i! = 0.000594…
    assert stats.poisson_tail(6, 1.0) == pytest.approx(0.0005941848, rel=1e-6)
    assert stats.poisson_tail(1, 3.5) == pytest.approx(1 - 2.718281828**-3.5, rel=1e-9)


def test_a_rise_needs_the_minimum_count_and_a_small_enough_p():
    assert stats.rise(2, 0, p_max=0.01, min_cases=3) is None  # two cases: never, whatever the base
    mean, p = stats.rise(3, 0, p_max=0.01, min_cases=3)  # a rare category: tested against 1/8 a week
    assert mean == 0 and p == pytest.approx(stats.poisson_tail(3, 1 / 8))
    assert stats.rise(3, 16, p_max=0.01, min_cases=3) is None  # two a week as usual: P ≈ 0.32
    assert stats.rise(6, 8, p_max=0.001, min_cases=3) is not None  # one a week, then six


def test_a_cluster_is_the_largest_run_within_the_hours_ending_on_the_last_day():
    start = _at(4)
    times = [start + timedelta(hours=h) for h in (0, 30, 60, 100)]
    since = _at(1, 0)
    assert stats.cluster(times, since, reports=3, hours=72) == (1, 3)  # 30 h … 100 h: 70 hours
    assert stats.cluster(times, since, reports=4, hours=72) is None
    assert stats.cluster(times[:3], since, reports=3, hours=72) is None  # none on the last day


# ---------------------------------------------------------------- detection on the database


def test_a_rise_in_a_village_and_category_is_detected_and_one_below_it_is_not(county, web):
    _baseline(county, 1)  # R02 in the first village: one a week
    for days_ago in (1, 2, 3, 4, 5, 6):
        _register(county, days_ago)
    other = _village(county, 1)
    _baseline(county, 2, village=other)  # two a week as usual, three this week: ordinary
    for days_ago in (1, 3, 5):
        _register(county, days_ago, village=other)
    counts = run_detection(TODAY)
    assert counts["rise"] == 1
    alert = SurgeAlert.objects.get(kind="rise")
    assert (alert.region_id, alert.category.code, alert.count) == (_village(county).code, "R02", 6)
    assert alert.baseline == 1.0 and alert.p_value == pytest.approx(0.000594, rel=1e-2)
    assert (alert.window_start, alert.window_end) == (TODAY - timedelta(days=7), TODAY - timedelta(days=1))
    # The alert's page links to the ledger of the cases behind it, and the ledger's total is the count.
    page = web("leader").get(f"/surges/{alert.pk}/").content.decode()
    link = re.search(r'href="(/cases/\?[^"]+)"', page).group(1)
    ledger = web("leader").get(html.unescape(link)).content.decode()
    assert "data-total>6</strong>" in ledger


def test_fewer_than_three_cases_are_never_a_rise(county):
    for days_ago in (1, 2):  # nothing before: as rare as can be, but two cases
        _register(county, days_ago)
    assert run_detection(TODAY)["rise"] == 0


def test_reports_at_one_address_within_72_hours_are_a_cluster(county):
    for days_ago, address in ((3, "幸福路 12 号"), (2, "幸福路12号"), (1, "幸福路１２号。")):
        _register(county, days_ago, address=address, category="R03")
    # Three at another address, but spread over five days: no cluster.
    for days_ago in (5, 3, 1):
        _register(county, days_ago, address="建设街 8 号", category="R03")
    # Two at a third: below the threshold.
    for days_ago in (2, 1):
        _register(county, days_ago, address="人民路 1 号", category="R03")
    # Tips are never counted: three at one address make no alert.
    for days_ago in (3, 2, 1):
        _register(county, days_ago, address="柳河桥头", stream="tip", category="T01")
    assert run_detection(TODAY)["cluster"] == 1
    alert = SurgeAlert.objects.get(kind="cluster")
    assert alert.count == 3 and alert.place == "幸福路１２号。" and alert.category.code == "R03"
    assert alert.region_id == _village(county).code


def test_a_large_group_case_is_an_alert_and_a_small_one_is_not(county):
    big = _register(county, 1, is_group=True, people_involved=45, category="D10", stream="dispute")
    _register(county, 1, is_group=True, people_involved=12, category="D10", stream="dispute")
    _register(county, 1, is_group=False, people_involved=80, category="D10", stream="dispute")
    assert run_detection(TODAY)["group"] == 1
    alert = SurgeAlert.objects.get(kind="group")
    assert (alert.source_case_id, alert.count) == (big.pk, 45)


def test_a_second_run_of_the_day_writes_nothing_twice(county):
    _register(county, 1, is_group=True, people_involved=45, category="D10", stream="dispute")
    for days_ago in (3, 2, 1):
        _register(county, days_ago, address="幸福路 12 号", category="R03")
    first = run_detection(TODAY)
    notices = Notification.objects.filter(kind="surge").count()
    # Three cases of a category never seen there before are a rise too.
    assert (first["group"], first["cluster"], first["rise"]) == (1, 1, 1) and notices > 0
    second = run_detection(TODAY)
    assert second["group"] == second["cluster"] == second["rise"] == second["notices"] == 0
    assert SurgeAlert.objects.count() == 3 and SurgeRun.objects.filter(day=TODAY).count() == 1
    assert Notification.objects.filter(kind="surge").count() == notices
    # The next day the windows still overlap the alerts': nothing is raised again.
    again = run_detection(TODAY + timedelta(days=1))
    assert again["cluster"] == again["rise"] == again["group"] == 0


def test_the_notice_goes_to_the_dispatchers_in_scope_only(county):
    in_town = _dispatcher("town0_dispatcher", county.towns[0])
    other_town = _dispatcher("town1_dispatcher", county.towns[1])
    _register(county, 1, is_group=True, people_involved=45, category="D10", stream="dispute")
    run_detection(TODAY)
    alert = SurgeAlert.objects.get()
    told = set(
        Notification.objects.filter(key=f"surge:{alert.pk}").values_list("recipient__username", flat=True)
    )
    assert told == {"dispatcher", in_town.username}
    assert other_town.username not in told
    note = Notification.objects.filter(key=f"surge:{alert.pk}").first()
    assert note.link == f"/surges/{alert.pk}/" and "涉及 45 人" in note.message
    assert "张三丰" not in note.message and "1381234" not in note.message  # the reporter: never


@pytest.fixture
def alert(county):
    _register(county, 1, is_group=True, people_involved=45, category="D10", stream="dispute")
    run_detection(TODAY)
    return SurgeAlert.objects.get()


def test_a_user_outside_the_scope_can_neither_see_nor_act_on_an_alert(county, alert, web):
    outsider = _dispatcher("town1_dispatcher", county.towns[1])
    client = web("dispatcher")
    client.force_login(outsider, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(f"/surges/{alert.pk}/").status_code == 404
    assert client.post(f"/surges/{alert.pk}/dismiss/", {"reason": "越权"}).status_code == 404
    assert client.post(f"/surges/{alert.pk}/open-case/", {}).status_code == 404
    assert f'data-alert="{alert.pk}"' not in client.get("/surges/").content.decode()
    status, data = Api(outsider).get(f"/surges/{alert.pk}")
    assert status == 404 and data["error"]["code"] == "not_found"
    assert Api(outsider).post(f"/surges/{alert.pk}/actions/dismiss", {"reason": "越权"})[0] == 404
    assert Api(outsider).get("/surges")[1]["total"] == 0
    assert Api(county.users["handler"]).get("/surges")[0] == 403  # no reader role at all
    assert web("handler").get("/surges/").status_code == 403
    alert.refresh_from_db()
    assert alert.status == "open"


def test_leaders_read_alerts_but_only_dispatchers_act(county, alert, web):
    leader = web("leader")
    page = leader.get(f"/surges/{alert.pk}/").content.decode()
    assert "涉及 45 人" in page and "排除预警" not in page
    assert leader.post(f"/surges/{alert.pk}/dismiss/", {"reason": "领导排除"}).status_code == 403
    status, data = Api(county.users["supervisor"]).post(f"/surges/{alert.pk}/actions/open_case", {})
    assert status == 403 and data["error"]["code"] == "forbidden"
    assert "排除预警" in web("dispatcher").get(f"/surges/{alert.pk}/").content.decode()


def test_dismiss_needs_a_reason_and_happens_once(county, alert, web):
    client = web("dispatcher")
    r = client.post(f"/surges/{alert.pk}/dismiss/", {"reason": "  "})
    assert r.status_code == 400 and "请填写排除理由" in r.content.decode()
    r = client.post(f"/surges/{alert.pk}/dismiss/", {"reason": "同一事项多人反映，已合并办理"})
    assert r.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "dismissed" and alert.acted_by == county.users["dispatcher"]
    assert AuditEntry.objects.filter(action="surges.dismiss", object_id=str(alert.pk)).exists()
    status, data = Api(county.users["dispatcher"]).post(
        f"/surges/{alert.pk}/actions/dismiss", {"reason": "再"}
    )
    assert status == 409 and data["error"]["code"] == "invalid_transition"


def test_an_alert_opens_a_rectification_case_through_the_intake(county, alert, web):
    r = web("dispatcher").post(f"/surges/{alert.pk}/open-case/", {"description": "请镇综治中心牵头排查"})
    alert.refresh_from_db()
    case = alert.case
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.number}/"
    assert alert.status == "case_opened"
    assert (case.stream, case.region_id, case.category.name) == ("rectification", alert.region_id, "督导整改")
    assert "研判预警" in case.description and "请镇综治中心牵头排查" in case.description
    assert case.events.filter(action="create").exists()
    with pytest.raises(Exception, match="不能再处置"):
        open_case(alert, by=county.users["dispatcher"])
    assert AuditEntry.objects.filter(action="surges.open_case").exists()


def test_the_api_lists_filters_and_documents_alerts(county, alert):
    api = Api(county.users["leader"])
    status, data = api.get("/surges", status="open")
    assert status == 200 and data["total"] == 1
    item = data["items"][0]
    assert item["kind"] == "group" and item["count"] == 45 and item["region"]["code"] == alert.region_id
    assert item["category"] == {"code": "D10", "name": item["category"]["name"]}
    assert api.get("/surges", kind="rise")[1]["total"] == 0
    assert api.get("/surges", region=county.towns[1].code)[1]["total"] == 0
    status, data = api.get("/surges", kind="flood")
    assert status == 400 and data["error"]["fields"]["kind"]
    status, data = api.get("/surges", region="abc")
    assert status == 400
    dispatcher = Api(county.users["dispatcher"])
    status, data = dispatcher.post(f"/surges/{alert.pk}/actions/open_case", {"title": "群体性纠纷排查整改"})
    assert status == 201 and data["status"] == "case_opened" and data["case"].startswith("PA-")
    paths = ninja_api.get_openapi_schema()["paths"]
    assert {"/api/v1/surges", "/api/v1/surges/{alert_id}/actions/dismiss"} <= set(paths)


def test_the_page_filters_and_the_dashboards_show_open_alerts(county, alert, web):
    page = web("dispatcher").get("/surges/", {"kind": "group"}).content.decode()
    assert f'data-alert="{alert.pk}"' in page and "涉及 45 人" in page
    assert (
        f'data-alert="{alert.pk}"' not in web("dispatcher").get("/surges/", {"kind": "rise"}).content.decode()
    )
    assert web("dispatcher").get("/surges/", {"kind": "x"}).status_code == 200  # told, not a 500
    assert f'data-surge="{alert.pk}"' in web("dispatcher").get("/").content.decode()
    assert f'data-surge="{alert.pk}"' in web("leader").get("/cockpit/").content.decode()
    assert f'data-surge="{alert.pk}"' not in web("handler").get("/").content.decode()
    dismiss(alert, by=county.users["dispatcher"], reason="已核实")
    assert f'data-surge="{alert.pk}"' not in web("leader").get("/cockpit/").content.decode()


def test_the_weekly_report_has_a_table_of_the_weeks_alerts(county, alert):
    week = period_of("week", TODAY)
    region = Region.objects.get(code=county.code)
    document = weekly_document(region, week, timezone.now())
    section = next(s for s in document["sections"] if s["heading"].endswith("研判预警"))
    table = next(b for b in section["blocks"] if b["type"] == "table")
    assert table["rows"][0][2] == "较大群体性事项" and table["rows"][0][5] == 45
    last_week = weekly_document(region, week.previous(), timezone.now())
    section = next(s for s in last_week["sections"] if s["heading"].endswith("研判预警"))
    assert section["blocks"] == [{"type": "text", "text": "本周没有研判预警。"}]


def test_the_sweep_runs_the_days_detection_once_from_six(county):
    _register(county, 1, is_group=True, people_involved=45, category="D10", stream="dispute")
    early = datetime.combine(TODAY, time(5, 30), tzinfo=LOCAL)
    assert sweep(early).get("surge_alerts") == 0 and not SurgeRun.objects.exists()
    later = datetime.combine(TODAY, time(7, 0), tzinfo=LOCAL)
    assert sweep(later)["surge_alerts"] == 1
    assert sweep(later + timedelta(minutes=5))["surge_alerts"] == 0
    assert SurgeRun.objects.get().day == TODAY


def test_the_command_detects_for_a_given_day(county, capsys):
    _register(county, 3, is_group=True, people_involved=45, category="D10", stream="dispute")
    call_command("surges", "detect", "--date", (TODAY - timedelta(days=1)).isoformat())
    out = capsys.readouterr().out
    assert "正在研判" in out and "新增预警 1 条" in out
    assert SurgeAlert.objects.get().run_day == TODAY - timedelta(days=1)
    with pytest.raises(Exception, match="--date"):
        call_command("surges", "detect", "--date", "yesterday")


def test_detection_reads_a_fixed_number_of_queries(county, django_assert_max_num_queries):
    for days_ago in (3, 2, 1):
        _register(county, days_ago, address="幸福路 12 号", category="R03")
    with django_assert_max_num_queries(8):
        assert {f.kind for f in detect(TODAY)} == {"cluster", "rise"}


def test_a_place_is_named_town_village_grid_without_repeating_the_village(county):
    village = _village(county)
    grid = Region.objects.select_related("parent__parent").get(code=county.grids[village.code][0].code)
    name = place_name(grid)
    assert name.startswith(county.towns[0].name) and name.endswith(grid.name)
    assert name.count(village.name) == 1


def test_the_demo_seeds_a_few_alerts_through_the_intake_once(county):
    assert seed_surges(county) >= 4
    kinds = set(SurgeAlert.objects.values_list("kind", flat=True))
    assert kinds == {"rise", "cluster", "group"}
    opened = SurgeAlert.objects.get(status="case_opened")
    assert opened.case.stream == "rectification" and opened.run_day == TODAY - timedelta(days=7)
    assert seed_surges(county) == 0
