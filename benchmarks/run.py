"""Seed N cases, start the real server, and measure the scenarios of the foundation issue over HTTP."""

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PORT = 8090


def env_for(db: str, cases: int, prefix: str = "") -> dict:
    """The environment of one benchmark data set: its own var dir and, on PostgreSQL, its own database."""
    env = dict(os.environ)
    env["PINGAN_VAR"] = str(ROOT / "benchmarks" / "var" / f"{prefix}{db}-{cases}")
    env["PINGAN_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    if db == "postgres":
        base = env.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
        env["DATABASE_URL"] = base.rsplit("/", 1)[0] + f"/bench_{prefix}{cases}"
    else:
        env.pop("DATABASE_URL", None)
    env.setdefault("PINGAN_FIELD_KEY", "8w7dPq0kqUu2VbX1sWjv9bYJj3bqkM4C8xkBqQ5ZT0E=")
    return env


DATA_SET_HELP = (
    "reuse another seeded data set instead of this benchmark's own (no seeding): \"shared\" for run.py's "
    '(bench_<N>, benchmarks/var/<db>-<N>), or a benchmark\'s prefix such as "cockpit"'
)


def data_set_prefix(name: str) -> str:
    """`--data-set` names whose data set to reuse: "shared" (or "") is run.py's own (no prefix), any other
    name another benchmark's prefix ("cockpit" → "cockpit_")."""
    name = name.strip()
    if name in ("", "shared"):
        return ""
    return name if name.endswith("_") else name + "_"


def pingan(env, *args, capture=False):
    cmd = [PY, "-m", "pingan", *args]
    if capture:
        return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    subprocess.run(cmd, env=env, check=True)
    return ""


def prepare(db: str, cases: int, env: dict) -> float:
    var = Path(env["PINGAN_VAR"])
    if var.exists():
        shutil.rmtree(var)
    if db == "postgres":
        name = env["DATABASE_URL"].rsplit("/", 1)[1]
        admin = env["DATABASE_URL"].rsplit("/", 1)[0] + "/test"
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    started = time.perf_counter()
    pingan(env, "migrate", "-v", "0")
    pingan(env, "seed", "--cases", str(cases))
    seconds = time.perf_counter() - started
    settle(env)
    return seconds


def settle(env: dict) -> None:
    """On PostgreSQL, VACUUM ANALYZE the data set after a bulk write (a seed, a rebuild): what autovacuum
    does to a system at rest. Without it the planner has no statistics for the new rows and the
    index-only scans fetch every heap page (200k cases: /kpis county × month p95 118 ms against 66)."""
    if "DATABASE_URL" in env:
        print("VACUUM ANALYZE…", flush=True)
        subprocess.run(["psql", env["DATABASE_URL"], "-qc", "VACUUM ANALYZE"], check=True)


class Client:
    """One keep-alive connection per thread."""

    local = threading.local()

    def __init__(self, token: str):
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        data = json.dumps(body).encode() if body is not None else None
        try:
            conn.request(method, "/api/v1" + path, body=data, headers={**self.headers, **(headers or {})})
            r = conn.getresponse()
            return r.status, r.read()
        except (http.client.HTTPException, OSError):
            self.local.conn = None
            raise


def time_page(client, path: str, rounds: int, params: dict | None = None):
    """One page through Django's test client, in this process: a first request with its SQL statements
    counted, then `rounds` timed ones. Returns the first response and the figures (first request, median
    and p95 in ms, statements of the first)."""
    from django.db import connection

    statements: list[str] = []

    def counted(execute, sql, sql_params, many, context):
        statements.append(sql)
        return execute(sql, sql_params, many, context)

    t = time.perf_counter()
    with connection.execute_wrapper(counted):
        first = client.get(path, params or {})
    first_ms = round((time.perf_counter() - t) * 1000, 1)
    assert first.status_code == 200, first.content[:500]
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        r = client.get(path, params or {})
        times.append(time.perf_counter() - t)
        assert r.status_code == 200
    times.sort()
    return first, {
        "requests": rounds,
        "queries": len(statements),
        "first_ms": first_ms,
        "median_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)] * 1000, 1),
    }


def measure(name: str, fn, count: int, concurrency: int) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def one(i):
        nonlocal errors
        t = time.perf_counter()
        ok = fn(i)
        dt = time.perf_counter() - t
        with lock:
            latencies.append(dt)
            errors += 0 if ok else 1

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    latencies.sort()
    result = {
        "scenario": name,
        "requests": count,
        "concurrency": concurrency,
        "errors": errors,
        "median_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "throughput_rps": round(count / wall, 1),
    }
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


def rss_mb(pids: list[int]) -> list[float]:
    out = []
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(round(int(line.split()[1]) / 1024, 1))
        except FileNotFoundError:
            pass
    return out


def children(pid: int) -> list[int]:
    raw = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in raw.split()]


