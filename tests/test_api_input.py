"""Bad input gets a 4xx with field errors and nothing is written; idempotent creation."""

import json

import pytest

from pingan.cases.models import Case, CaseEvent

from .conftest import case_body


def _nothing_written():
    return Case.objects.count() == 0 and CaseEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": None}, "title"),
        ({"category": "ZZ99"}, "category"),
        ({"category": "D01"}, "category"),  # a dispute category on a request
        ({"region": "990122999999"}, "region"),
        ({"title": "长" * 100_000}, "title"),
        ({"reporter": {"name": "李四", "phone": "12345"}}, "reporter.phone"),
        ({"parties": [{"name": "王五", "id_number": "110101199003071234"}]}, "parties.0.id_number"),
        ({"stream": "gossip"}, "stream"),
        ({"lat": 123.0}, "lat"),
        ({"people_involved": 0}, "people_involved"),
        ({"occurred_at": "昨天"}, "occurred_at"),
    ],
)
def test_bad_field_is_400_with_a_field_error(county, api, change, field):
    body = case_body(county)
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    status, data = api("dispatcher").post("/cases", body)
    assert status == 400, data
    assert data["error"]["code"] == "invalid"
    assert field in data["error"]["fields"], data
    assert any("\u4e00" <= ch <= "\u9fff" for ch in data["error"]["fields"][field])
    assert _nothing_written()


def test_malformed_json_is_400(county, api):
    status, data = api("dispatcher").post("/cases", b'{"stream": "request", "title": ')
    assert status == 400 and data["error"]["code"] == "malformed_json"
    assert _nothing_written()


def test_valid_id_number_is_accepted(county, api):
    party = {"name": "王五", "id_number": "11010519491231002X", "role": "respondent"}
    d = api("dispatcher")
    status, data = d.post("/cases", case_body(county, parties=[party]))
    assert status == 201, data
    assert d.get(f"/cases/{data['number']}")[1]["parties"][0]["id_number"] == "110105********002X"


def test_region_outside_scope_is_rejected(county, api):
    body = case_body(
        county, region=county.villages[county.towns[1].code][0].code, stream="grid_event", category="G01"
    )
    status, data = api("grid_worker").post("/cases", body)
    assert status == 400 and "region" in data["error"]["fields"]


def test_role_without_intake_rights_is_403(county, api):
    status, data = api("handler").post("/cases", case_body(county))
    assert status == 403 and data["error"]["code"] == "forbidden"


def test_no_token_is_401(client, county):
    r = client.get("/api/v1/cases")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    r = client.get("/api/v1/cases", HTTP_AUTHORIZATION="Bearer nope")
    assert r.status_code == 401


def test_same_key_same_body_makes_one_case(county, api):
    d = api("dispatcher")
    body = case_body(county)
    first = d.post("/cases", body, **{"Idempotency-Key": "k-1"})
    # Same JSON with other key order and spacing is the same body.
    raw = json.dumps(dict(reversed(list(body.items()))), indent=2)
    second = d.post("/cases", raw, **{"Idempotency-Key": "k-1"})
    assert first[0] == second[0] == 201
    assert first[1]["number"] == second[1]["number"]
    assert Case.objects.count() == 1


def test_create_answers_the_ledger_row_and_where_the_whole_case_is(county, api):
    d = api("dispatcher")
    r = d.client.post("/api/v1/cases", case_body(county), content_type="application/json")
    assert r.status_code == 201
    created = r.json()
    number = created["number"]
    assert r["Location"] == created["url"] == f"/api/v1/cases/{number}"
    assert (created["status"], created["stream"], created["category"]["code"]) == (
        "reported",
        "request",
        "R02",
    )
    assert created["region"]["code"] == case_body(county)["region"]
    assert created["accept_due"] and created["reported_at"] and not created["overdue"]
    assert "reporter" not in created and "allowed_actions" not in created  # the case page is at `url`
    status, page = d.get(f"/cases/{number}")
    assert status == 200
    assert {k: page[k] for k in created if k != "url"} == {k: v for k, v in created.items() if k != "url"}


