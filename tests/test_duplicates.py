"""相似案件 and 关联 (issue 14 part 2): candidates with their reasons, only open and only in scope; the
case page's panel and its merge and link buttons; `relate` both ways; GET /cases/{number}/similar; the
labelled synthetic set."""

from datetime import timedelta
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from pingan.accounts.actions import create_user, grant_role
from pingan.cases.models import Case, CaseEvent
from pingan.cases.similar import place_key, similar_to_case
from pingan.demo.duplicates import make_duplicate_set, reworded_title

from .conftest import PASSWORD, Api, case_body

HERE = (Decimal("30.900000"), Decimal("117.800000"))
NEAR = (Decimal("30.900900"), Decimal("117.800000"))  # about 100 m north


def _case(county, *, village=0, town=0, grid=None, **fields) -> str:
    v = county.villages[county.towns[town].code][village]
    region = county.grids[v.code][grid].code if grid is not None else v.code
    body = case_body(county, region=region, **fields)
    for key in ("lat", "lng"):
        if key in body:
            body[key] = str(body[key])
    status, data = Api(county.users["dispatcher"]).post("/cases", body)
    assert status == 201, data
    return data["number"]


def _similar(user, number: str) -> list:
    return similar_to_case(user, Case.objects.select_related("category").get(number=number))


def _user(username, role, region):
    user = create_user(username=username, password=PASSWORD, by=None, full_name=username)
    grant_role(user, role, region=region, by=None)
    return user


def _web(user) -> Client:
    c = Client()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


PLACED = {"address": "幸福小区3栋", "lat": HERE[0], "lng": HERE[1]}


# ---------------------------------------------------------------- the selector


def test_each_candidate_says_why_it_looks_alike(county):
    base = _case(county, grid=0, **PLACED)
    again = _case(
        county,
        grid=0,
        title="幸福小区路灯坏了没人修",
        description="来电人称，幸福小区3栋门口路灯坏了半个月，晚上出门不方便。",
        address="幸福小区3栋2单元",
        lat=NEAR[0],
        lng=NEAR[1],
    )
    other_grid = _case(county, grid=1, title="小区路灯损坏无人维修", category="R01")
    _case(county, grid=0, title="邻里因停车位发生争执", description="两户为抢车位多次争吵。")
    found = {s.number: s for s in _similar(county.users["dispatcher"], again)}
    assert set(found) == {base, other_grid}
    reasons = {r.code: r.label for r in found[base].reasons}
    assert list(reasons) == ["title", "description", "address", "grid", "distance", "time", "category"]
    assert reasons["distance"] == "相距约 100 米" and reasons["time"] == "时间相近（相差不到 1 小时）"
    assert reasons["address"] == "同一地址或楼栋" and reasons["grid"] == "同一网格"
    # Another grid of the same village, another category, no coordinates: said as it is.
    assert [r.code for r in found[other_grid].reasons] == ["title", "description", "village", "time"]
    assert found[base].score > found[other_grid].score
    assert _similar(county.users["dispatcher"], again)[0].number == base


def test_time_and_distance_bound_the_candidates(county):
    again = _case(county, **PLACED)
    old = _case(county)
    Case.objects.filter(number=old).update(reported_at=timezone.now() - timedelta(days=31))
    days_ago = _case(county)
    Case.objects.filter(number=days_ago).update(reported_at=timezone.now() - timedelta(days=2))
    far = _case(county, lat=Decimal("30.920000"), lng=HERE[1])  # 2.2 km away
    found = {s.number: s for s in _similar(county.users["dispatcher"], again)}
    assert old not in found and far not in found
    assert dict((r.code, r.label) for r in found[days_ago].reasons)["time"] == "时间相近（相差约 2 天）"


def test_a_case_nearby_in_the_next_village_is_a_candidate_by_distance(county):
    here = _case(county, **PLACED)
    next_door = _case(county, village=1, lat=NEAR[0], lng=NEAR[1])
    found = {s.number: s for s in _similar(county.users["dispatcher"], here)}
    assert [r.code for r in found[next_door].reasons] == [
        "title",
        "description",
        "distance",
        "time",
        "category",
    ]


def test_closed_merged_and_already_related_cases_are_not_candidates(county):
    d = Api(county.users["dispatcher"])
    probe = _case(county)
    closed, merged, linked, open_one = (_case(county) for _ in range(4))
    Case.objects.filter(number=closed).update(status="closed")
    d.act(merged, "merge", {"into": open_one})
    d.act(probe, "relate", {"case": linked})
    assert [s.number for s in _similar(county.users["dispatcher"], probe)] == [open_one]


def test_a_building_is_the_address_up_to_its_number():
    assert place_key("幸福小区 3栋2单元502室") == place_key("幸福小区3栋") == "幸福小区3栋"
    assert place_key("东山村5组12号") == "东山村5组" and place_key("门口") == ""


