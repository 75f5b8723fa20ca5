"""Tips stay with those who must see them (回避), and the public path leaves no trace of its clients."""

import http.client
import json
import logging
import re
import subprocess

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pingan.audit.models import AuditEntry
from pingan.cases.models import Case
from pingan.demo.county import build_county
from pingan.notices.models import Notification

from .conftest import case_body
from .realserver import REPO, free_port, pingan_command, server_environment, stop, wait_until_listening

CANARY_IP = "203.0.113.187"
CANARY_UA = "CanaryAgent/7.7 (canary-ua-3141)"


def _everything_in_the_database() -> str:
    """Every row of every table, as text: models, sessions, the cache table, the task queue."""
    chunks = []
    for model in apps.get_models():
        chunks.append(json.dumps(list(model.objects.values()), default=str, ensure_ascii=False))
    with connection.cursor() as cur:
        cur.execute("SELECT cache_key, value FROM pingan_cache")
        chunks.append(repr(cur.fetchall()))
    return "\n".join(chunks)


def test_a_public_submission_leaves_no_trace_of_the_client_address_or_agent(
    county, caplog, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    caplog.set_level(logging.DEBUG)  # everything any logger says, SQL included when it logs
    client = Client(
        REMOTE_ADDR=CANARY_IP,
        HTTP_USER_AGENT=CANARY_UA,
        HTTP_X_FORWARDED_FOR=CANARY_IP,
        HTTP_X_REAL_IP=CANARY_IP,
    )
    with CaptureQueriesContext(connection) as queries:
        r = client.post(
            "/api/v1/public/reports",
            {"stream": "tip", "description": "某歌厅夜里聚众赌博，常有人放贷"},
            content_type="application/json",
        )
        assert r.status_code == 201
        receipt = r.json()["receipt"]
        page = client.post(
            "/portal/new/hazard/", {"description": "加油站旁边有人卖散装汽油", "anonymous": "yes"}
        )
        assert page.status_code == 200
        for path, body in (
            ("/lookup", {}),
            ("/messages", {"text": "又看到了"}),
            ("/lookup", {"receipt": "WRONG"}),
        ):
            client.post(
                "/api/v1/public/reports" + path, {"receipt": receipt, **body}, content_type="application/json"
            )
        client.post("/portal/r/", {"receipt": receipt, "op": "lookup"})
    assert Case.objects.count() == 2
    stored = _everything_in_the_database()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    sql = "\n".join(q["sql"] for q in queries.captured_queries)
    assert "pingan_cache" in sql  # the rate limiter did write, and what it wrote is hashed
    for canary in (CANARY_IP, CANARY_UA, "canary-ua-3141"):
        assert canary not in stored
        assert canary not in logged
        assert canary not in sql


CANARY_REAL_IP = "198.51.100.74"
# An access log line: the client, then the request ("GET /portal/ HTTP/1.1").
REQUEST_LINE = re.compile(r"\b(GET|POST|HEAD|PUT|PATCH|DELETE|OPTIONS) /|HTTP/1\.[01]")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_running_server_prints_nothing_of_its_clients(tmp_path):
    """`pingan serve` (gunicorn) keeps no access log, and nothing the server prints while serving the
    public path and a failed sign-in names the client's address or agent.

    The server is another process, so it reads what this test committed: on PostgreSQL the suite's
    test database itself (hence a transactional test, which restores the migrations' reference data
    afterwards); on SQLite, whose test database lives in this process's memory, a file copy of it."""
    build_county(towns=1, villages_per_town=1, grids_per_village=1)
    env = server_environment(tmp_path)
    port = free_port()
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        server = subprocess.Popen(  # noqa: S603 (our own console command)
            [*pingan_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            cwd=REPO,
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            wait_until_listening(server, port, out, err)
            report = {"stream": "hazard", "description": "测试用隐患描述内容", "anonymous": True}
            answers = [
                _request(port, "GET", "/portal/"),
                _request(port, "POST", "/api/v1/public/reports", report),
                _request(port, "POST", "/api/v1/public/reports/lookup", {"receipt": "WRONG-CODE"}),
                _request(port, "POST", "/api/v1/auth/token", {"username": "nobody", "password": "wrong"}),
                _request(port, "GET", "/no-such-page/"),
            ]
        finally:
            stop(server)
    # 201: the server read the county this test committed.
    assert [status for status, _ in answers] == [200, 201, 404, 401, 404], answers
    assert "receipt" in answers[1][1]
    printed = out.read_text("utf-8", "replace") + err.read_text("utf-8", "replace")
    assert f"127.0.0.1:{port}" in printed  # what we read is this server's own output
    for canary in (CANARY_IP, CANARY_REAL_IP, CANARY_UA, "canary-ua-3141", "CanaryAgent"):
        assert canary not in printed, printed
    client_lines = [
        line for line in printed.splitlines() if "127.0.0.1" in line and REQUEST_LINE.search(line)
    ]
    assert not client_lines, client_lines


def _request(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
    """One request as a client behind a proxy would send it, with canary addresses and agent."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    headers = {"X-Forwarded-For": CANARY_IP, "X-Real-IP": CANARY_REAL_IP, "User-Agent": CANARY_UA}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


JUDICIAL_INVOLVED = {"reason": "线索涉及该所工作人员"}


@pytest.fixture
def tip(county, api):
    """A tip in the first town, accepted, not yet dispatched."""
    first = county.towns[0]
    village = county.villages[first.code][0]
    status, case = api("dispatcher").post(
        "/cases",
        {
            "stream": "tip",
            "title": "有人在村里放高利贷",
            "description": "据说和镇司法所的人有来往",
            "region": village.code,
            "channel": "letter",
            "reporter": {"name": "赵六", "phone": "13700001111"},
        },
    )
    assert status == 201, case
    api("dispatcher").act(case["number"], "accept")
    return case["number"]


def exclude_judicial(county, api, number):
    unit = county.town_unit(county.towns[0], "judicial").code
    api("dispatcher").act(number, "exclude", {"units": [unit], **JUDICIAL_INVOLVED})


def test_a_unit_named_in_a_tip_gets_404_and_the_attempt_is_audited(county, api, web, tip):
    api("dispatcher").act(tip, "dispatch", {"lead_unit": county.town_unit(county.towns[0], "centre").code})
    assert api("handler").get(f"/cases/{tip}")[0] == 200  # the lead unit's handler sees the tip…
    exclude_judicial(county, api, tip)
    # …until the 司法所 is named: handler and unit_head hold grants on it, so they are out, even though
    # their other unit (the centre) leads the case.
    for username in ("handler", "unit_head"):
        status, body = api(username).get(f"/cases/{tip}")
        assert status == 404 and body["error"]["code"] == "not_found"
        assert web(username).get(f"/cases/{tip}/").status_code == 404
        assert tip not in json.dumps(api(username).get("/cases", stream="tip")[1])
    attempts = AuditEntry.objects.filter(action="case.excluded_access", object_id=tip)
    assert {a.actor for a in attempts} == {"handler", "unit_head"} and attempts.count() == 4
    assert not AuditEntry.objects.filter(action="case.excluded_access", actor="handler2").exists()
    assert api("handler2").get(f"/cases/{tip}")[0] == 404  # out of scope, not excluded: no entry
    assert not AuditEntry.objects.filter(action="case.excluded_access", actor="handler2").exists()


def test_a_tip_cannot_be_dispatched_to_an_excluded_unit_and_its_handlers_see_it(county, api, tip):
    first, second = county.towns[:2]
    exclude_judicial(county, api, tip)
    dispatcher = api("dispatcher")
    status, body = dispatcher.post(
        f"/cases/{tip}/actions/dispatch", {"lead_unit": county.town_unit(first, "judicial").code}
    )
    assert status == 400 and "回避" in body["error"]["fields"]["lead_unit"]
    dispatcher.act(tip, "dispatch", {"lead_unit": county.town_unit(second, "centre").code})
    status, body = api("handler2").get(f"/cases/{tip}")
    assert status == 200 and body["description"] == "据说和镇司法所的人有来往"
    assert body["exclusions"]["units"][0]["code"] == county.town_unit(first, "judicial").code
    # The dispatch notice goes to the lead unit's handlers; nobody excluded hears of the tip.
    from pingan.notices.delivery import notify_events

    event = Case.objects.get(number=tip).events.get(action="dispatch")
    notify_events.call([event.pk])
    told = set(Notification.objects.filter(case__number=tip).values_list("recipient__username", flat=True))
    assert "handler" not in told and "handler2" in told


def test_only_custodians_reveal_a_tips_reporter_and_each_reveal_is_audited(county, api, tip):
    exclude_judicial(county, api, tip)
    status, body = api("dispatcher").post(
        f"/cases/{tip}/actions/reveal", {"field": "reporter.name", "reason": "核实"}
    )
    assert status == 403
    status, body = api("custodian").post(
        f"/cases/{tip}/actions/reveal", {"field": "reporter.phone", "reason": "需要联系举报人补充证据"}
    )
    assert status == 200 and body["value"] == "13700001111"
    entry = AuditEntry.objects.get(action="case.reveal", object_id=tip)
    assert (entry.actor, entry.data) == (
        "custodian",
        {"field": "reporter.phone", "reason": "需要联系举报人补充证据"},
    )


def test_a_user_named_in_a_tip_is_excluded_by_name(county, api, tip):
    dispatcher = api("dispatcher")
    assert api("custodian").get(f"/cases/{tip}")[0] == 200
    dispatcher.act(tip, "exclude", {"users": ["custodian"], "reason": "举报涉及本人"})
    assert api("custodian").get(f"/cases/{tip}")[0] == 404
    assert AuditEntry.objects.filter(action="case.excluded_access", actor="custodian").exists()
    status, body = dispatcher.post(f"/cases/{tip}/actions/exclude", {"units": ["NOPE"], "reason": "x"})
    assert status == 400 and "NOPE" in body["error"]["fields"]["units"]


def test_only_tips_take_exclusions(county, api):
    d = api("dispatcher")
    case = d.get(f"/cases/{d.post('/cases', case_body(county))[1]['number']}")[1]
    assert "exclude" not in case["allowed_actions"]
    status, body = api("dispatcher").post(f"/cases/{case['number']}/actions/exclude", {"reason": "x"})
    assert status == 409 and body["error"]["code"] == "invalid_transition"


def test_the_case_page_sets_exclusions_and_replies_to_the_reporter(county, api, web, tip):
    from pingan.cases.models import TipExclusion

    dispatcher = web("dispatcher")
    page = dispatcher.get(f"/cases/{tip}/").content.decode()
    assert "设置回避" in page and "答复群众" not in page  # a letter has no receipt to read a reply with
    unit = county.town_unit(county.towns[0], "judicial")
    r = dispatcher.post(
        f"/cases/{tip}/actions/exclude/",
        {"units": [unit.code], "users": "leader，supervisor", "reason": "线索点名", "version": "2"},
    )
    assert r.status_code == 302, r.content.decode()[-800:]
    got = TipExclusion.objects.filter(case__number=tip)
    assert {e.unit.code for e in got if e.unit} == {unit.code}
    assert {e.user.username for e in got if e.user} == {"leader", "supervisor"}
    page = dispatcher.get(f"/cases/{tip}/").content.decode()
    assert "以下单位和人员看不到本线索" in page and unit.name in page and "陈县长（leader）" in page


def test_a_tips_reporter_is_not_even_masked_for_anyone_but_custodians(county, api, web, tip):
    api("dispatcher").act(tip, "dispatch", {"lead_unit": county.town_unit(county.towns[0], "centre").code})
    for username in ("dispatcher", "handler"):
        reporter = api(username).get(f"/cases/{tip}")[1]["reporter"]
        assert reporter["confidential"] and reporter["name"] == "保密" and reporter["phone"] == ""
        page = web(username).get(f"/cases/{tip}/").content.decode()
        assert "举报人信息保密" in page and "赵" not in page and "1111" not in page
    reporter = api("custodian").get(f"/cases/{tip}")[1]["reporter"]
    assert reporter["name"] == "赵*" and reporter["phone"].endswith("1111")


def test_an_exclusion_reaches_the_units_above_and_below_the_named_one(county, api, tip):
    """Whoever the visibility rule keeps out cannot be given the tip either."""
    judicial_bureau = county.units["SFJ"]  # 县司法局, above every town's 司法所
    dispatcher = api("dispatcher")
    dispatcher.act(tip, "exclude", {"units": [judicial_bureau.code], "reason": "线索涉及司法行政系统"})
    town_office = county.town_unit(county.towns[1], "judicial")
    status, body = dispatcher.post(f"/cases/{tip}/actions/dispatch", {"lead_unit": town_office.code})
    assert status == 400 and "回避" in body["error"]["fields"]["lead_unit"]
    dispatcher.act(tip, "dispatch", {"lead_unit": county.town_unit(county.towns[1], "centre").code})
    # Naming the lead unit's parent would keep its own handlers out: refused, as naming the lead is.
    status, body = dispatcher.post(
        f"/cases/{tip}/actions/exclude", {"units": [county.units["ZZZX"].code], "reason": "x"}
    )
    assert status == 400 and "牵头单位" in body["error"]["fields"]["units"]
