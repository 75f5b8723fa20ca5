"""Faults of a running installation (issue 11): a server worker or the whole server killed mid-write,
the database gone and back, the task worker killed mid-batch. Each test runs the real processes on
loopback (tests/realserver.py), bounded in time and count, and reads afterwards what was committed.

The servers read what the test committed (transactional tests): on PostgreSQL the test database, on
SQLite a file copy of it, which the checks then read with sqlite3."""

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import RequestFactory

from pingan.accounts import policy
from pingan.accounts.models import ApiToken
from pingan.cases import actions
from pingan.cases.models import CaseEvent
from pingan.core.outage import server_error
from pingan.notices.delivery import notify_events
from pingan.notices.models import Notification

from .conftest import case_body
from .realserver import Running, request, serve, server_environment, server_rows

transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _token(county, username: str) -> dict[str, str]:
    _, token = ApiToken.issue(county.users[username], name="faults")
    return {"Authorization": f"Bearer {token}"}


class Creations:
    """`count` case creations, each with its own Idempotency-Key, sent from a few client threads;
    what each got back is kept by index (the case number on a 201, else the failure)."""

    def __init__(self, county, port: int, headers: dict[str, str], count: int):
        self.port, self.count = port, count
        self.bodies = [case_body(county, title=f"路灯损坏第{i}处") for i in range(count)]
        self.keys = [f"faults-{i}" for i in range(count)]
        self.headers = headers
        self.numbers: dict[int, str] = {}
        self.failures: dict[int, str] = {}
        self.lock = threading.Lock()

    def send(self, i: int) -> None:
        headers = {**self.headers, "Idempotency-Key": self.keys[i]}
        try:
            status, body = request(self.port, "POST", "/api/v1/cases", self.bodies[i], headers, timeout=30)
        # Reset or closed by a dying worker, before its answer or in the middle of its body
        # (IncompleteRead is an HTTPException, not an OSError).
        except (OSError, http.client.HTTPException) as exc:
            outcome = f"{type(exc).__name__}"
        else:
            outcome = body["number"] if status == 201 and isinstance(body, dict) else f"HTTP {status}"
        with self.lock:
            if outcome.startswith("PA-"):
                self.numbers[i] = outcome
                self.failures.pop(i, None)
            else:
                self.failures[i] = outcome

    def run(self, indexes, threads: int = 4, when: Callable[[], None] | None = None) -> None:
        with ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(self.send, i) for i in indexes]:
                future.result()
                if when:
                    when()


