"""智能建议 (issue 14): category and lead unit learnt from closed cases, offered within the user's scope."""

import io
import json
import stat

import pytest
from django.core.management import CommandError, call_command

from pingan.accounts.actions import create_user, grant_role
from pingan.cases.models import Case
from pingan.suggest import selectors
from pingan.suggest.model import Model
from pingan.suggest.training import Row, closed_cases, fit

from .conftest import PASSWORD, Api, case_body

# Clear cases of three categories, each worded a few ways; the place varies the wording too.
WORDS = {
    "D02": ["楼上邻居装修噪音扰民", "邻居深夜噪音影响休息", "邻里因噪音发生口角", "隔壁邻居养狗吵闹扰民"],
    "D10": ["工地老板拖欠工资三个月", "公司拖欠农民工工资", "包工头欠薪不还", "工厂拖欠工人工资"],
    "H02": ["餐馆燃气管道漏气", "小区燃气泄漏有异味", "液化气瓶存放不当", "燃气灶软管老化漏气"],
}
SPOTS = ["东头", "西头", "三组", "五组"]


def _lead_unit(county, category: str, town) -> str:
    """As the demo routes them: neighbours to the town's 司法所, wages and gas to county departments."""
    if category == "D02":
        return county.town_unit(town, "judicial").code
    return county.units["RSJ" if category == "D10" else "YJJ"].code


def clear_rows(county) -> list[Row]:
    rows = []
    for category, titles in WORDS.items():
        for town in county.towns[:2]:
            village = county.villages[town.code][0].code
            for title in titles:
                for spot in SPOTS:
                    text = f"{title}\n{spot}群众反映：{title}，请求处理。"
                    rows.append(Row(text, village, category, _lead_unit(county, category, town)))
    return rows


@pytest.fixture
def trained(county, settings, tmp_path):
    settings.SUGGEST_MODEL = tmp_path / "suggest.npz"
    fit(clear_rows(county)).save(settings.SUGGEST_MODEL)
    return settings.SUGGEST_MODEL


@pytest.fixture
def untrained(settings, tmp_path):
    settings.SUGGEST_MODEL = tmp_path / "none.npz"


def ask(api_user: Api, **body):
    status, data = api_user.post("/suggestions", body)
    assert status == 200, data
    return data


def codes(rows) -> list[str]:
    return [r["code"] for r in rows]


def town_dispatcher(county, town):
    user = create_user(username=f"d{town.code}", password=PASSWORD, by=None, full_name="乡镇分派员")
    grant_role(user, "dispatcher", region=town, by=None)
    return user


# ---------------------------------------------------------------- the model


def test_a_model_trained_on_clear_cases_puts_the_right_category_and_unit_first(county, api, trained):
    first, second = county.towns[0], county.towns[1]
    village = county.villages[second.code][1].code
    data = ask(api("dispatcher"), title="邻居装修噪音太大", description="楼上每晚装修", region=village)
    assert data["trained"] is True and data["trained_at"]
    assert data["category"][0]["code"] == "D02" and data["category"][0]["name"] == "邻里"
    assert data["lead_unit"][0]["code"] == county.town_unit(second, "judicial").code
    assert county.town_unit(first, "judicial").code != data["lead_unit"][0]["code"]
    assert all(0.05 <= r["confidence"] <= 1 for r in data["category"] + data["lead_unit"])
    assert len(data["category"]) <= 3 and len(data["lead_unit"]) <= 3

    wages = ask(api("dispatcher"), title="老板拖欠工资不给", stream="dispute")
    assert codes(wages["category"])[0] == "D10"
    assert codes(wages["lead_unit"])[0] == county.units["RSJ"].code
    # Asked for another stream, the dispute categories are not offered.
    gas = ask(api("dispatcher"), title="燃气漏气有异味", stream="hazard")
    assert codes(gas["category"])[0] == "H02" and not {"D02", "D10"} & set(codes(gas["category"]))


def test_the_model_file_holds_arrays_only_owner_readable_and_is_reread_when_replaced(county, trained):
    import numpy as np

    assert stat.S_IMODE(trained.stat().st_mode) == 0o600
    with np.load(trained, allow_pickle=False) as arrays:  # no pickled objects in it
        assert {"meta", "idf", "category_classes", "unit_data"} <= set(arrays.files)
    first = selectors.current_model()
    assert first is not None and selectors.current_model() is first  # cached per process
    again = fit(clear_rows(county)[:40] + clear_rows(county)[-40:])
    again.meta["trained_at"] = "2030-01-01T00:00:00+00:00"
    again.save(trained)
    reread = selectors.current_model()
    assert reread is not first and reread.meta["trained_at"] == "2030-01-01T00:00:00+00:00"