def test_an_out_of_scope_user_sees_no_out_of_scope_candidate(county):
    first = county.villages[county.towns[0].code][0]
    mine = _case(county, **PLACED)
    theirs = _case(county, village=1, lat=NEAR[0], lng=NEAR[1])
    assert theirs in [s.number for s in _similar(county.users["dispatcher"], mine)]
    local = _user("village_dispatcher", "dispatcher", first)
    assert [s.number for s in _similar(local, mine)] == []
    status, body = Api(local).get(f"/cases/{mine}/similar")
    assert status == 200 and body["items"] == []
    html = _web(local).get(f"/cases/{mine}/").content.decode()
    assert "相似案件" in html and theirs not in html
    # A tip nearby is kept from a grid worker of the same village, whoever else sees it.
    tip = _case(county, stream="tip", category="T01", lat=NEAR[0], lng=NEAR[1])
    assert tip in [s.number for s in _similar(county.users["dispatcher"], mine)]
    grid_worker = county.users["grid_worker"]
    assert tip not in [s.number for s in _similar(grid_worker, mine)]
    assert theirs not in [s.number for s in _similar(grid_worker, mine)]


# ---------------------------------------------------------------- the API


def test_the_api_lists_candidates_with_reasons(county):
    base = _case(county, **PLACED)
    again = _case(county, title="小区路灯坏了一直没人修", lat=NEAR[0], lng=NEAR[1], address="幸福小区3栋")
    status, body = Api(county.users["dispatcher"]).get(f"/cases/{again}/similar", limit=3)
    assert status == 200 and [c["number"] for c in body["items"]] == [base]
    item = body["items"][0]
    assert item["distance_m"] == 100 and 0 < item["score"] <= 1 and item["status_label"] == "登记"
    assert {"code": "distance", "label": "相距约 100 米"} in item["reasons"]
    assert Api(county.users["supervisor"]).get(f"/cases/{again}/similar")[0] == 200


def test_the_api_answers_404_out_of_scope_and_403_to_those_who_do_not_triage(county):
    number = _case(county)
    status, body = Api(county.users["handler2"]).get(f"/cases/{number}/similar")
    assert status == 404 and body["error"]["code"] == "not_found"
    assert Api(county.users["dispatcher"]).get("/cases/PA-990122-2000-999999/similar")[0] == 404
    d = Api(county.users["dispatcher"])
    d.act(number, "accept")
    d.act(number, "dispatch", {"lead_unit": county.town_unit(county.towns[0], "centre").code})
    status, body = Api(county.users["handler"]).get(f"/cases/{number}/similar")
    assert status == 403 and body["error"]["code"] == "forbidden" and "相似案件" in body["error"]["message"]
    status, body = d.get(f"/cases/{number}/similar", limit=0)
    assert status == 400 and "limit" in body["error"]["fields"]
    assert d.get(f"/cases/{number}/similar", limit="x")[0] == 400


def test_the_endpoint_is_in_the_openapi_document(county):
    doc = Client().get("/api/v1/openapi.json").json()
    op = doc["paths"]["/api/v1/cases/{number}/similar"]["get"]
    assert op["summary"].startswith("相似案件") and {"200", "403", "404"} <= set(op["responses"])
    relate = doc["paths"]["/api/v1/cases/{number}/actions/relate"]["post"]
    assert relate["summary"] == "关联案件"


# ---------------------------------------------------------------- relate


def test_relate_links_both_ways_with_an_event_on_each(county):
    a, b = _case(county), _case(county, title="另一件事")
    d = Api(county.users["dispatcher"])
    body = d.act(a, "relate", {"case": b, "note": "同一楼栋的相关事项"})
    assert [r["number"] for r in body["related"]] == [b]
    assert [r["number"] for r in d.get(f"/cases/{b}")[1]["related"]] == [a]
    assert CaseEvent.objects.get(case__number=a, action="relate").data == {
        "case": b,
        "note": "同一楼栋的相关事项",
    }
    related_in = CaseEvent.objects.get(case__number=b, action="related_in")
    assert related_in.data == {"case": a, "note": "同一楼栋的相关事项"} and related_in.audit is not None
    events = d.get(f"/cases/{b}/events")[1]["items"]
    assert events[-1]["action_label"] == "被关联" and events[-1]["detail"] == f"{a}；同一楼栋的相关事项"


