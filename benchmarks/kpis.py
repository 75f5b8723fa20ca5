"""Seed N cases (or reuse them) and time the KPI figures, `pingan rollups rebuild`, and what keeping the
rollups adds to registering a case.

    .venv/bin/python benchmarks/kpis.py --cases 20000            # SQLite: benchmarks/var/kpis_sqlite-20000
    .venv/bin/python benchmarks/kpis.py --cases 20000 --reuse    # skip seeding
    .venv/bin/python benchmarks/kpis.py --cases 20000 --db postgres

The requests run in this process through Django's test client and the real API (the server's HTTP layer
is left out): `GET /kpis` for the county and a month, `GET /kpis/breakdown` by town for a month, each
`--requests` times as the leader, median and p95. `rollups rebuild` runs as `pingan rollups rebuild`, timed
from start to exit. The write overhead registers cases through `create_case` (the intake action) in
alternating rounds with the rollups' receiver connected and disconnected, each round rolled back, and
reports milliseconds per case of each.
"""

import argparse
import json
import os
import statistics
import time
from datetime import timedelta

from run import DATA_SET_HELP, ROOT, data_set_prefix, env_for, pingan, prepare, settle


def setup_django(env: dict) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
    import django

    django.setup()


def latencies(client, path: str, params: dict, rounds: int) -> dict:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        r = client.get("/api/v1" + path, params)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, r.content
    times.sort()
    return {
        "path": path,
        "params": params,
        "requests": rounds,
        "median_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 1),
    }


def figures(rounds: int) -> list[dict]:
    from django.test import Client
    from django.utils import timezone

    from pingan.accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(
        User.objects.get(username="leader"), backend="django.contrib.auth.backends.ModelBackend"
    )
    month = timezone.localdate().replace(day=1) - timedelta(days=1)
    period = month.strftime("%Y-%m")  # last month: complete, as a 月通报 reads it
    return [
        latencies(client, "/kpis", {"period": period}, rounds),
        latencies(client, "/kpis/breakdown", {"period": period, "by": "town"}, rounds),
        latencies(client, "/kpis", {"period": month.strftime("%Y")}, rounds),
    ]


def write_overhead(cases: int, rounds: int) -> dict:
    from django.db import transaction

    from pingan.accounts.models import User
    from pingan.analytics.rollups import keep_rollups
    from pingan.cases.actions import create_case
    from pingan.cases.events import events_written
    from pingan.regions.models import Region

    dispatcher = User.objects.get(username="dispatcher")
    village = Region.objects.filter(level="village").order_by("code").first()
    body = {
        "stream": "dispute",
        "category": "D02",
        "title": "邻里噪音纠纷",
        "description": "楼上夜间噪音",
        "channel": "walk_in",
        "region": village.code,
        "reporter": {"name": "张三", "phone": "13800000000"},
    }
    spent: dict[bool, list[float]] = {True: [], False: []}
    for r in range(rounds * 2):
        kept = r % 2 == 0
        if not kept:
            events_written.disconnect(dispatch_uid="analytics.keep_rollups")
        with transaction.atomic():
            t = time.perf_counter()
            for _ in range(cases):
                create_case(dispatcher, body)
            spent[kept].append((time.perf_counter() - t) / cases * 1000)
            transaction.set_rollback(True)
        if not kept:
            events_written.connect(keep_rollups, dispatch_uid="analytics.keep_rollups")
    return {
        "cases_per_round": cases,
        "rounds": rounds,
        "ms_per_create_with_rollups": round(statistics.median(spent[True]), 2),
        "ms_per_create_without": round(statistics.median(spent[False]), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=20_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--reuse", action="store_true", help="skip seeding; reuse the database of an earlier run")
    ap.add_argument("--data-set", metavar="NAME", help=DATA_SET_HELP)
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--skip-rebuild", action="store_true", help="do not time `pingan rollups rebuild`")
    ap.add_argument("--creates", type=int, default=100, help="cases registered per write-overhead round")
    args = ap.parse_args()
    if args.data_set is not None:
        args.reuse = True
    prefix = "kpis_" if args.data_set is None else data_set_prefix(args.data_set)
    env = env_for(args.db, args.cases, prefix=prefix)
    report: dict = {"db": args.db, "cases": args.cases, "at": time.strftime("%Y-%m-%d %H:%M")}
    if not args.reuse:
        report["seed_seconds"] = round(prepare(args.db, args.cases, env), 1)
        print(f"seeded {args.cases} cases in {report['seed_seconds']} s", flush=True)
    pingan(env, "migrate", "-v", "0")
    if not args.skip_rebuild:
        started = time.perf_counter()
        pingan(env, "rollups", "rebuild")
        report["rebuild_seconds"] = round(time.perf_counter() - started, 1)
        settle(env)
    setup_django(env)
    report["figures"] = figures(args.requests)
    report["write_overhead"] = write_overhead(args.creates, rounds=5)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    with open(ROOT / "benchmarks" / "results.jsonl", "a") as fh:
        fh.write(json.dumps(report, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
