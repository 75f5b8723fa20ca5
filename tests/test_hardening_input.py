"""Bad input never yields a 500 (issue 11): NUL bytes, deep nesting, oversize bodies, invisible text,
loose versions, and an API POST with no session at all. Each test is named after the item it closes."""

import json
import os
import socket
import stat
import subprocess
from pathlib import Path
from urllib.request import urlopen

import pytest
from django.core.cache import cache
from django.test import Client

from pingan.cases.models import Case
from pingan.core.input import clean_text

from .conftest import JPEG, Api, case_body
from .realserver import REPO, free_port, pingan_command, server_environment, stop, wait_until_listening

NUL = "\x00"


@pytest.fixture
def visitor():
    cache.clear()
    return Client(REMOTE_ADDR="198.51.100.30")


def _json(client, path, body, **extra):
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def _assert_refused(response, status=400, code="invalid_characters"):
    assert response.status_code == status, (response.status_code, response.content[:300])
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        if isinstance(body, list):  # Open311's error list
            assert body[0]["code"] == status and "NUL" in body[0]["description"]
        else:
            assert body["error"]["code"] == code
    else:
        assert code in response.content.decode()


# ---------------------------------------------------------------- 1. NUL bytes


def test_nul_byte_is_refused_on_public_and_unauthenticated_endpoints(county, visitor):
    report = {"stream": "hazard", "description": f"桥头护栏{NUL}断了", "anonymous": True}
    _assert_refused(_json(visitor, "/api/v1/public/reports", report))
    _assert_refused(visitor.post("/portal/new/hazard/", {"description": f"路灯{NUL}坏了", "anonymous": "on"}))
    _assert_refused(visitor.get(f"/open311/v2/requests/PA{NUL}1.json"))
    _assert_refused(visitor.get(f"/open311/v2/tokens/ab{NUL}c.json"))
    _assert_refused(visitor.get("/open311/v2/requests.json", {"service_code": f"H0{NUL}1"}))
    _assert_refused(_json(visitor, "/api/v1/auth/token", {"username": f"hand{NUL}ler", "password": "x"}))
    _assert_refused(visitor.post("/login/", {"username": f"hand{NUL}ler", "password": "x"}))
    assert Case.objects.count() == 0


def test_nul_byte_is_refused_on_staff_endpoints(county, web):
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county))[1]["number"]
    status, body = d.post("/cases", case_body(county, title=f"路灯{NUL}损坏"))
    assert status == 400 and body["error"]["code"] == "invalid_characters"
    assert d.client.get("/api/v1/cases", {"q": f"路{NUL}灯"}).status_code == 400
    assert d.client.get("/api/v1/cases", {"status": f"reported{NUL}"}).status_code == 400
    assert d.client.get(f"/api/v1/cases/{number}{NUL}").status_code == 400
    status, body = d.post(f"/cases/{number}/actions/record_work", {"kind": "call", "content": f"电话{NUL}"})
    assert status == 400 and body["error"]["code"] == "invalid_characters"
    page = web("dispatcher")
    for path in ("/cases/", f"/cases/{number}/", "/cases/export.xlsx"):
        _assert_refused(page.get(path, {"q": f"灯{NUL}"}))
    _assert_refused(page.get(f"/cases/{number}{NUL}/"))
    assert Case.objects.count() == 1


# ---------------------------------------------------------------- 2. deep nesting


def test_deeply_nested_json_is_a_400_not_a_500(county):
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county))[1]["number"]
    deep = "[" * 100_000 + "]" * 100_000
    for path in (f"/cases/{number}/actions/accept", f"/cases/{number}/actions/reveal", "/cases"):
        r = d.client.post("/api/v1" + path, '{"note": ' + deep + "}", content_type="application/json")
        _assert_refused(r, code="too_deep")
    shallow_but_over = {"note": json.loads("[" * 40 + "]" * 40)}
    status, body = d.post(f"/cases/{number}/actions/accept", shallow_but_over)
    assert status == 400 and body["error"]["code"] == "too_deep"
    assert Case.objects.get(number=number).status == "reported"


# ---------------------------------------------------------------- 3. oversize bodies


