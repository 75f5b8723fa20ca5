"""Seed N cases (or reuse a data set) and time `GET /api/v1/creation/rates` for the county and last
year, as the county's leader: in this process through Django's test client (the server's HTTP layer is
left out), median and p95, with the number of queries of one request. The 平安创建 data (programmes,
the register, last year's and this year's applications) is the demo's, created when missing.

    .venv/bin/python benchmarks/creation.py --cases 20000             # benchmarks/var/creation_sqlite-20000
    .venv/bin/python benchmarks/creation.py --cases 20000 --reuse     # skip seeding
    # the shared 1M PostgreSQL set (bench_1000000, benchmarks/var/postgres-1000000); target p95 < 200 ms
    .venv/bin/python benchmarks/creation.py --cases 1000000 --db postgres --data-set shared

`--data-set NAME` reuses another data set (no seeding; implies --reuse): "shared" (or "") for run.py's,
or a benchmark's prefix such as "cockpit".
"""

import argparse
import json
import os
import statistics
import time

from run import DATA_SET_HELP, ROOT, data_set_prefix, env_for, pingan, prepare


def ensure_creation_data() -> int:
    from pingan.creation.models import Application
    from pingan.demo.creation import seed_creation
    from pingan.demo.generator import load_county

    if Application.objects.exists():
        return 0
    return seed_creation(load_county())


def time_rates(rounds: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from pingan.accounts.models import User
    from pingan.regions.models import Region

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(
        User.objects.get(username="leader"), backend="django.contrib.auth.backends.ModelBackend"
    )
    county = Region.objects.filter(level="county").order_by("code").first()
    year = str(timezone.localdate().year - 1)
    results = []
    for label, params in (
        ("county", {"region": county.code, "year": year}),
        ("county, one programme", {"region": county.code, "year": year, "programme": "safe_village"}),
    ):
        queries: list[str] = []

        def counted(execute, sql, params_, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params_, many, context)

        with connection.execute_wrapper(counted):
            first = client.get("/api/v1/creation/rates", params)
        assert first.status_code == 200, first.content[:500]
        times = []
        for _ in range(rounds):
            t = time.perf_counter()
            r = client.get("/api/v1/creation/rates", params)
            times.append(time.perf_counter() - t)
            assert r.status_code == 200
        times.sort()
        result = {
            "endpoint": "/api/v1/creation/rates",
            "scope": label,
            "requests": rounds,
            "queries": len(queries),
            "total": first.json()["total"],
            "median_ms": round(statistics.median(times) * 1000, 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)] * 1000, 1),
        }
        print(json.dumps(result, ensure_ascii=False), flush=True)
        results.append(result)
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=20_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--reuse", action="store_true", help="skip seeding; reuse the database of an earlier run")
    ap.add_argument("--data-set", metavar="NAME", help=DATA_SET_HELP)
    ap.add_argument("--requests", type=int, default=40)
    args = ap.parse_args()
    prefix = "creation_" if args.data_set is None else data_set_prefix(args.data_set)
    reuse = args.reuse or args.data_set is not None
    env = env_for(args.db, args.cases, prefix=prefix)
    report: dict = {
        "db": args.db,
        "cases": args.cases,
        "data_set": prefix,
        "at": time.strftime("%Y-%m-%d %H:%M"),
    }
    if not reuse:
        report["seed_seconds"] = round(prepare(args.db, args.cases, env), 1)
        print(f"seeded {args.cases} cases in {report['seed_seconds']} s", flush=True)
    pingan(env, "migrate", "-v", "0")
    os.environ.clear()
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
    import django

    django.setup()
    created = ensure_creation_data()
    if created:
        print(f"created {created} 平安创建 applications", flush=True)
    report["creation_rates"] = time_rates(args.requests)
    with open(ROOT / "benchmarks" / "results.jsonl", "a") as fh:
        fh.write(json.dumps(report, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
