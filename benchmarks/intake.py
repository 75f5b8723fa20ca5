"""Intake throughput (issue 14 part 5): only run.py's `create` scenario (POST /api/v1/cases with an
Idempotency-Key, 8 clients) against the real server, on a data set seeded by run.py, plus the SQL
statements of one create counted in this process through Django's test client. Target at 1M on
PostgreSQL: ≥ 150 req/s and p95 < 80 ms.

    .venv/bin/python benchmarks/run.py --cases 100000 --db postgres --seed-only   # bench_100000
    nice -n 5 .venv/bin/python benchmarks/intake.py --cases 100000 --db postgres --port 8091
"""

import argparse
import json
import os
import random
import subprocess
import time
import uuid

import run
from run import PY, ROOT, Client, children, env_for, measure, pingan, rss_mb, wait_for_server

BODY = {
    "stream": "dispute",
    "category": "D02",
    "description": "两户因排水沟渠发生争执，请求调解。",
    "reporter": {"name": "测试人", "phone": "13800000000"},
}


def statements_per_create(token: str, villages: list[str]) -> dict:
    """One create (after a warm-up one) through the test client with a bearer token, its SQL counted."""
    from django.db import connection
    from django.test import Client as TestClient

    client = TestClient(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    statements: list[str] = []

    def counted(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    def create(i: int):
        body = {**BODY, "title": f"邻里纠纷计数{i}", "region": villages[i % len(villages)]}
        return client.post(
            "/api/v1/cases", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
        )

    assert create(0).status_code == 201
    with connection.execute_wrapper(counted):
        r = create(1)
    assert r.status_code == 201, r.content[:300]
    return {"statements": len(statements), "response_bytes": len(r.content)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--port", type=int, default=run.PORT, help="another port if run.py's is in use")
    args = ap.parse_args()
    run.PORT = args.port
    env = env_for(args.db, args.cases)
    report: dict = {"db": args.db, "cases": args.cases, "at": time.strftime("%Y-%m-%d %H:%M")}
    report["commit"] = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    pingan(env, "migrate", "-v", "0")
    token = pingan(env, "create_token", "dispatcher", capture=True).strip()
    server = subprocess.Popen(
        [PY, "-m", "pingan", "serve", "--port", str(args.port), "--workers", str(args.workers)], env=env
    )
    try:
        wait_for_server()
        client = Client(token)
        towns = [t["code"] for t in json.loads(client.request("GET", "/regions?parent=990122")[1])["items"]]
        _, raw = client.request("GET", f"/regions?parent={towns[0]}")
        villages = [v["code"] for v in json.loads(raw)["items"]]
        rnd = random.Random(1)

        def create(i: int) -> bool:
            body = {**BODY, "title": f"邻里纠纷压测{i}", "region": rnd.choice(villages)}
            status, _ = client.request("POST", "/cases", body, {"Idempotency-Key": uuid.uuid4().hex})
            return status == 201

        measure("warm-up", create, 50, args.concurrency)
        report["create"] = measure("create", create, args.requests, args.concurrency)
        report["server_worker_rss_mb"] = rss_mb(children(server.pid))
    finally:
        server.terminate()
        server.wait(30)

    os.environ.clear()
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
    import django

    django.setup()
    report["per_create"] = statements_per_create(token, villages)
    print(json.dumps(report, ensure_ascii=False), flush=True)
    with open(ROOT / "benchmarks" / "results.jsonl", "a") as fh:
        fh.write(json.dumps({"benchmark": "intake", **report}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
