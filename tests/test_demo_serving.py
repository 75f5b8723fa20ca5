"""`pingan demo` and `pingan serve` as processes: a busy port, and the worker and sweep beside the server."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pingan.cases.models import Case
from pingan.demo import background
from pingan.demo.county import build_county, create_role_users
from pingan.demo.generator import generate_cases

from .conftest import PASSWORD
from .realserver import REPO, free_port, pingan_command, server_environment, stop, wait_until_listening


@pytest.fixture
def busy_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_serve_on_a_busy_port_says_so_in_chinese_and_exits_non_zero(busy_port):
    server = subprocess.run(  # noqa: S603 (our own console command)
        [*pingan_command(), "serve", "--port", str(busy_port)],
        cwd=REPO,
        env=os.environ | {"PYTHONPATH": str(REPO)},  # the test settings are in tests/
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert server.returncode != 0
    assert (
        f"端口 {busy_port} 已被占用" in server.stderr
        and f"pingan serve --port {busy_port + 1}" in server.stderr
    )
    assert "Address already in use" not in server.stderr + server.stdout  # gunicorn never started


def test_demo_checks_the_port_before_it_seeds(db, busy_port, capsys):
    with pytest.raises(CommandError, match=f"端口 {busy_port} 已被占用.*pingan demo --port {busy_port + 1}"):
        call_command("demo", "--cases", "20", "--port", str(busy_port))
    assert "正在初始化数据库" not in capsys.readouterr().out and not Case.objects.exists()


def _get(port: int, path: str, token: str):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=20) as answer:  # noqa: S310 (our own local server)
        return json.loads(answer.read())


def _handler_token(port: int, logins: Path) -> str:
    """The demo gives its users new passwords (their old tokens die), so sign in with the printed one."""
    row = next(line for line in logins.read_text("utf-8").splitlines() if line.split()[:1] == ["handler"])
    body = json.dumps({"username": "handler", "password": row.split()[-1]}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/token", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=20) as answer:  # noqa: S310 (our own local server)
        return json.loads(answer.read())["token"]


def _told_of_own_cases(port: int, token: str) -> list[dict]:
    """The cases the handler has unread escalation notices of and handles himself (a case that waits to be
    signed is told to its unit's handlers too)."""
    notices = _get(port, "/notifications?unread=true", token)["items"]
    cases = [_get(port, f"/cases/{n['case']}", token) for n in notices if n["kind"] == "escalate"]
    return [c for c in cases if c["handler"] == "handler"]


def _children(pid: int) -> dict[str, int] | None:
    """The demo's server, worker and sweep processes, once all three run (read from Linux's /proc)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            argv = (stat.parent / "cmdline").read_bytes().decode().split("\0")
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if ppid == pid and "pingan" in argv:
            found[argv[argv.index("pingan") + 1]] = int(stat.parent.name)
    return found if len(found) == 3 else None


def _until(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.5)
    pytest.fail(f"not within {seconds} s")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_demo_escalates_and_tells_the_handler_while_it_serves_and_stops_its_helpers(tmp_path):
    """The acceptance check of a fresh demo, small and fast: while `pingan demo` serves, its sweep
    (here every 3 s) escalates a seeded overdue case and its worker tells the case's handler; on SIGTERM
    the server, the worker and the sweep all stop."""
    county = create_role_users(build_county(towns=1, villages_per_town=2, grids_per_village=1), PASSWORD)
    generate_cases(county, 100)
    env = server_environment(tmp_path) | {"PINGAN_VAR": str(tmp_path / "var")}
    port = free_port()
    out = tmp_path / "demo.txt"
    argv = [*pingan_command(), "demo", "--port", str(port), "--sweep-minutes", "0.05"]
    with out.open("wb") as sink:
        demo = subprocess.Popen(  # noqa: S603 (our own console command)
            argv, cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
        children: dict[str, int] = {}
        try:
            wait_until_listening(demo, port, out, seconds=90)
            token = _handler_token(port, tmp_path / "var" / "demo-logins.txt")
            children = _until(lambda: _children(demo.pid), 30)
            mine = _until(lambda: _told_of_own_cases(port, token), 60)
            events = _get(port, f"/cases/{mine[0]['number']}/events", token)
            # The schedule repeats.
            _until(lambda: out.read_text("utf-8").count("超期巡检完成") >= 2, 30)
        finally:
            # The demo gives its own children STOP_SECONDS to finish; under load that is more than 10 s.
            stop(demo, seconds=background.STOP_SECONDS + 10)
            for pid in children.values():  # each leads its own session
                if Path(f"/proc/{pid}").exists():
                    os.killpg(pid, signal.SIGKILL)
    printed = out.read_text("utf-8")
    assert "后台任务处理已启动" in printed and "超期巡检每 0.05 分钟运行一次" in printed
    assert set(children) == {"serve", "worker", "sweep"}
    assert mine and all(c["overdue"] for c in mine)
    assert "escalate" in [e["action"] for e in events["items"]]
    assert demo.returncode == 0
    assert not [pid for pid in children.values() if Path(f"/proc/{pid}").exists()], "left running"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_when_one_part_of_the_demo_ends_by_itself_the_others_are_stopped(monkeypatch):
    """No half-working demo: a worker or sweep that died would leave notices or escalations silently
    missing, so the demo stops everything and says which part ended (CommandError in demo.py)."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the test settings are in tests/
    started = time.monotonic()
    ended = background.run_together(["check"], ["shell", "-c", "import time; time.sleep(300)"])
    assert ended == ("check", 0)
    assert time.monotonic() - started < 60  # the sleeper was stopped, not waited for