def _in_request(port: int, workers: list[int]) -> int | None:
    """A worker holding an accepted client connection on `port`, that is, in the middle of a request
    (sync workers close the connection once they have answered), if one shows within 2 s."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        established = set()
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # 01: ESTABLISHED
                established.add(fields[9])
        for pid in workers:
            with contextlib.suppress(OSError):
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    link = os.readlink(fd)
                    if link.startswith("socket:[") and link[8:-1] in established:
                        return pid
        time.sleep(0.002)
    return None


@transactional
def test_a_server_worker_killed_during_creations_loses_and_doubles_nothing(county, tmp_path):
    """kill -9 of a gunicorn worker in the middle of a request, three times or more during 300 creations:
    gunicorn starts another each time, every creation
    that failed is sent again with its key and body, and afterwards each key has exactly one case,
    every acknowledged number exists, and there are 300 cases."""
    headers = _token(county, "dispatcher")
    env = server_environment(tmp_path)
    killed: list[int] = []
    with serve(env, tmp_path, workers=2) as (server, port):
        work = Creations(county, port, headers, 300)

        def kill_a_busy_worker_now_and_then() -> None:
            # Three kills, 50 creations apart, each of a worker seen in the middle of a request; on a
            # loaded machine a kill may still land between requests, so up to three more are made
            # while no request has been cut short yet.
            if len(killed) >= (3 if work.failures else 6) or len(work.numbers) < 50 * (len(killed) + 1):
                return
            victim = _in_request(port, server.children())
            if victim is not None:
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        started = time.monotonic()
        work.run(range(300), when=kill_a_busy_worker_now_and_then)
        first_failures = dict(work.failures)
        for _ in range(5):  # a handful of rounds; a failure after the worker is back is a bug
            if not work.failures:
                break
            time.sleep(0.5)
            work.run(sorted(work.failures), threads=2)
        elapsed = time.monotonic() - started
        acknowledged = {work.keys[i]: n for i, n in work.numbers.items()}
        replay = {i: work.numbers[i] for i in range(0, 300, 30)}
        work.numbers.clear()
        work.run(replay)  # acknowledged ones again, same key and body: the same case
        assert work.numbers == replay
        assert len(server.children()) == 2 and not set(killed) & set(server.children())
    print(f"\n300 creations, {len(killed)} workers killed: {len(first_failures)} retried, {elapsed:.1f} s")
    assert len(killed) >= 3 and first_failures  # the kills cut requests short
    assert not work.failures, work.failures
    assert len(acknowledged) == 300
    numbers = [n for (n,) in server_rows(env, "SELECT number FROM cases_case")]
    assert len(numbers) == 300 and len(set(numbers)) == 300
    records = server_rows(env, "SELECT key, resource FROM api_idempotencyrecord")
    assert len(records) == 300
    assert dict(records) == acknowledged  # each key names the case it acknowledged
    assert set(acknowledged.values()) == set(numbers)  # one case per key, no case without a key


class Proxy:
    """A TCP proxy between the server and PostgreSQL, so that a test can take "the database" away
    without stopping the machine's PostgreSQL: `down()` drops every connection and refuses new ones
    (as a stopped server does), `up()` listens again on the same port; `up(answer=False)` accepts
    connections and never answers (a machine gone from the network)."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.answer = True
        self.port = 0
        self.listener: socket.socket | None = None
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()

    def up(self, answer: bool = True) -> None:
        self.answer = answer
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port, self.listener = listener.getsockname()[1], listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        if self.listener is not None:
            # Closing alone would leave the thread blocked in accept() holding it open (Linux).
            with suppress_os_error():
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        with self.lock:
            for s in self.open:
                with suppress_os_error():
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed by down()
                return
            if not self.answer:
                with self.lock:
                    self.open.add(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open.update((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress_os_error():
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress_os_error():
            sink.shutdown(socket.SHUT_WR)


def suppress_os_error():
    return contextlib.suppress(OSError)


def _timed(port: int, method: str, path: str, body=None, headers=None) -> tuple[int, dict | str, float]:
    started = time.monotonic()
    status, answer = request(port, method, path, body, headers, timeout=30)
    return status, answer, time.monotonic() - started


UNAVAILABLE = {"error": {"code": "database_unavailable", "message": "数据库暂时不可用，请稍后重试。"}}


@transactional
def test_the_database_gone_answers_503_at_once_and_the_server_recovers_by_itself(county, tmp_path):
    """PostgreSQL stopped mid-load (a proxy that drops its connections and refuses new ones): every
    request answers 503 within seconds, in the API's error format or as a Chinese page, and once the
    database is back the server answers again without a restart. On SQLite the database never goes
    away, but a writer can hold it past the busy timeout: the same 503, and the same recovery."""
    headers = _token(county, "dispatcher")
    env = server_environment(tmp_path)
    if connection.vendor == "postgresql":
        _postgresql_outage(county, env, headers, tmp_path)
    else:
        assert connection.vendor == "sqlite"
        _sqlite_locked(county, env, headers, tmp_path)


def _postgresql_outage(county, env, headers, tmp_path) -> None:
    url = urlsplit(env["DATABASE_URL"])
    proxy = Proxy((url.hostname or "127.0.0.1", url.port or 5432))
    proxy.up()
    env["DATABASE_URL"] = url._replace(netloc=f"{url.username}@127.0.0.1:{proxy.port}").geturl()
    env["PINGAN_DB_CONNECT_TIMEOUT"] = "2"
    try:
        with serve(env, tmp_path, workers=2) as (_server, port):
            for _ in range(6):  # both workers hold a connection
                assert request(port, "GET", "/api/v1/cases?limit=1", None, headers)[0] == 200
            proxy.down()
            outage = [
                _timed(
                    port, "POST", "/api/v1/cases", case_body(county), {**headers, "Idempotency-Key": "o1"}
                ),
                *(_timed(port, "GET", "/api/v1/cases?limit=1", None, headers) for _ in range(6)),
            ]
            page = _timed(port, "GET", "/portal/")
            proxy.up(answer=False)
            unanswered = [_timed(port, "GET", "/api/v1/cases?limit=1", None, headers) for _ in range(2)]
            proxy.down()
            proxy.up()
            back = time.monotonic()
            while time.monotonic() - back < 15:
                status, *_ = _timed(port, "GET", "/api/v1/cases?limit=1", None, headers)
                if status == 200:
                    break
                time.sleep(0.1)
            recovered = time.monotonic() - back
            after = [_timed(port, "GET", "/api/v1/cases?limit=1", None, headers) for _ in range(6)]
            retried = _timed(
                port, "POST", "/api/v1/cases", case_body(county), {**headers, "Idempotency-Key": "o1"}
            )
    finally:
        proxy.down()
    times = [t for *_, t in outage]
    print(
        f"\nPostgreSQL away: {len(outage)} API answers in {min(times):.2f}–{max(times):.2f} s, "
        f"page {page[2]:.2f} s; unanswering: {', '.join(f'{t:.2f}' for *_, t in unanswered)} s; "
        f"back: answered after {recovered:.2f} s"
    )
    assert [(s, b) for s, b, _ in outage] == [(503, UNAVAILABLE)] * len(outage)
    assert max(times) < 5
    assert page[0] == 503 and "系统暂时不可用" in page[1] and page[2] < 5
    # A database that never answers is given up after the 2 s connect timeout.
    assert [(s, b) for s, b, _ in unanswered] == [(503, UNAVAILABLE)] * 2
    assert all(1.5 < t < 5 for *_, t in unanswered), unanswered
    assert status == 200 and recovered < 10
    assert [s for s, *_ in after] == [200] * 6
    assert retried[0] == 201  # the creation refused during the outage goes through with its key


def _portal_report(port: int, description: str) -> tuple[int, str, float]:
    """A report filed through the portal's form, as a browser does: the form's page, then the POST
    with its CSRF cookie and token."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/portal/new/hazard/")
        form = conn.getresponse()
        html = form.read().decode()
        cookie = form.getheader("Set-Cookie", "").split(";")[0]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert form.status == 200 and cookie and token, form.status
        body = urlencode(
            {"csrfmiddlewaretoken": token.group(1), "description": description, "anonymous": "yes"}
        )
        started = time.monotonic()
        conn.request(
            "POST",
            "/portal/new/hazard/",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        answer = conn.getresponse()
        return answer.status, answer.read().decode(), time.monotonic() - started
    finally:
        conn.close()


def _sqlite_locked(county, env, headers, tmp_path) -> None:
    env["PINGAN_SQLITE_BUSY_TIMEOUT"] = "1"
    with serve(env, tmp_path, workers=2) as (_server, port):
        assert request(port, "GET", "/api/v1/cases?limit=1", None, headers)[0] == 200  # token noted as used
        writer = sqlite3.connect(env["PINGAN_SQLITE"], isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # another writer holds the database
        try:
            locked = [
                _timed(port, "POST", "/api/v1/cases", case_body(county), {**headers, "Idempotency-Key": "o1"})
                for _ in range(3)
            ]
            page = _portal_report(port, "加油站旁边有人卖散装汽油")
            reads = [_timed(port, "GET", "/api/v1/cases?limit=1", None, headers) for _ in range(3)]
        finally:
            writer.execute("ROLLBACK")
            released = time.monotonic()
            writer.close()
        retried = _timed(
            port, "POST", "/api/v1/cases", case_body(county), {**headers, "Idempotency-Key": "o1"}
        )
        recovered = time.monotonic() - released
    times = [t for *_, t in locked]
    print(
        f"\nSQLite locked by a writer: {len(locked)} API answers in {min(times):.2f}–{max(times):.2f} s, "
        f"page {page[2]:.2f} s; released: created after {recovered:.2f} s"
    )
    assert [(s, b) for s, b, _ in locked] == [(503, UNAVAILABLE)] * len(locked)
    assert max(times) < 5
    assert page[0] == 503 and "系统暂时不可用" in page[1] and page[2] < 5
    assert [s for s, *_ in reads] == [200] * 3  # WAL: readers are not held up by the writer
    assert retried[0] == 201 and recovered < 10


@transactional
def test_the_database_is_whole_after_the_server_is_killed_during_writes(county, tmp_path):
    """kill -9 of the whole server (arbiter and workers) in the middle of creations, as a power cut
    would: every acknowledged case is there afterwards, and on SQLite (WAL, synchronous=FULL) the file
    passes `PRAGMA integrity_check` and its foreign keys hold. PostgreSQL keeps its own files whole;
    there the test checks the acknowledged cases."""
    headers = _token(county, "dispatcher")
    env = server_environment(tmp_path)
    with serve(env, tmp_path, workers=2) as (server, port):
        work = Creations(county, port, headers, 120)

        def power_cut_after_forty() -> None:
            if len(work.numbers) >= 40 and server.process.poll() is None:
                server.kill_all()

        work.run(range(120), when=power_cut_after_forty)
    acknowledged = set(work.numbers.values())
    numbers = {n for (n,) in server_rows(env, "SELECT number FROM cases_case")}
    print(
        f"\nserver killed: {len(acknowledged)} acknowledged, {len(numbers)} committed, "
        f"{len(work.failures)} failed"
    )
    assert len(acknowledged) >= 40 and work.failures  # the cut came mid-run
    assert acknowledged <= numbers
    # Every committed case came with its idempotency record, in the same transaction.
    assert {n for (n,) in server_rows(env, "SELECT resource FROM api_idempotencyrecord")} == numbers
    if connection.vendor == "sqlite":
        assert server_rows(env, "PRAGMA integrity_check") == [("ok",)]
        assert server_rows(env, "PRAGMA foreign_key_check") == []
        assert server_rows(env, "PRAGMA journal_mode") == [("wal",)]
    else:
        assert connection.vendor == "postgresql"
        # PostgreSQL ends the dead server's sessions and rolls back what they had open, so no lock of
        # theirs is left on the database.
        assert _other_sessions_end(seconds=10) == 0


def _other_sessions_end(seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while True:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            (left,) = cur.fetchone()
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _execute(env: dict[str, str], sql: str, params: tuple = ()) -> None:
    """A write to the server's database, committed."""
    if connection.vendor == "sqlite":
        db = sqlite3.connect(env["PINGAN_SQLITE"])
        try:
            with db:
                db.execute(sql, params)
        finally:
            db.close()
    else:
        with connection.cursor() as cur:
            cur.execute(sql.replace("?", "%s"), params)


def _tasks(env: dict[str, str]) -> list[tuple[str, str, list[int]]]:
    """(id, status, event ids) of every notice task."""
    rows = server_rows(env, "SELECT id, status, args_kwargs FROM django_tasks_database_dbtaskresult")
    return [(pk, status, (a if isinstance(a, dict) else json.loads(a))["args"][0]) for pk, status, a in rows]


def _left_running(env: dict[str, str], task_id: str, worker_pid: int) -> None:
    """The task as a worker killed after writing its notices, before marking it done, leaves it."""
    owner = json.dumps([f"{socket.gethostname()[:40]}:{worker_pid}"])
    cast = "?" if connection.vendor == "sqlite" else "?::jsonb"
    _execute(
        env,
        f"UPDATE django_tasks_database_dbtaskresult SET status = 'RUNNING', worker_ids = {cast} WHERE id = ?",  # noqa: S608
        (owner, task_id),
    )


@transactional
def test_the_worker_killed_mid_batch_resumes_without_duplicate_notices(county, tmp_path):
    """`pingan worker` killed (kill -9) while it writes the notices of 30 dispatches; then two tasks
    are put in the states a kill leaves behind: one whose notices were written but which was never
    marked done, one that died before its notices were committed. The next `pingan worker` runs them
    again: every handler has exactly one notice of each dispatch, none missing."""
    dispatcher = county.users["dispatcher"]
    unit = county.town_unit(county.towns[0], "centre").code
    for i in range(30):
        number = actions.create_case(dispatcher, case_body(county, title=f"楼道堆物第{i}处")).number
        actions.perform(dispatcher, number, "accept", {})
        actions.perform(dispatcher, number, "dispatch", {"lead_unit": unit})
    dispatches = list(CaseEvent.objects.filter(action="dispatch").select_related("case"))
    expected = {
        (event.pk, user.pk)
        for event in dispatches
        for user in policy.holders("handler", event.case.subject())
    }
    assert len(dispatches) == 30 and len(expected) >= 30
    env = server_environment(tmp_path)
    count_notices = "SELECT count(*) FROM notices_notification"
    count_done = "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'SUCCESSFUL'"

    with Running(["worker", "--interval", "0.2"], env, tmp_path, "worker") as worker:
        deadline = time.monotonic() + 30
        while server_rows(env, count_done)[0][0] < 3 and time.monotonic() < deadline:
            assert worker.process.poll() is None, worker.printed()
            time.sleep(0.02)
        worker.kill_all()
    killed_pid = worker.process.pid
    at_kill = server_rows(env, count_notices)[0][0]
    unfinished = [t for t in _tasks(env) if t[1] != "SUCCESSFUL"]
    assert 0 < at_kill < len(expected) and unfinished  # killed in the middle of the batch

    done = [t for t in _tasks(env) if t[1] == "SUCCESSFUL"]
    written, lost = done[0], done[1]
    _left_running(env, written[0], killed_pid)  # its notices stay
    _left_running(env, lost[0], killed_pid)
    marks = ",".join("?" * len(lost[2]))
    _execute(env, f"DELETE FROM notices_notification WHERE event_id IN ({marks})", tuple(lost[2]))  # noqa: S608

    with Running(["worker", "--batch"], env, tmp_path, "worker-again") as again:
        again.process.wait(timeout=60)
    assert again.process.returncode == 0, again.printed()
    assert "已重新排队" in again.printed()

    print(f"\nworker killed after {at_kill} of {len(expected)} notices, {len(unfinished)} tasks unfinished")
    assert {status for _, status, _ in _tasks(env)} == {"SUCCESSFUL"}
    case_notices = "SELECT event_id, recipient_id FROM notices_notification WHERE event_id IS NOT NULL"
    notices = server_rows(env, case_notices)
    assert len(notices) == len(set(notices))  # no (event, recipient) twice
    assert set(notices) == expected  # and none missing


def test_delivering_the_same_events_twice_writes_each_notice_once(county):
    dispatcher = county.users["dispatcher"]
    number = actions.create_case(dispatcher, case_body(county)).number
    actions.perform(dispatcher, number, "accept", {})
    actions.perform(
        dispatcher, number, "dispatch", {"lead_unit": county.town_unit(county.towns[0], "centre").code}
    )
    ids = list(CaseEvent.objects.filter(case__number=number).values_list("pk", flat=True))
    notify_events.call(ids)
    first = list(Notification.objects.values_list("event_id", "recipient_id", "message"))
    notify_events.call(ids)
    assert first and list(Notification.objects.values_list("event_id", "recipient_id", "message")) == first


def _answer_to(exc: Exception, path: str):
    try:
        raise exc
    except Exception:  # the 500 handler runs inside Django's except, as here
        return server_error(RequestFactory().get(path))


def test_only_an_unavailable_database_is_a_503_other_errors_stay_500(db):
    bug = _answer_to(ValueError("a bug"), "/api/v1/cases")
    assert bug.status_code == 500 and json.loads(bug.content)["error"]["code"] == "server_error"
    page = _answer_to(ValueError("a bug"), "/cases/")
    assert page.status_code == 500 and "系统出错" in page.content.decode() and "Retry-After" not in page
    gone = _answer_to(InterfaceError("connection already closed"), "/cases/")
    assert gone.status_code == 503 and "系统暂时不可用" in gone.content.decode() and gone["Retry-After"]
    missing_table = _answer_to(OperationalError("no such table: cases_case"), "/api/v1/cases")
    if connection.vendor == "sqlite":  # SQLite says "OperationalError" for a bug too: that stays a 500
        assert missing_table.status_code == 500
    else:  # PostgreSQL's OperationalErrors are all about the server or the connection
        assert connection.vendor == "postgresql"
        assert missing_table.status_code == 503