def test_a_replay_answers_exactly_what_the_first_request_got(county, api):
    d = api("dispatcher")

    def send():
        return d.client.post(
            "/api/v1/cases",
            case_body(county),
            content_type="application/json",
            headers={"Idempotency-Key": "k"},
        )

    first, again = send(), send()
    assert first.status_code == again.status_code == 201
    assert first.content == again.content and first["Location"] == again["Location"]
    assert Case.objects.count() == 1


def test_a_key_stored_with_the_whole_case_page_replays_it(county, api):
    """Answers stored before creations answered with the ledger row still replay as they were."""
    from pingan.api.models import IdempotencyRecord

    d = api("dispatcher")
    number = d.post("/cases", case_body(county), **{"Idempotency-Key": "old"})[1]["number"]
    page = d.get(f"/cases/{number}")[1]
    IdempotencyRecord.objects.filter(key="old").update(response=page)
    r = d.client.post(
        "/api/v1/cases",
        case_body(county),
        content_type="application/json",
        headers={"Idempotency-Key": "old"},
    )
    assert r.status_code == 201 and r.json() == page and r["Location"] == f"/api/v1/cases/{number}"
    assert Case.objects.count() == 1


def test_a_create_reads_no_case_page(county, api):
    """The answer is built from the case just saved: nothing is read after the writes (the case page
    took eight queries), and its stored copy goes in with the idempotency record, last."""
    from django.db import connection

    from pingan.api.models import IdempotencyRecord

    d = api("dispatcher")
    d.post("/cases", case_body(county), **{"Idempotency-Key": "warm-up"})
    statements: list[str] = []

    def counted(execute, sql, params, many, context):
        if "SAVEPOINT" not in sql:  # the test's own transaction
            statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        status, created = d.post("/cases", case_body(county), **{"Idempotency-Key": "counted"})
    assert status == 201
    assert statements[-1].startswith('INSERT INTO "api_idempotencyrecord"'), statements[-3:]
    assert not [s for s in statements if "cases_party" in s or "cases_attachment" in s]
    assert len(statements) <= 22, statements
    assert IdempotencyRecord.objects.get(key="counted").response == created


def test_same_key_other_body_is_422(county, api):
    d = api("dispatcher")
    d.post("/cases", case_body(county), **{"Idempotency-Key": "k-2"})
    status, data = d.post("/cases", case_body(county, title="另一件事"), **{"Idempotency-Key": "k-2"})
    assert status == 422 and data["error"]["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_keys_belong_to_their_user(county, api):
    api("dispatcher").post("/cases", case_body(county), **{"Idempotency-Key": "shared"})
    body = case_body(
        county, stream="grid_event", category="G02", region=county.villages[county.towns[0].code][0].code
    )
    status, _ = api("grid_worker").post("/cases", body, **{"Idempotency-Key": "shared"})
    assert status == 201
    assert Case.objects.count() == 2


def test_case_numbers_are_sequential_and_never_reused(county, api):
    d = api("dispatcher")
    numbers = [d.post("/cases", case_body(county))[1]["number"] for _ in range(3)]
    serials = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert serials == [serials[0], serials[0] + 1, serials[0] + 2]
    Case.objects.filter(number=numbers[-1]).delete()
    assert d.post("/cases", case_body(county))[1]["number"].endswith(f"{serials[0] + 3:06d}")


def test_replay_rebuilds_the_response_if_it_was_never_stored(county, api):
    from pingan.api.models import IdempotencyRecord

    d = api("dispatcher")
    first = d.post("/cases", case_body(county), **{"Idempotency-Key": "k-3"})[1]
    IdempotencyRecord.objects.update(response=None)  # as if the process died right after commit
    status, again = d.post("/cases", case_body(county), **{"Idempotency-Key": "k-3"})
    assert status == 201 and again["number"] == first["number"]
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00.0+01:03", "0001-01-01T00:00:00", "9999-12-31T23:30:00"]
)
def test_a_ledger_date_no_database_can_hold_is_400_not_500(county, api, value):
    """Found by the fuzzer: the year 1 at +01:03 is the year 0 in UTC, which overflowed in the driver."""
    status, body = api("dispatcher").get("/cases", closed_after=value)
    assert status == 400 and body["error"]["fields"] == {"closed_after": "时间超出范围"}
