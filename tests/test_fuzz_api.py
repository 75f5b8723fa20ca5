"""API fuzzing (issue 11): schemathesis generates requests from /api/v1/openapi.json against a live
test server, and every answer must be no 5xx, a documented status, a documented content type and a
body that matches the operation's response schema (which refuses undeclared fields).

Bounded and repeatable: a fixed seed (derandomize) and a fixed number of examples per operation and
generation mode, about 2,500 requests in all; failures are collected (not shrunk) and reported together.
Schemathesis is driven through its Python API (strategies, `Case.call`, `Case.validate_response`): its
pytest plugin does not run on this pytest.

Each operation is called as a user who may take it (so that bodies reach the action's own checks), on
real case numbers, attachment ids and a real receipt as often as on generated ones."""

import socket
import threading
import time
from collections import Counter

import pytest
import requests
import schemathesis
from django.core.cache import cache
from django.core.servers.basehttp import WSGIRequestHandler
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pingan.accounts.models import ApiToken
from pingan.cases.workflow import TRANSITIONS

from .conftest import JPEG, case_body

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Per operation and run (derandomized: the same examples every run); about 6,000 requests in all.
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}
MIN_REQUESTS = 2000
# The users the fuzzer acts as; a workflow action goes to the first of its roles found here.
ACTORS = ("dispatcher", "handler", "unit_head", "leader", "supervisor", "custodian")


GOVERNANCE = ("/api/v1/statistics", "/api/v1/reports", "/api/v1/accountability", "/api/v1/kpis")


def _actor(method: str, path: str) -> str | None:
    """Who calls an operation: nobody for the public and login endpoints, the auditor for the audit
    log, a supervisor for the governance endpoints, a role of the action for a workflow action, else
    the dispatcher."""
    if path.startswith("/api/v1/public/") or path == "/api/v1/auth/token":
        return None
    if path == "/api/v1/audit":
        return "auditor"
    if path.startswith(GOVERNANCE):
        return "supervisor"  # who writes figures, reports and the 问责台账, and reads them all
    name = path.rsplit("/", 1)[-1]
    if "/actions/" in path and name in TRANSITIONS:
        return next(role for role in ACTORS if role in TRANSITIONS[name].roles)
    return "dispatcher"


def _order(operation) -> tuple[bool, str]:
    # Revoking tokens comes last: a generated id may name the caller's own token.
    return (operation.method.upper() == "DELETE", operation.label)


def _cases_in_every_early_state(county, api) -> list[str]:
    """Cases reported, accepted, dispatched, in progress (with evidence) and resolved."""
    d, h = api("dispatcher"), api("handler")
    lead = {"lead_unit": county.town_unit(county.towns[0], "centre").code}
    numbers = []
    for steps in ([], ["accept"], ["accept", "dispatch"], ["accept", "dispatch", "sign"], ["resolve"]):
        body = case_body(county, parties=[{"name": "李四", "phone": "13900001111"}])
        status, case = d.post("/cases", body)
        assert status == 201, case
        number = case["number"]
        for step in steps if steps != ["resolve"] else ["accept", "dispatch", "sign"]:
            (h if step == "sign" else d).act(number, step, lead if step == "dispatch" else {})
        if steps == ["resolve"]:
            assert h.upload(number, JPEG)[0] == 201
            h.act(number, "resolve", {"outcome": "resolved", "summary": "已修复"})
        numbers.append(number)
    return numbers


def _no_delay(monkeypatch) -> None:
    """The test server writes an answer's headers and body separately; with Nagle's algorithm the body
    then waits for the client's delayed ACK, 40 ms a request. Sent at once, the run takes a fifth."""
    setup = WSGIRequestHandler.setup

    def setup_without_delay(handler):
        setup(handler)
        handler.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    monkeypatch.setattr(WSGIRequestHandler, "setup", setup_without_delay)