def test_oversize_body_is_refused_from_its_length_with_json_413(county, visitor, settings):
    body = json.dumps({"stream": "hazard", "description": "x"})
    r = visitor.post(
        "/api/v1/public/reports", body, content_type="application/json", CONTENT_LENGTH=str(2 * 1024**3)
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
    page = visitor.post("/portal/new/hazard/", {"description": "x"}, CONTENT_LENGTH=str(2 * 1024**3))
    assert page.status_code == 413 and "提交的内容过大" in page.content.decode()


def test_oversize_json_under_the_body_cap_gets_json_413_not_djangos_html_400(county, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    d = Api(county.users["dispatcher"])
    status, body = d.post("/cases", case_body(county, description="长" * 2000))
    assert status == 413 and body["error"]["code"] == "body_too_large"


def test_an_uploaded_file_is_cut_off_at_the_per_file_cap(county, visitor, settings):
    settings.PINGAN_MAX_UPLOAD_BYTES = 64 * 1024
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * 200_000, content_type="image/jpeg")
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county))[1]["number"]
    r = d.client.post(f"/api/v1/cases/{number}/attachments", {"file": big, "kind": "photo"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "file_too_large"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_2_gb_portal_upload_is_refused_before_memory_grows(tmp_path):
    """Against `pingan serve` (gunicorn): the headers announce 2 GB, the client keeps sending, and the
    server answers 413 at once while its worker's memory barely moves."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (our own console command)
        [*pingan_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=REPO,
        env=server_environment(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until_listening(server, port)
        urlopen(f"http://127.0.0.1:{port}/login/").read()  # the worker's first request loads its code
        before = _rss_mib(server.pid)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(
                b"POST /portal/new/hazard/ HTTP/1.1\r\nHost: localhost\r\n"
                b"Content-Type: multipart/form-data; boundary=xx\r\nContent-Length: 2147483648\r\n\r\n"
            )
            try:
                for _ in range(64):  # 64 MiB at most: the answer must come long before 2 GB
                    s.sendall(b"\0" * 1024 * 1024)
            except OSError:
                pass  # the server closed the connection after answering
            answer = s.recv(4096)
        grown = _rss_mib(server.pid) - before
    finally:
        stop(server)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert grown < 30, grown


def _rss_mib(arbiter: int) -> float:
    """Resident memory of gunicorn's arbiter and its workers."""
    pids = [arbiter, *map(int, Path(f"/proc/{arbiter}/task/{arbiter}/children").read_text().split())]
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


# ---------------------------------------------------------------- 4. text people cannot see


def test_zero_width_only_title_is_refused_and_bidi_overrides_are_removed(county):
    d = Api(county.users["dispatcher"])
    status, body = d.post("/cases", case_body(county, title="\u200b\u200b\ufeff"))
    assert status == 400 and "title" in body["error"]["fields"]
    hidden = case_body(county, title="路灯\u202e损坏\u2066", description="描述\x07正文")
    status, case = d.post("/cases", hidden)
    assert status == 201 and case["title"] == "路灯损坏"
    assert Case.objects.get(number=case["number"]).description == "描述正文"


def test_clean_text_keeps_line_breaks_tabs_and_emoji():
    assert clean_text("第一行\n第二行\t完") == "第一行\n第二行\t完"
    assert clean_text("👨\u200d👩\u200d👧") == "👨👩👧"
    assert clean_text("\u2066\u2069") == ""


# ---------------------------------------------------------------- 5. the optimistic lock


@pytest.mark.parametrize("stale", ["0", 0.0, "0 "])
def test_optimistic_lock_holds_when_version_is_a_string_or_float(county, stale):
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county))[1]["number"]
    status, body = d.post(f"/cases/{number}/actions/accept", {"version": stale})
    assert status == 409 and body["error"]["code"] == "version_conflict"
    status, body = d.post(f"/cases/{number}/actions/accept", {"version": "one"})
    assert status == 400 and "version" in body["error"]["fields"]
    version = Case.objects.get(number=number).version
    d.act(number, "accept", {"version": str(version)})


# ---------------------------------------------------------------- 6. no session at all


def test_unauthenticated_api_post_is_401_not_a_csrf_403(county):
    anonymous = Client(enforce_csrf_checks=True)
    r = _json(anonymous, "/api/v1/cases", case_body(county))
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"


def test_api_wrong_method_and_unknown_address_answer_in_the_json_error_format(county, api):
    client = api("dispatcher").client
    r = client.put("/api/v1/auth/token", "{}", content_type="application/json")
    assert r.status_code == 405 and r["Content-Type"].startswith("application/json")
    assert r.json()["error"]["code"] == "method_not_allowed" and "请求方法" in r.json()["error"]["message"]
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    # Missing records keep their own answer; pages outside the API keep their HTML.
    assert (
        client.get("/api/v1/cases/PA-000000-2000-000001").json()["error"]["message"]
        != r.json()["error"]["message"]
    )
    assert Client().get("/no-such-page/")["Content-Type"].startswith("text/html")


# ---------------------------------------------------------------- 7. proxies, caches and files


def test_x_forwarded_for_first_hop_cannot_dodge_the_rate_limit(county, settings):
    settings.PINGAN_CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.PINGAN_PUBLIC_SUBMISSIONS = 2
    cache.clear()
    report = {"stream": "hazard", "description": "桥头护栏断了两米，很危险", "anonymous": True}
    statuses = [
        _json(
            Client(REMOTE_ADDR="10.0.0.1"),
            "/api/v1/public/reports",
            report,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}, 198.51.100.7",  # forged first hop, our proxy's last
        ).status_code
        for i in range(4)
    ]
    assert statuses == [201, 201, 429, 429]
    other = _json(Client(), "/api/v1/public/reports", report, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert other.status_code == 201


def test_pages_and_api_answers_with_personal_data_are_not_stored(county, web):
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county))[1]["number"]
    answers = [
        d.client.get(f"/api/v1/cases/{number}"),
        d.client.post(
            f"/api/v1/cases/{number}/actions/reveal",
            json.dumps({"field": "reporter.phone", "reason": "联系反映人"}),
            content_type="application/json",
        ),
        web("dispatcher").get(f"/cases/{number}/"),
        web("dispatcher").get("/cases/"),
    ]
    for r in answers:
        assert r.status_code == 200 and "no-store" in r["Cache-Control"], r.request["PATH_INFO"]


def test_var_files_are_created_owner_only(county, tmp_path):
    """A fresh var/ made by a real `pingan` process: directory 0700, database and keys 0600."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("PINGAN_", "DJANGO_", "DATABASE_"))}
    env = {**kept, "PINGAN_VAR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "pingan.settings"}
    subprocess.run([*pingan_command(), "check"], cwd=REPO, env=env, check=True, capture_output=True)  # noqa: S603
    var = tmp_path / "var"
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    made = [p for p in var.rglob("*") if p.is_file()]
    assert made and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in made), made
    d = Api(county.users["dispatcher"])
    number = d.post("/cases", case_body(county))[1]["number"]
    assert d.upload(number, JPEG)[0] == 201
    stored = Case.objects.get(number=number).attachments.get().file.path
    assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
