"""Open311 GeoReport v2 at /open311/v2/: every endpoint in JSON and XML, errors, privacy and limits."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pingan.accounts.models import ApiToken
from pingan.cases.actions import perform
from pingan.cases.models import Case, Reporter, Status
from pingan.open311 import service_requests
from pingan.open311.models import Open311Token
from pingan.portal.public import submit_report

BASE = "/open311/v2"
FORMATS = ("json", "xml")
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
}
PRIVATE_FIELDS = {"description", "address", "lat", "long", "media_url"}


def parse(response):
    if response["Content-Type"] == "application/json; charset=utf-8":
        return json.loads(response.content)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)  # noqa: S314  (only what our own server wrote)


def get(path, fmt="json", client=None, **params):
    response = (client or Client()).get(f"{BASE}/{path}.{fmt}", params)
    return response.status_code, parse(response)


def post(fmt="json", **form):
    response = Client(enforce_csrf_checks=True).post(f"{BASE}/requests.{fmt}", form)
    return response.status_code, parse(response)


def items(body, fmt):
    """A list answer as dicts of text, whichever the format (XML: <root><item><field>…)."""
    if fmt == "json":
        return body
    return [{child.tag: child.text for child in item} for item in body]


def errors(body, fmt):
    if fmt == "json":
        return body
    assert body.tag == "errors"
    return [{"code": int(e.findtext("code")), "description": e.findtext("description")} for e in body]


@pytest.fixture
def key(county):
    return lambda username: ApiToken.issue(county.users[username], name="open311")[1]


@pytest.fixture
def submit(key):
    """POST a service request as the `grid_worker` client app; returns the case."""
    api_key = key("grid_worker")

    def send(**form):
        form = {"api_key": api_key, "service_code": "R02", "lat": "28.1", "long": "112.9"} | form
        form.setdefault("description", "幸福小区 3 栋门口路灯已坏半月，夜间出行不便。")
        status, body = post(**form)
        assert status == 201, body
        return Case.objects.get(number=body[0]["service_request_id"])

    return send


# ---------------------------------------------------------------- discovery and services


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_lists_the_endpoint_and_its_formats(county, fmt):
    status, body = get("discovery", fmt)
    assert status == 200
    if fmt == "xml":
        assert body.tag == "discovery"
        endpoint = body.find("endpoints/endpoint")
        assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
        body = {child.tag: child.text for child in body} | {
            "endpoints": [{child.tag: child.text for child in endpoint}]
        }
    assert {"changeset", "contact", "key_service", "endpoints"} <= body.keys()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["type"] == "production" and endpoint["changeset"]
    assert body["jurisdiction_id"] == county.code


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_request_and_hazard_categories(county, fmt):
    status, body = get("services", fmt)
    assert status == 200
    if fmt == "xml":
        assert body.tag == "services" and {s.tag for s in body} == {"service"}
    services = {s["service_code"]: s for s in items(body, fmt)}
    assert {code[0] for code in services} == {"R", "H"}  # no tip, dispute or petition categories
    for service in services.values():
        assert {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"} <= (
            service.keys()
        )
        assert service["type"] == "realtime"
    true, false = (True, False) if fmt == "json" else ("true", "false")
    assert services["H01"]["metadata"] == true and services["H01"]["service_name"] == "消防"
    assert services["R02"]["metadata"] == false and services["R02"]["group"] == "群众诉求"


@pytest.mark.parametrize("fmt", FORMATS)
def test_hazard_definition_asks_severity_and_scope(county, fmt):
    status, body = get("services/H02", fmt)
    assert status == 200
    if fmt == "json":
        assert body["service_code"] == "H02"
        severity, scope = body["attributes"]
        assert severity["values"] == [{"key": "normal", "name": "一般"}, {"key": "major", "name": "重大"}]
    else:
        assert body.tag == "service_definition" and body.findtext("service_code") == "H02"
        attributes = body.findall("attributes/attribute")
        assert [v.findtext("name") for v in attributes[0].findall("values/value")] == ["一般", "重大"]
        severity, scope = ({c.tag: c.text for c in a} for a in attributes)
    fields = {"variable", "code", "datatype", "required", "datatype_description", "order", "description"}
    assert fields <= severity.keys() and fields <= scope.keys()
    assert (severity["code"], severity["datatype"]) == ("severity", "singlevaluelist")
    assert (scope["code"], scope["datatype"], str(scope["order"])) == ("hazard_scope", "string", "2")


def test_request_definition_has_no_attributes_and_unknown_services_are_404(county):
    assert get("services/R01") == (200, {"service_code": "R01", "attributes": []})
    for code in ("T01", "D01", "NOPE"):  # a tip or a dispute is not a service
        status, body = get(f"services/{code}")
        assert status == 404 and body[0]["code"] == 404
    status, body = get("services/NOPE", "xml")
    assert status == 404 and errors(body, "xml")[0]["code"] == 404


def test_unknown_format_and_foreign_jurisdiction_are_404(county):
    response = Client().get(f"{BASE}/services.csv")
    assert response.status_code == 404 and parse(response).tag == "errors"
    status, body = get("services", jurisdiction_id="110101")
    assert status == 404 and "110101" in body[0]["description"]
    assert get("services", jurisdiction_id=county.code)[0] == 200


# ---------------------------------------------------------------- POST requests


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_without_or_with_a_wrong_api_key_is_403(county, fmt):
    for form in ({}, {"api_key": "pa_not-a-token"}):
        status, body = post(
            fmt, service_code="R02", lat="28.1", long="112.9", description="路灯坏了很久", **form
        )
        assert status == 403
        assert [e["code"] for e in errors(body, fmt)] == [403]
    assert not Case.objects.exists()


def test_post_creates_an_online_case_the_dispatcher_sees(county, key):
    status, body = post(
        api_key=key("grid_worker"),
        service_code="H01",
        lat="28.123456789",  # float noise beyond six places is rounded, not refused
        long="112.987654321",
        address_string="幸福小区 3 栋楼道",
        description="楼道里堆满纸箱，堵住了消防通道。",
        first_name="三",
        last_name="张",
        phone="13812341234",
        email="zhang@example.com",
        device_id="device-1",
        media_url="https://example.com/a.jpg",
        **{"attribute[severity]": "major", "attribute[hazard_scope]": "整栋楼 30 户"},
    )
    assert status == 201
    [answer] = body
    assert {"service_request_id", "token", "service_notice", "account_id"} <= answer.keys()
    case = Case.objects.visible_to(county.users["dispatcher"]).get(number=answer["service_request_id"])
    assert (case.stream, case.category.code, case.channel) == ("hazard", "H01", Case.Channel.ONLINE)
    assert case.region.code == county.code and case.status == Status.REPORTED
    assert case.extra == {"open311": {"severity": "major", "hazard_scope": "整栋楼 30 户"}}
    assert case.severity == Case.Severity.NORMAL  # the reporter's view; the dispatcher assesses
    assert str(case.lat) == "28.123457" and case.address == "幸福小区 3 栋楼道"
    assert case.events.get().actor == "grid_worker"
    reporter = Reporter.objects.get(case=case)
    assert (reporter.name, reporter.phone, reporter.anonymous) == ("张三", "13812341234", False)
    stored = json.dumps([case.extra, case.description, case.address, reporter.address])
    assert "example.com" not in stored and "device-1" not in stored
    assert Open311Token.objects.get(case=case).token == answer["token"]
    assert "查询码" in answer["service_notice"]


def test_post_in_xml_answers_service_requests(county, key):
    status, body = post("xml", api_key=key("grid_worker"), service_code="R01", address_string="城关街道 1 号")
    assert status == 201 and body.tag == "service_requests"
    request = body.find("request")
    assert request.findtext("service_request_id").startswith("PA-")
    assert request.findtext("token") and request.find("account_id").text is None  # present, empty
    # No description is optional in the spec: the case says so instead of being refused.
    assert "未附文字说明" in Case.objects.get().description
    assert Reporter.objects.get().anonymous


@pytest.mark.parametrize(
    ("form", "status", "parameter"),
    [
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "T01"}, 404, None),
        ({"service_code": "ZZZ"}, 404, None),
        ({"lat": "", "long": ""}, 400, "lat"),
        ({"long": ""}, 400, "long"),
        ({"lat": "north"}, 400, "lat"),
        ({"lat": "95"}, 400, "lat"),
        ({"description": "x" * 4001}, 400, "description"),
        ({"service_code": "H01", "attribute[severity]": "huge"}, 400, "attribute[severity]"),
        ({"first_name": "三", "last_name": "张", "phone": "12345"}, 400, "phone"),
        ({"region": "000000"}, 400, "region"),
    ],
)
def test_bad_posts_answer_the_error_list(county, key, form, status, parameter):
    base = {"api_key": key("grid_worker"), "service_code": "R02", "lat": "28.1", "long": "112.9"}
    got, body = post(**(base | {"description": "幸福小区路灯坏了"} | form))
    assert got == status and body[0]["code"] == status
    if parameter:
        assert body[0]["description"].startswith(parameter + "：")
    assert not Case.objects.exists() and not Open311Token.objects.exists()


def test_region_parameter_places_the_case(county, submit):
    village = county.villages[county.towns[0].code][0]
    assert submit(region=village.code).region == village


# ---------------------------------------------------------------- GET requests


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_without_api_key_show_no_personal_fields(county, submit, fmt):
    case = submit(address_string="幸福小区 3 栋", first_name="张三")
    status, body = get("requests", fmt)
    assert status == 200
    if fmt == "xml":
        assert body.tag == "service_requests" and {r.tag for r in body} == {"request"}
    [row] = items(body, fmt)
    assert row.keys() >= REQUEST_FIELDS and not PRIVATE_FIELDS & row.keys()
    assert row["service_request_id"] == case.number and row["status"] == "open"
    assert row["service_code"] == "R02" and row["status_notes"] == "已收到，等待受理"
    assert row["requested_datetime"].endswith("+08:00") and row["expected_datetime"].endswith("+08:00")
    assert "张三" not in json.dumps(row, ensure_ascii=False)


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_with_api_key_show_what_the_user_may_see(county, submit, key, fmt):
    case = submit(address_string="幸福小区 3 栋", first_name="张三", phone="13812341234")
    perform(county.users["dispatcher"], case.number, "reply", {"text": "已转供电所，三日内修复。"})
    [row] = items(get("requests", fmt, api_key=key("dispatcher"))[1], fmt)
    assert row["description"] == case.description and row["address"] == "幸福小区 3 栋"
    assert str(row["lat"]) == "28.1" and str(row["long"]) == "112.9"
    assert row["status_notes"] == "已转供电所，三日内修复。"
    assert "张三" not in str(row) and "13812341234" not in str(row) and "media_url" not in row
    # handler2 works in another town and sees none of it; a wrong key is refused, not ignored.
    assert items(get("requests", fmt, api_key=key("handler2"))[1], fmt) == []
    assert get("requests", fmt, api_key="pa_wrong")[0] == 403


def test_without_api_key_only_what_the_public_filed_is_listed(county, submit, key):
    """A case staff entered (a hotline call, say) is no business of an anonymous client (DESIGN §7)."""
    filed = submit()
    staff = perform_create(county)
    assert [r["service_request_id"] for r in get("requests")[1]] == [filed.number]
    assert get(f"requests/{staff.number}")[0] == 404
    with_key = {r["service_request_id"] for r in get("requests", api_key=key("dispatcher"))[1]}
    assert with_key == {filed.number, staff.number}


def perform_create(county) -> Case:
    from pingan.cases.actions import create_case

    village = county.villages[county.towns[0].code][0]
    body = {"stream": "request", "category": "R02", "title": "来电反映路灯不亮", "region": village.code}
    return create_case(county.users["dispatcher"], {**body, "channel": "hotline"})


def test_replies_are_not_shown_without_api_key(county, submit):
    case = submit()
    perform(county.users["dispatcher"], case.number, "reply", {"text": "王先生您好，已安排维修。"})
    assert get("requests")[1][0]["status_notes"] == "已收到，等待受理"


def test_tips_and_other_streams_are_never_listed(county, submit, key):
    submit()
    tip, _ = submit_report(
        {"stream": "tip", "description": "某处有人聚众赌博，已持续多日", "category": "T02"}
    )
    for params in ({}, {"api_key": key("dispatcher")}, {"api_key": key("custodian")}):
        numbers = [r["service_request_id"] for r in get("requests", **params)[1]]
        assert len(numbers) == 1 and tip.number not in numbers
        assert get(f"requests/{tip.number}", **params)[0] == 404
        assert get("requests", service_request_id=tip.number, **params)[1] == []


def test_default_window_is_the_last_90_days_and_longer_ranges_are_refused(county, submit):
    recent, old = submit(), submit()
    now = timezone.now()
    Case.objects.filter(pk=old.pk).update(reported_at=now - timedelta(days=100))
    assert [r["service_request_id"] for r in get("requests")[1]] == [recent.number]
    start = (now - timedelta(days=120)).isoformat()
    end = (now - timedelta(days=31)).isoformat()
    assert [r["service_request_id"] for r in get("requests", start_date=start, end_date=end)[1]] == [
        old.number
    ]
    assert [r["service_request_id"] for r in get("requests", start_date=start)[1]] == [old.number]
    for params in (
        {"start_date": start, "end_date": now.isoformat()},  # 120 days
        {"start_date": now.isoformat(), "end_date": start},  # backwards
        {"start_date": "2026-01-01T00:00:00"},  # no timezone
        {"end_date": "yesterday"},
    ):
        status, body = get("requests", **params)
        assert status == 400 and body[0]["code"] == 400, params
    status, body = get("requests", "xml", start_date=start, end_date=now.isoformat())
    assert status == 400 and errors(body, "xml")[0]["description"].startswith("end_date：")


def test_unencoded_plus_in_a_date_is_read_as_the_offset(county, submit):
    case = submit()
    day = timezone.localtime().strftime("%Y-%m-%d")
    response = Client().get(f"{BASE}/requests.json?start_date={day}T00:00:00+08:00")
    assert [r["service_request_id"] for r in parse(response)] == [case.number]


@pytest.mark.parametrize("fmt", FORMATS)
def test_status_filter_and_closed_mapping(county, submit, fmt):
    open_case, rejected = submit(), submit()
    perform(county.users["dispatcher"], rejected.number, "reject", {"reason": "不属于受理范围"})

    def numbers(**params):
        return {r["service_request_id"]: r["status"] for r in items(get("requests", fmt, **params)[1], fmt)}

    assert numbers(status="open") == {open_case.number: "open"}
    assert numbers(status="closed") == {rejected.number: "closed"}
    assert numbers(status="open,closed") == numbers() == {open_case.number: "open", rejected.number: "closed"}
    assert get("requests", fmt, status="pending")[0] == 400
    # Ids override every other filter, as the spec says.
    assert numbers(service_request_id=f"{open_case.number},{rejected.number}", status="closed").keys() == {
        open_case.number,
        rejected.number,
    }
    row = items(get(f"requests/{rejected.number}", fmt)[1], fmt)[0]
    assert row["status_notes"] == "不予受理" and not row["expected_datetime"]


def test_service_code_filter(county, submit):
    request = submit()
    hazard = submit(service_code="H03")
    assert [r["service_request_id"] for r in get("requests", service_code="H03,H04")[1]] == [hazard.number]
    assert [r["service_request_id"] for r in get("requests", service_code="R02")[1]] == [request.number]


def test_at_most_the_cap_newest_first(county, submit, monkeypatch):
    cases = [submit() for _ in range(3)]
    monkeypatch.setattr(service_requests, "MAX_REQUESTS", 2)
    body = get("requests")[1]
    assert [r["service_request_id"] for r in body] == [cases[2].number, cases[1].number]


def test_listing_query_count_does_not_grow_with_cases(county, submit, key):
    api_key = key("dispatcher")
    get("requests", api_key=api_key)  # the key's first use also records its last use

    def queries(expected_rows):
        with CaptureQueriesContext(connection) as captured:
            assert len(get("requests", api_key=api_key)[1]) == expected_rows
        return len(captured)  # now: the context reads the log lazily, and later requests reset it

    submit()
    one = queries(1)
    case = submit()
    perform(county.users["dispatcher"], case.number, "reply", {"text": "已受理"})
    submit(service_code="H01")
    assert queries(3) == one <= 3  # token, grants, cases (with the latest reply as a subquery)


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_by_id(county, submit, key, fmt):
    case = submit()
    status, body = get(f"requests/{case.number}", fmt)
    [row] = items(body, fmt)
    assert status == 200 and row["service_request_id"] == case.number and "description" not in row
    keyed = items(get(f"requests/{case.number}", fmt, api_key=key("dispatcher"))[1], fmt)[0]
    assert keyed["description"] == case.description
    # Out of scope and missing answer alike.
    assert get(f"requests/{case.number}", fmt, api_key=key("handler2"))[0] == 404
    status, body = get("requests/PA-990122-2026-999999", fmt)
    assert status == 404 and errors(body, fmt)[0]["code"] == 404


# ---------------------------------------------------------------- tokens


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_gives_back_the_request_id(county, key, fmt):
    status, body = post(fmt, api_key=key("grid_worker"), service_code="R03", address_string="东城街道")
    submitted = items(body, fmt)[0]
    status, body = get(f"tokens/{submitted['token']}", fmt)
    assert status == 200
    assert items(body, fmt) == [
        {"service_request_id": submitted["service_request_id"], "token": submitted["token"]}
    ]
    status, body = get("tokens/not-a-token", fmt)
    assert status == 404 and errors(body, fmt)[0]["code"] == 404


def test_xml_escapes_what_reporters_write(county, submit, key):
    case = submit(description="<script>alert(1)</script> & 路灯\x07坏了")
    response = Client().get(f"{BASE}/requests/{case.number}.xml", {"api_key": key("dispatcher")})
    assert b"<script>" not in response.content
    # The text survives the round trip, less the control character XML cannot carry at all.
    assert parse(response).findtext("request/description") == "<script>alert(1)</script> & 路灯坏了"


def test_wrong_method_is_405_with_allow(county):
    response = Client().delete(f"{BASE}/requests.json")
    assert response.status_code == 405 and response["Allow"] == "GET, POST"
    assert parse(response)[0]["code"] == 405