@pytest.fixture
def fuzz_target(live_server, county, api, settings, monkeypatch):
    """The live server with data worth hitting; public throttles opened wide so the fuzzer reaches the
    code behind them. The rate-limit cache is emptied afterwards for the tests that follow."""
    _no_delay(monkeypatch)
    settings.PINGAN_PUBLIC_SUBMISSIONS = settings.PINGAN_PUBLIC_MESSAGES = 100_000
    settings.PINGAN_PUBLIC_LOOKUP_FAILURES = 100_000
    numbers = _cases_in_every_early_state(county, api)
    receipt = requests.post(
        live_server.url + "/api/v1/public/reports",
        json={"stream": "hazard", "description": "桥头护栏断了一段，晚上很危险。", "anonymous": True},
        timeout=30,
    ).json()["receipt"]
    attachments = [a["id"] for n in numbers for a in api("dispatcher").get(f"/cases/{n}")[1]["attachments"]]
    tokens = {}
    for username in {*ACTORS, "auditor"}:
        _, tokens[username] = ApiToken.issue(county.users[username], name="fuzz")
    session = requests.Session()
    yield session, live_server.url, tokens, numbers, attachments, receipt
    # The server thread of a kept-alive connection closes the shared test database connection when
    # the client hangs up: it must do so now, while the test database is still shared with it.
    session.close()
    deadline = time.monotonic() + 10
    while any("process_request_thread" in t.name for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the live server's request threads did not finish"
        time.sleep(0.05)
    cache.clear()


class Run:
    """Requests made and failures found, over all operations."""

    def __init__(self, session: requests.Session, base_url: str, tokens: dict[str, str], real):
        self.session, self.base_url, self.tokens, self.real = session, base_url, tokens, real
        self.statuses: Counter[int] = Counter()
        self.failures: dict[str, str] = {}

    def fuzz(self, operation, mode: GenerationMode, examples: int) -> None:
        actor = _actor(operation.method.upper(), operation.path)
        headers = {"Authorization": f"Bearer {self.tokens[actor]}"} if actor else {}

        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode), real=self.real)
        def call(case, real):
            for name in ("number", "attachment_id"):
                if real[name] is not None and name in (case.path_parameters or {}):
                    case.path_parameters[name] = real[name]
            if real["receipt"] and isinstance(case.body, dict) and "receipt" in case.body:
                case.body["receipt"] = real["receipt"]
            response = case.call(base_url=self.base_url, session=self.session, headers=headers, timeout=30)
            self.statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as group:
                for failure in group.exceptions:
                    key = f"{operation.label} [{mode.value}] {failure.title}"
                    self.failures.setdefault(key, f"{failure.message}\n  {case.as_curl_command()}")

        call()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fuzzing_the_api_finds_no_5xx_and_every_answer_matches_the_schema(fuzz_target):
    session, base_url, tokens, numbers, attachments, receipt = fuzz_target
    schema = schemathesis.openapi.from_url(base_url + "/api/v1/openapi.json")
    results = list(schema.get_all_operations())
    assert all(isinstance(r, Ok) for r in results), [r for r in results if not isinstance(r, Ok)]
    operations = sorted((r.ok() for r in results if isinstance(r, Ok)), key=_order)
    real = st.fixed_dictionaries(
        {
            "number": st.sampled_from([None, *numbers]),
            "attachment_id": st.sampled_from([None, *attachments]),
            "receipt": st.sampled_from([None, receipt]),
        }
    )
    run = Run(session, base_url, tokens, real)
    started = time.monotonic()
    for operation in operations:
        for mode, examples in EXAMPLES.items():
            run.fuzz(operation, mode, examples)
    took = time.monotonic() - started

    statuses, total = run.statuses, sum(run.statuses.values())
    print(f"\nfuzz: {total} requests in {took:.0f} s over {len(operations)} operations: {dict(statuses)}")
    assert total > MIN_REQUESTS, statuses
    assert statuses[200] + statuses[201] > total // 20, statuses  # not only refusals
    assert run.failures == {}, "\n\n".join(f"{k}\n{v}" for k, v in sorted(run.failures.items()))


def test_each_operation_is_called_as_someone_who_may_take_it():
    assert _actor("POST", "/api/v1/cases/{number}/actions/sign") == "handler"
    assert _actor("POST", "/api/v1/cases/{number}/actions/request_return") == "unit_head"
    assert _actor("POST", "/api/v1/cases/{number}/actions/decide_suspension") == "leader"
    assert _actor("POST", "/api/v1/cases/{number}/actions/accept") == "dispatcher"
    assert _actor("POST", "/api/v1/cases/{number}/actions/reveal") == "dispatcher"
    assert _actor("GET", "/api/v1/audit") == "auditor"
    assert _actor("POST", "/api/v1/reports") == "supervisor"
    assert _actor("POST", "/api/v1/public/reports/lookup") is None
    # Every action has a role the fuzzer holds.
    for name in TRANSITIONS:
        if TRANSITIONS[name].roles:
            assert _actor("POST", f"/api/v1/cases/{{number}}/actions/{name}") in ACTORS, name