def wait_for_server(timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("server did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--reuse", action="store_true", help="skip seeding; reuse the database of an earlier run")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--seed-only", action="store_true", help="prepare the database and stop")
    args = ap.parse_args()
    env = env_for(args.db, args.cases)
    report: dict = {"db": args.db, "cases": args.cases, "at": time.strftime("%Y-%m-%d %H:%M")}
    if not args.reuse:
        report["seed_seconds"] = round(prepare(args.db, args.cases, env), 1)
        print(f"seeded {args.cases} cases in {report['seed_seconds']} s", flush=True)
        if args.seed_only:
            return

    pingan(env, "migrate", "-v", "0")
    # Fresh statistics after a bulk load, as an operator would keep them (autovacuum / PRAGMA optimize).
    analyze = "VACUUM ANALYZE" if args.db == "postgres" else "ANALYZE"
    pingan(env, "shell", "-c", f"from django.db import connection; connection.cursor().execute('{analyze}')")
    tokens = {u: pingan(env, "create_token", u, capture=True).strip() for u in ("dispatcher", "handler")}
    server = subprocess.Popen(
        [PY, "-m", "pingan", "serve", "--port", str(PORT), "--workers", str(args.workers)], env=env
    )
    try:
        wait_for_server()
        report["scenarios"] = run_scenarios(env, tokens, args)
        report["server_worker_rss_mb"] = rss_mb(children(server.pid))
    finally:
        server.terminate()
        server.wait(30)

    started = time.perf_counter()
    pingan(env, "sweep")
    report["sweep_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    pingan(env, "sweep")
    report["sweep_again_seconds"] = round(time.perf_counter() - started, 1)

    worker = subprocess.Popen([PY, "-m", "pingan", "worker"], env=env)
    time.sleep(8)
    report["task_worker_rss_mb"] = rss_mb([worker.pid])
    worker.terminate()
    worker.wait(30)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    with open(ROOT / "benchmarks" / "results.jsonl", "a") as fh:
        fh.write(json.dumps(report, ensure_ascii=False) + "\n")


def run_scenarios(env: dict, tokens: dict, args) -> list[dict]:
    dispatcher, handler = Client(tokens["dispatcher"]), Client(tokens["handler"])
    towns = [t["code"] for t in json.loads(dispatcher.request("GET", "/regions?parent=990122")[1])["items"]]
    _, raw = dispatcher.request("GET", f"/regions?parent={towns[0]}")
    villages = [v["code"] for v in json.loads(raw)["items"]]
    rnd = random.Random(1)
    n, c = args.requests, args.concurrency
    results = []
    created: list[str] = [""] * n

    def create(i):
        body = {
            "stream": "dispute",
            "category": "D02",
            "title": f"邻里纠纷压测{i}",
            "region": rnd.choice(villages),
            "description": "两户因排水沟渠发生争执，请求调解。",
            "reporter": {"name": "测试人", "phone": "13800000000"},
        }
        status, raw = dispatcher.request("POST", "/cases", body, {"Idempotency-Key": uuid.uuid4().hex})
        if status == 201:
            created[i] = json.loads(raw)["number"]
        return status == 201

    results.append(measure("create", create, n, c))

    def ledger(i):
        path = f"/cases?status=in_progress,dispatched&region={rnd.choice(towns)}&limit=50"
        return dispatcher.request("GET", path)[0] == 200

    _, raw = dispatcher.request("GET", "/cases?status=closed&limit=200")
    numbers = [x["number"] for x in json.loads(raw)["items"]]

    def detail(i):
        number = numbers[i % len(numbers)]
        s1, _ = dispatcher.request("GET", f"/cases/{number}")
        s2, _ = dispatcher.request("GET", f"/cases/{number}/events")
        return s1 == s2 == 200

    # Latency alone (one client), then under load (several clients).
    for name, fn in (("list", ledger), ("detail+events", detail)):
        results.append(measure(name, fn, min(n, 500), 1))
        results.append(measure(name, fn, n, c))

    def step(client, action, body):
        return lambda i: client.request("POST", f"/cases/{created[i]}/actions/{action}", body)[0] == 200

    results.append(measure("accept", step(dispatcher, "accept", {}), n, c))
    results.append(measure("dispatch", step(dispatcher, "dispatch", {}), n, c))
    results.append(measure("sign", step(handler, "sign", {}), n, c))
    return results


if __name__ == "__main__":
    main()