def test_a_damaged_model_file_means_no_suggestions_not_an_error(county, api, settings, tmp_path):
    settings.SUGGEST_MODEL = tmp_path / "suggest.npz"
    settings.SUGGEST_MODEL.write_bytes(b"not a model")
    assert ask(api("dispatcher"), title="邻居噪音") == {
        "trained": False,
        "trained_at": None,
        "category": [],
        "lead_unit": [],
    }


# ---------------------------------------------------------------- training


def _close(api, county, **fields) -> str:
    number = api("dispatcher").post("/cases", case_body(county, **fields))[1]["number"]
    api("dispatcher").act(number, "accept")
    api("dispatcher").act(number, "answer", {"summary": "已当场答复", "outcome": "explained"})
    return number


def test_training_reads_closed_cases_only_without_tips_purged_cases_or_personal_data(county, api):
    closed = _close(api, county, title="路灯坏了已答复")
    _close(api, county, stream="tip", category="T02", title="线索：有人聚赌", description="某茶馆聚赌")
    purged = _close(api, county, title="早已清除的案件")
    Case.objects.filter(number=purged).update(purged_at=Case.objects.get(number=purged).closed_at)
    api("dispatcher").post("/cases", case_body(county, title="仍在办理的案件"))
    rows = closed_cases(100)
    assert [r.text.split("\n")[0] for r in rows] == ["路灯坏了已答复"]
    assert rows[0].category == "R02" and rows[0].unit is None
    assert "张三丰" not in rows[0].text and "13812341234" not in rows[0].text  # the reporter's
    assert Case.objects.get(number=closed).status == "closed"


def test_pingan_train_reports_held_out_accuracy_and_saves_the_model(county, api, settings, tmp_path):
    settings.SUGGEST_MODEL = tmp_path / "suggest.npz"
    with pytest.raises(CommandError, match="至少需要 20 件"):
        call_command("train", stdout=io.StringIO())
    assert not settings.SUGGEST_MODEL.exists()
    for i in range(24):
        title, category = ("小区路灯损坏", "R02") if i % 2 else ("咨询社保办理流程", "R01")
        _close(api, county, title=f"{title}{i}", category=category)
    out = io.StringIO()
    call_command("train", "--holdout", "0.5", stdout=out)
    text = out.getvalue()
    assert "留出 12 件检验的准确率" in text and "分类（按标题和内容）：首选命中" in text
    assert "牵头单位（按标题、内容、地点和已选分类）：留出的案件太少，未评估" in text
    assert "模型已保存" in text
    model = Model.load(settings.SUGGEST_MODEL)
    assert model.meta["cases"] == 24 and model.meta["held_out"] == 12
    assert model.unit is None and set(model.category.classes) == {"R01", "R02"}
    assert ask(api("dispatcher"), title="路灯损坏", stream="request")["category"][0]["code"] == "R02"
    with pytest.raises(CommandError, match="--holdout"):
        call_command("train", "--holdout", "1", stdout=io.StringIO())


# ---------------------------------------------------------------- no model: as today


def test_without_a_model_the_api_says_so_and_the_forms_work_as_today(county, api, web, untrained):
    assert ask(api("dispatcher"), title="邻居噪音") == {
        "trained": False,
        "trained_at": None,
        "category": [],
        "lead_unit": [],
    }
    c = web("dispatcher")
    assert "/suggest/" not in c.get("/cases/new/").content.decode()  # the form asks nothing
    hint = c.post("/suggest/intake/", {"title": "邻居噪音", "stream": "dispute"})
    assert hint.status_code == 200 and hint.content.strip() == b""
    body = case_body(county)
    form = {k: v for k, v in body.items() if k not in ("reporter", "region")} | {"region": body["region"]}
    r = c.post("/cases/new/", form)
    assert r.status_code == 302
    number = r["Location"].rstrip("/").split("/")[-1]
    api("dispatcher").act(number, "accept")
    assert c.get(f"/suggest/cases/{number}/").content.strip() == b""
    page = c.get(f"/cases/{number}/")
    assert page.status_code == 200 and "/suggest/" not in page.content.decode()


# ---------------------------------------------------------------- bad input


def test_bad_input_is_refused_in_chinese(api, trained, client):
    dispatcher = api("dispatcher")
    cases = [
        ({"title": ""}, {"title": "不能为空"}),
        ({"title": "噪" * 201}, {"title": "不能超过 200 个字"}),
        ({"title": "噪音", "region": "12ab"}, {"region": "区划代码应为 6、9、12 或 15 位数字"}),
        ({"title": "噪音", "stream": "gossip"}, None),
        ({"title": "噪音", "reporter": "张三"}, {"reporter": "不支持的字段"}),
        ({}, {"title": "此项必填"}),
    ]
    for body, fields in cases:
        status, data = dispatcher.post("/suggestions", body)
        assert status == 400 and data["error"]["code"] == "invalid", (body, data)
        assert data["error"]["message"] == "提交的内容有误，请检查标出的字段。"
        if fields:
            assert data["error"]["fields"] == fields
    status, data = dispatcher.post("/suggestions", "{not json")
    assert status == 400 and data["error"]["code"] == "malformed_json"
    r = client.post("/api/v1/suggestions", json.dumps({"title": "噪音"}), content_type="application/json")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    assert client.post("/suggest/intake/", {"title": "噪音"}).status_code == 302  # to the login page


