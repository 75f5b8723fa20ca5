"""Reads from a PostgreSQL streaming replica (DESIGN §9, pingan.core.replica): the cockpit, the KPI API,
report drafting and ledger exports read from it; writes and everything else from the primary; a stopped
replica falls back to the primary. The router's decisions alone: tests/test_replica_router.py."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils import timezone

from pingan.core.periods import period_of
from pingan.core.replica import REPLICA

from .conftest import case_body
from .realserver import REPO, free_port


def test_routed_pages_read_the_one_database_when_there_is_no_replica(county, api, web):
    """The router is inert without a replica (always so on SQLite): the routed pages answer from the
    one database, with what was just written."""
    assert REPLICA not in connections.settings
    assert api("dispatcher").post("/cases", case_body(county))[0] == 201
    month = period_of("month", timezone.localdate()).key
    leader = api("leader")
    status, kpis = leader.get("/kpis", period=month, region=county.code)
    assert status == 200 and kpis["values"]["reported"] == 1
    status, rows = leader.get("/kpis/breakdown", period=month, region=county.code)
    assert status == 200 and sum(r["values"]["reported"] for r in rows["rows"]) == 1
    status, ranked = leader.get("/kpis/ranking", level="town", period=month)
    assert (status, ranked["error"]["code"]) == (400, "no_scheme")  # the county has no 考核方案
    page = web("leader").get("/cockpit/")
    assert page.status_code == 200
    assert next(r for r in page.context["periods"] if r["kind"] == "month")["counts"][0]["now"].value == 1


def test_dashboards_read_from_a_streaming_replica_and_from_the_primary_once_it_stops(tmp_path):
    """PostgreSQL: a primary and its streaming replica of our own on loopback ports (never the server the
    suite runs on), and Pingan between them in another process (tests/replicaprobe.py). With the
    replica's replay paused, a case written on the primary is missing from the cockpit, the KPI API, a
    report draft and an export, and present in the ledger, which reads the primary; the writes made
    meanwhile (the case, the draft, the audit entries) all went to the primary. Replay resumed, the
    routed pages show it. The replica stopped, they answer from the primary at once, with one warning
    in the log for the whole retry window.

    SQLite has no replica to read from: Pingan refuses DATABASE_REPLICA_URL at start, rather than seem
    to spread reads it cannot."""
    if connection.vendor == "sqlite":
        _sqlite_refuses_a_replica(tmp_path)
        return
    assert connection.vendor == "postgresql"
    with primary_and_replica() as (primary, replica, stop_replica):
        seen = _probe(tmp_path, primary, replica, stop_replica)
    _judge(seen)


def _sqlite_refuses_a_replica(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    env.pop("DATABASE_URL", None)
    env["DATABASE_REPLICA_URL"] = f"postgres://postgres@127.0.0.1:{free_port()}/pingan"
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "DATABASE_REPLICA_URL 只用于 PostgreSQL" in done.stderr


def _judge(seen: dict) -> None:
    both = {"kpi", "breakdown", "cockpit", "export", "ledger", "kpi_from_primary"}
    assert _figures(seen["caught_up"], both) == dict.fromkeys(both, 2), seen["caught_up"]
    assert seen["caught_up"]["kpi"]["replica_reads_counters"], seen["caught_up"]["kpi"]

    # Replay paused, one more case written: the routed reads still see two, the primary three.
    assert seen["paused_write_status"] == 201
    assert (seen["cases_on_primary"], seen["cases_on_replica"]) == (3, 2)
    routed = {"kpi", "breakdown", "cockpit", "export", "report"}
    assert _figures(seen["paused"], routed) == dict.fromkeys(routed, 2), seen["paused"]
    assert _figures(seen["paused"], {"ledger", "kpi_from_primary"}) == {"ledger": 3, "kpi_from_primary": 3}
    assert seen["paused"]["kpi"]["replica_queries"] > 0
    # The draft was saved while the replica stood still: on the primary, not (yet) on the replica.
    assert (seen["reports_on_primary"], seen["reports_on_replica"]) == (1, 0)

    resumed = routed | {"ledger", "kpi_from_primary"}
    assert _figures(seen["resumed"], resumed) == dict.fromkeys(resumed, 3), seen["resumed"]

    # Replica stopped: the same pages answer at once from the primary; one warning for the window.
    stopped = seen["stopped"]
    assert stopped["kpi"]["status"] == 200 and stopped["cockpit"]["status"] == 200
    assert _figures(stopped, resumed) == dict.fromkeys(resumed, 3), stopped
    assert stopped["kpi"]["replica_queries"] == 0
    assert seen["stopped_seconds"] < 10
    assert seen["stopped_write_status"] == 201
    assert seen["stopped_again"]["kpi"]["reported"] == 4 and seen["stopped_again"]["cockpit"]["reported"] == 4
    assert len(seen["warnings"]) == 1 and seen["warnings"][0].startswith("read replica unavailable")


def _figures(phase: dict, names: set[str]) -> dict:
    """登记量 as each read saw it."""
    return {n: phase[n]["reported"] if isinstance(phase[n], dict) else phase[n] for n in names}


def _environment(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    env["PINGAN_VAR"] = str(tmp_path / "var")
    env.pop("PINGAN_TEST_DB_NAME", None)
    env.pop("PINGAN_CACHE_URL", None)
    return env


def _probe(tmp_path: Path, primary: str, replica: str, stop_replica: list[str]) -> dict:
    env = _environment(tmp_path)
    env |= {
        "DATABASE_URL": primary,
        "DATABASE_REPLICA_URL": replica,
        "PINGAN_DB_CONNECT_TIMEOUT": "2",
        "PINGAN_PROBE_STOP_REPLICA": json.dumps(stop_replica),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.replicaprobe"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"the probe failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- two clusters of our own


def _server_programs() -> Path:
    """The directory of initdb, pg_ctl and pg_basebackup: Debian's newest, else those on PATH."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup"), key=lambda p: int(p.parents[1].name)
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_basebackup")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    pytest.fail("未找到 PostgreSQL 服务器程序（initdb、pg_ctl、pg_basebackup）：apt-get install postgresql")


