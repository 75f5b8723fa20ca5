"""A real `pingan serve` (gunicorn) for tests that need the production server, not Django's test one.

The server is another process, so it reads what the test committed: on PostgreSQL the suite's test
database itself (use a transactional test); on SQLite, whose test database lives in this process's
memory, a file copy of it."""

import contextlib
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[1]


def pingan_command() -> list[str]:
    """The `pingan` console command installed beside this Python (or the same entry point via -m)."""
    script = Path(sys.executable).with_name("pingan")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pingan"]


def server_environment(tmp_path: Path) -> dict[str, str]:
    """The test settings' environment (keys, var dir, DATABASE_URL), pointed at this test's data."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.pop("PINGAN_TEST_DB_NAME", None)
    if connection.vendor == "postgresql":
        url = urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = url._replace(path="/" + connection.settings_dict["NAME"]).geturl()
    else:
        env.pop("DATABASE_URL", None)
        copy = tmp_path / "server.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(copy)
        connection.connection.backup(target)
        target.close()
        env["PINGAN_SQLITE"] = str(copy)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_listening(server: subprocess.Popen, port: int, *outputs: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail("pingan serve exited:\n" + "".join(p.read_text("utf-8", "replace") for p in outputs))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"pingan serve did not listen on port {port} within {seconds} s")


def stop(server: subprocess.Popen, seconds: float = 10) -> None:
    """Gunicorn stops its workers on SIGTERM; whatever is left after `seconds` is killed."""
    if server.poll() is None:
        server.terminate()
    try:
        server.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # its own session: the arbiter and its workers
        server.wait(timeout=10)


class Running:
    """A `pingan` process started by a test (`serve` or `worker`), its output kept in files, stopped
    when the `with` block ends: the server on SIGTERM, whatever is left after 10 s killed."""

    def __init__(self, args: list[str], env: dict[str, str], tmp_path: Path, name: str):
        self.out, self.err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
        with self.out.open("wb") as stdout, self.err.open("wb") as stderr:
            self.process = subprocess.Popen(  # noqa: S603 (our own console command)
                [*pingan_command(), *args],
                cwd=REPO,
                env=env,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )

    def printed(self) -> str:
        return self.out.read_text("utf-8", "replace") + self.err.read_text("utf-8", "replace")

    def children(self) -> list[int]:
        """Process ids of its direct children (gunicorn's workers)."""
        pid = self.process.pid
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]

    def kill_all(self) -> None:
        """kill -9 of the process and all it started, as a power cut would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def __enter__(self) -> "Running":
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            stop(self.process)
        else:  # its own process group may still hold children
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)


@contextlib.contextmanager
def serve(env: dict[str, str], tmp_path: Path, *, workers: int = 1) -> Iterator[tuple[Running, int]]:
    """`pingan serve` on a free loopback port, once it listens; stopped after the `with` block."""
    port = free_port()
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with Running(args, env, tmp_path, "serve") as server:
        wait_until_listening(server.process, port, server.out, server.err)
        yield server, port


def request(
    port: int,
    method: str,
    path: str,
    body: dict | bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
    connect: Callable[[], http.client.HTTPConnection] | None = None,
) -> tuple[int, dict | str]:
    """One HTTP request to the server: (status, JSON body or text). `connect` makes the connection
    where plain HTTP to `port` will not do (TLS through nginx)."""
    conn = connect() if connect else http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    sent = dict(headers or {})
    data = body
    if isinstance(body, dict):
        data = json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        raw = response.read().decode("utf-8", "replace")
    finally:
        conn.close()
    if response.getheader("Content-Type", "").startswith("application/json"):
        return response.status, json.loads(raw)
    return response.status, raw


def server_rows(env: dict[str, str], sql: str, params: tuple = ()) -> list[tuple]:
    """Rows as the server left them: its SQLite file, or the PostgreSQL test database."""
    if connection.vendor == "sqlite":
        db = sqlite3.connect(env["PINGAN_SQLITE"])
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()
    with connection.cursor() as cur:
        cur.execute(sql.replace("?", "%s"), params)
        return cur.fetchall()