def test_relate_refuses_itself_a_pair_already_linked_and_an_unknown_case(county):
    a, b = _case(county), _case(county)
    d = Api(county.users["dispatcher"])
    d.act(a, "relate", {"case": b})
    again = d.act(b, "relate", {"case": a}, expect=409)
    assert again["error"]["code"] == "already_related"
    assert CaseEvent.objects.filter(action__in=("relate", "related_in")).count() == 2
    own = d.act(a, "relate", {"case": a}, expect=400)
    assert own["error"]["fields"]["case"] == "不能关联本案件自身"
    unseen = _case(county, town=1)
    missing = Api(county.users["dispatcher"]).act(a, "relate", {"case": "PA-990122-2000-999999"}, expect=400)
    assert missing["error"]["fields"]["case"] == "关联的案件不存在"
    # A case the user cannot see reads as one that does not exist.
    town = _user("town_dispatcher", "dispatcher", county.towns[0])
    hidden = Api(town).act(a, "relate", {"case": unseen}, expect=400)
    assert hidden["error"]["fields"]["case"] == "关联的案件不存在"
    # Those who only read the case may not link it.
    refused = Api(county.users["leader"]).act(a, "relate", {"case": b}, expect=403)
    assert refused["error"]["code"] == "forbidden"


def test_related_cases_show_on_each_others_page(county, web):
    a, b = _case(county), _case(county, title="另一件事")
    Api(county.users["dispatcher"]).act(a, "relate", {"case": b})
    for one, other in ((a, b), (b, a)):
        html = web("dispatcher").get(f"/cases/{one}/").content.decode()
        assert "关联案件" in html and f'href="/cases/{other}/"' in html


# ---------------------------------------------------------------- the case page


def test_the_case_page_lists_similar_cases_with_reasons_and_buttons(county, web):
    base = _case(county, **PLACED)
    again = _case(county, title="小区路灯坏了没人修", lat=NEAR[0], lng=NEAR[1])
    html = web("dispatcher").get(f"/cases/{again}/").content.decode()
    panel = html[html.index('id="similar-cases"') :]
    panel = panel[: panel.index("</section>")]
    assert base in panel and "相距约 100 米" in panel and "标题相近" in panel
    assert f'action="/cases/{again}/actions/relate/"' in panel and f'name="case" value="{base}"' in panel
    assert f'action="/cases/{again}/actions/merge/"' in panel and f'name="into" value="{base}"' in panel
    # Handlers work the case; they are not shown the panel.
    assert 'id="similar-cases"' not in web("handler").get(f"/cases/{again}/").content.decode()


def test_the_panels_link_button_links_and_its_merge_button_merges(county, web):
    base = _case(county, **PLACED)
    again, third = _case(county, title="小区路灯坏了没人修"), _case(county, title="小区路灯坏了")
    page = web("dispatcher")
    version = Case.objects.get(number=again).version
    r = page.post(f"/cases/{again}/actions/relate/", {"case": base, "version": version})
    assert r.status_code == 302
    assert set(Case.objects.get(number=base).related.values_list("number", flat=True)) == {again}
    r = page.post(f"/cases/{third}/actions/merge/", {"into": base, "reason": "同一路灯", "version": "1"})
    assert r.status_code == 302, r.content.decode()[:500]
    merged = Case.objects.get(number=third)
    assert merged.status == "merged" and merged.merged_into.number == base
    assert CaseEvent.objects.get(case__number=base, action="merged_in").data["reason"] == "同一路灯"
    # A second link of the same pair is told on the form, not a 500.
    r = page.post(f"/cases/{base}/actions/relate/", {"case": again})
    assert r.status_code == 409 and "已与" in r.content.decode()


def test_the_intake_check_uses_the_same_selector_and_shows_reasons(county, web):
    base = _case(county, **PLACED)
    village = county.villages[county.towns[0].code][0].code
    html = (
        web("dispatcher")
        .get(
            "/cases/similar/",
            {
                "title": "小区路灯坏了",
                "description": "幸福小区3栋门口路灯已坏半月",
                "region": village,
                "address": "幸福小区3栋1单元",
                "category": "R02",
                "lat": str(NEAR[0]),
                "lng": str(NEAR[1]),
            },
        )
        .content.decode()
    )
    assert base in html
    for label in ("标题相近", "描述相近", "同一地址或楼栋", "同一村（社区）", "相距约 100 米", "同一类别"):
        assert label in html


# ---------------------------------------------------------------- the labelled set


def test_the_labelled_set_holds_what_it_says_and_the_check_finds_most_duplicates(county):
    labels = make_duplicate_set(county, bases=12, duplicates=8, decoys=10, seed=3)
    assert len(labels.matter) == 30 and len(labels.duplicates) == 8 and len(labels.decoys) == 10
    assert Case.objects.filter(number__in=list(labels.matter), status="reported").count() == 30
    for number in labels.duplicates:
        assert labels.same_matter(number), "a duplicate has the case it repeats"
    for number in labels.uniques + labels.decoys:
        assert not labels.same_matter(number)
    dispatcher = county.users["dispatcher"]
    found = sum(
        bool(labels.same_matter(n) & {s.number for s in _similar(dispatcher, n)}) for n in labels.duplicates
    )
    assert found >= 7, found


def test_a_reworded_title_keeps_the_matter_in_other_words():
    import random

    rng = random.Random(1)
    titles = {reworded_title("小区路灯损坏无人维修", rng) for _ in range(20)}
    assert len(titles) > 3 and all("路灯" in t for t in titles)
