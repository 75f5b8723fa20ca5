"""A real `pingan serve` (gunicorn) for tests that need the production server, not Django's test one.

The server is another process, so it reads what the test committed: on PostgreSQL the suite's test
database itself (use a transactional test); on SQLite, whose test database lives in this process's
memory, a file copy of it."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
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


def stop(server: subprocess.Popen) -> None:
    """Gunicorn stops its workers on SIGTERM; whatever is left after 10 s is killed."""
    if server.poll() is None:
        server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # its own session: the arbiter and its workers
        server.wait(timeout=10)
