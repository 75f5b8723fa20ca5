"""OpenAPI, reference data, tokens and pinned query counts."""

import re

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pingan.accounts.models import ApiToken

from .conftest import JPEG, PASSWORD, case_body


def test_openapi_document_and_docs(client, county):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for p in (
        "/api/v1/cases",
        "/api/v1/cases/{number}",
        "/api/v1/cases/{number}/events",
        "/api/v1/cases/{number}/actions/resolve",
        "/api/v1/auth/token",
        "/api/v1/me",
    ):
        assert p in paths
    assert client.get("/api/v1/docs").status_code == 200


def test_openapi_gives_each_action_its_operation_and_every_answer_its_schema(client):
    from pingan.cases.actions import ACTIONS

    doc = client.get("/api/v1/openapi.json").json()
    paths, schemas = doc["paths"], doc["components"]["schemas"]
    # One operation per workflow action, with the body of that action; no catch-all `{action}`.
    assert "/api/v1/cases/{number}/actions/{action}" not in paths
    for name, action in ACTIONS.items():
        op = paths[f"/api/v1/cases/{{number}}/actions/{name}"]["post"]
        body = op["requestBody"]["content"]["application/json"]["schema"]
        assert body["title"] == action.schema.__name__ and body["additionalProperties"] is False
        assert {"200", "404", "409"} <= set(op["responses"])
    # Every status of every operation has a body schema, and every error is the one error format.
    for path, ops in paths.items():
        for method, op in ops.items():
            for status, answer in op["responses"].items():
                if status == "204":
                    continue
                assert answer.get("content"), (method, path, status)
                if status >= "400":
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/ErrorOut", (method, path, status)
    assert schemas["CaseOut"]["additionalProperties"] is False
    assert schemas["ErrorBody"]["required"] == ["code", "message"]


def test_docs_load_swagger_ui_from_pingan_itself(client):
    """No CDN: the CSP forbids it and an intranet cannot reach one (the browser test renders the page)."""
    html = client.get("/api/v1/docs").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/ninja/swagger-ui-bundle.js" in assets and "/static/ninja/swagger-ui.css" in assets
    assert all(a.startswith("/static/") for a in assets), assets
    assert "<script>" not in html and " style=" not in html
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_token_from_password(client, county):
    r = client.post(
        "/api/v1/auth/token", {"username": "leader", "password": PASSWORD}, content_type="application/json"
    )
    assert r.status_code == 200
    token = r.json()["token"]
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert me["username"] == "leader" and me["grants"][0] == {
        "role": "leader",
        "role_label": "领导",
        "region": county.code,
        "unit": None,
    }
    r = client.post(
        "/api/v1/auth/token", {"username": "leader", "password": "wrong"}, content_type="application/json"
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"


def test_create_token_command(county, capsys):
    call_command("create_token", "dispatcher")
    token = capsys.readouterr().out.strip()
    assert token.startswith("pa_") and ApiToken.objects.filter(user__username="dispatcher").count() == 1


def test_reference_data(county, api):
    d = api("dispatcher")
    towns = d.get("/regions", parent=county.code)[1]["items"]
    assert [t["code"] for t in towns] == [t.code for t in county.towns]
    cats = d.get("/categories", stream="dispute")[1]["items"]
    assert len(cats) == 16 and cats[0]["name"] == "婚姻家庭"
    units = d.get("/units", region=county.towns[0].code)[1]["items"]
    assert {u["kind"] for u in units} >= {"town", "judicial"}


def _count(api_client, path, **params):
    with CaptureQueriesContext(connection) as ctx:
        status, _ = api_client.get(path, **params)
    assert status == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_page_size(county, api):
    d = api("dispatcher")
    for i in range(12):
        body = case_body(county, title=f"事项{i}", parties=[{"name": "甲"}, {"name": "乙"}])
        number = d.post("/cases", body)[1]["number"]
        if i % 2:
            d.act(number, "accept")
            d.act(number, "dispatch", {"co_units": [county.units["SFJ"].code]})
    small = _count(d, "/cases", limit=2)
    large = _count(d, "/cases", limit=12)
    assert small == large == 4  # token, grants, cases (with their joins), co-units


def test_detail_query_count_is_fixed(county, api):
    d, h = api("dispatcher"), api("handler")
    few = d.post("/cases", case_body(county, parties=[{"name": "甲"}]))[1]["number"]
    many = d.post("/cases", case_body(county, parties=[{"name": f"当事人{i}"} for i in range(6)]))[1][
        "number"
    ]
    for number, times in ((few, 1), (many, 4)):
        d.act(number, "accept")
        d.act(number, "dispatch", {"co_units": [county.units["SFJ"].code, county.units["RSJ"].code][:times]})
        h.act(number, "sign")
        for i in range(times):
            h.upload(number, JPEG)
            h.act(number, "record_work", {"kind": "visit", "content": f"第{i}次走访"})
    # Fixed however many sub-records the case has (the 11th reads its related cases).
    assert _count(d, f"/cases/{few}") == _count(d, f"/cases/{many}") == 11


def test_ledger_rows_match_the_head_of_the_case_page(county, api):
    d = api("dispatcher")
    number = d.post("/cases", case_body(county))[1]["number"]
    d.act(number, "accept")
    d.act(number, "dispatch", {"co_units": [county.units["SFJ"].code]})
    item = d.get("/cases")[1]["items"][0]
    detail = d.get(f"/cases/{number}")[1]
    assert item == {key: detail[key] for key in item}
    assert item["co_units"] == [{"code": county.units["SFJ"].code, "name": "示范县司法局"}]


def test_no_two_schemas_share_a_name_in_the_openapi_document():
    """django-ninja names a schema component after its class: two classes of one name would document
    one endpoint with the other's schema (a campaign's IndicatorOut once stood in for the statistics')."""
    import importlib
    import inspect
    import pkgutil

    from pydantic import BaseModel

    import pingan
    from pingan.api.base import api

    components = set(api.get_openapi_schema()["components"]["schemas"])
    modules: dict[str, set[str]] = {}
    for info in pkgutil.walk_packages(pingan.__path__, "pingan."):
        if ".migrations" in info.name or info.name in ("pingan.__main__", "pingan.wsgi"):
            continue
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if inspect.isclass(cls) and issubclass(cls, BaseModel) and cls.__module__ == module.__name__:
                modules.setdefault(cls.__name__, set()).add(cls.__module__)
    clashes = {name: found for name, found in modules.items() if len(found) > 1 and name in components}
    assert not clashes
    assert len(components) > 50  # the walk saw the API's schemas