# ---------------------------------------------------------------- scope


def test_a_unit_is_suggested_only_to_a_dispatcher_who_may_choose_it(county, api, web, trained):
    first, second = county.towns[0], county.towns[1]
    theirs = county.town_unit(first, "judicial").code
    village = county.villages[first.code][0].code
    body = {"title": "邻居深夜噪音影响休息", "stream": "dispute", "region": village}
    assert codes(ask(api("dispatcher"), **body)["lead_unit"])[0] == theirs

    # A dispatcher of the second town is not to hand cases to the first town's 司法所: never offered,
    # however sure the model is; the county's departments above his town are.
    local = Api(town_dispatcher(county, second))
    offered = codes(ask(local, **body)["lead_unit"])
    assert theirs not in offered
    assert codes(ask(local, title="工地老板拖欠工资三个月", region=village)["lead_unit"])[0] == "990122-RSJ"
    for username in ("handler", "grid_worker", "leader", "auditor"):  # they dispatch nothing
        assert ask(api(username), **body)["lead_unit"] == []

    # Categories: only of the streams the user may register.
    assert codes(ask(api("grid_worker"), **body)["category"])[0] == "D02"
    assert ask(api("grid_worker"), title="咨询社保", stream="petition")["category"] == []
    assert ask(api("handler"), **body)["category"] == []

    # On a tip, the units it is kept from (回避) are never offered for its dispatch.
    tip_body = case_body(county, stream="tip", category="T02", title="邻居深夜噪音影响休息", region=village)
    tip = api("dispatcher").post("/cases", tip_body)[1]["number"]
    api("dispatcher").act(tip, "accept")
    c = web("dispatcher")
    assert theirs in c.get(f"/suggest/cases/{tip}/").content.decode()
    api("dispatcher").act(tip, "exclude", {"units": [theirs], "reason": "线索涉及该所工作人员"})
    assert theirs not in c.get(f"/suggest/cases/{tip}/").content.decode()
    # A case outside the user's scope answers 404, as everywhere.
    assert web("handler2").get(f"/suggest/cases/{tip}/").status_code == 404


# ---------------------------------------------------------------- the forms


def test_the_forms_offer_the_suggestions_as_buttons_that_fill_the_field(county, api, web, trained):
    c = web("dispatcher")
    page = c.get("/cases/new/").content.decode()
    assert 'hx-post="/suggest/intake/"' in page and 'id="category-hint"' in page
    hint = c.post("/suggest/intake/", {"title": "邻居深夜噪音", "stream": "dispute", "category": "D02"})
    html = hint.content.decode()
    assert "建议分类：" in html and "置信度" in html
    assert 'data-fill="i-category" data-value="D02" aria-pressed="true"' in html
    assert c.post("/suggest/intake/", {"title": "", "stream": "dispute"}).content.strip() == b""

    village = county.villages[county.towns[0].code][0].code
    number = api("dispatcher").post(
        "/cases", case_body(county, stream="dispute", category="D02", title="邻居噪音扰民", region=village)
    )[1]["number"]
    assert f"/suggest/cases/{number}/" not in c.get(f"/cases/{number}/").content.decode()  # not yet
    api("dispatcher").act(number, "accept")
    assert f'hx-get="/suggest/cases/{number}/"' in c.get(f"/cases/{number}/").content.decode()
    html = c.get(f"/suggest/cases/{number}/").content.decode()
    unit = county.town_unit(county.towns[0], "judicial")
    assert f'data-fill="dispatch-lead_unit" data-value="{unit.code}"' in html and "建议牵头单位：" in html
    # Only while it may be dispatched: the handler sees the case once it is his, but no hint.
    api("dispatcher").act(number, "dispatch", {"lead_unit": unit.code})
    assert web("handler").get(f"/suggest/cases/{number}/").content.strip() == b""


def test_a_suggestion_costs_a_fixed_handful_of_queries(county, api, trained):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    dispatcher = api("dispatcher")
    ask(dispatcher, title="先问一次")  # the token's first use records when it was used
    for title in ("邻居噪音", "工地老板拖欠工资三个月，工人多次讨要未果" * 20):
        with CaptureQueriesContext(connection) as ctx:
            ask(dispatcher, title=title[:200], description=title, region=county.towns[0].code)
        # The token, the grants, the categories (with their parents), the units within reach.
        assert len(ctx.captured_queries) == 4, "\n".join(q["sql"][:90] for q in ctx.captured_queries)