@contextmanager
def primary_and_replica() -> Iterator[tuple[str, str, list[str]]]:
    """A primary and a streaming replica made from it with pg_basebackup, each on a free loopback port
    (no Unix socket), run by the `postgres` user when we are root (initdb refuses root). Yields their
    URLs and the command line that stops the replica; both are stopped and removed afterwards."""
    bin_dir = _server_programs()
    base = Path(tempfile.mkdtemp(prefix="pingan-replica-"))
    owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if owner:
        shutil.chown(base, "postgres")

    def run(program: str, *args: str) -> None:
        done = subprocess.run(  # noqa: S603
            [*owner, str(bin_dir / program), *args], capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0:
            logs = "".join(p.read_text(errors="replace")[-2000:] for p in base.glob("*.log"))
            pytest.fail(f"{program} {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}\n{logs}")

    def start(name: str, port: int) -> None:
        # Throwaway clusters: no fsync, little memory, only loopback TCP.
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='' "
            "-c fsync=off -c shared_buffers=16MB -c max_connections=30"
        )
        run("pg_ctl", "-D", str(base / name), "-l", str(base / f"{name}.log"), "-w", "-o", options, "start")

    def stop(name: str, mode: str) -> list[str]:
        return [*owner, str(bin_dir / "pg_ctl"), "-D", str(base / name), "-m", mode, "-w", "stop"]

    ports = {"primary": free_port(), "replica": free_port()}
    try:
        run("initdb", "-D", str(base / "primary"), "-A", "trust", "-U", "postgres", "-N", "-E", "UTF8",
            "--locale=C.UTF-8")  # fmt: skip
        start("primary", ports["primary"])
        primary = f"postgres://postgres@127.0.0.1:{ports['primary']}/pingan"
        run("createdb", "-h", "127.0.0.1", "-p", str(ports["primary"]), "-U", "postgres", "pingan")
        run("pg_basebackup", "-h", "127.0.0.1", "-p", str(ports["primary"]), "-U", "postgres",
            "-D", str(base / "replica"), "-R", "-X", "stream", "-c", "fast")  # fmt: skip
        start("replica", ports["replica"])
        yield primary, f"postgres://postgres@127.0.0.1:{ports['replica']}/pingan", stop("replica", "fast")
    finally:
        for name in ("replica", "primary"):
            if (base / name / "postmaster.pid").exists():
                subprocess.run(stop(name, "immediate"), capture_output=True, timeout=60)  # noqa: S603
        shutil.rmtree(base, ignore_errors=True)
