"""Seed N cases (or reuse them) and time the 领导驾驶舱 page for the county's leader: the whole page
through Django's test client in this process (the server's HTTP layer is left out), median and p95,
with the number of queries and the time of the first request (nothing kept yet: the counts of ended
periods and their assessment figures are computed, then kept ten minutes).

    .venv/bin/python benchmarks/cockpit.py --cases 20000           # benchmarks/var/cockpit_sqlite-20000
    .venv/bin/python benchmarks/cockpit.py --cases 20000 --reuse    # skip seeding
    .venv/bin/python benchmarks/cockpit.py --cases 1000000 --db postgres --reuse   # target p95 < 300 ms

A data set seeded before the rollups existed needs `pingan rollups rebuild` once (`--rebuild`).
"""

import argparse
import json
import os
import time

from run import DATA_SET_HELP, ROOT, data_set_prefix, env_for, pingan, prepare, time_page


def time_cockpit(rounds: int, drill_down: bool = True) -> list[dict]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client

    from pingan.accounts.models import User
    from pingan.regions.models import Region

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(
        User.objects.get(username="leader"), backend="django.contrib.auth.backends.ModelBackend"
    )
    from django.utils import timezone

    from pingan.core.periods import period_of

    town = Region.objects.filter(level="town").order_by("code").first()
    month = period_of("month", timezone.localdate()).key
    behind = {"key": "closed_rate", "part": "denominator", "period": month}
    pages = [("county", "/cockpit/", {}), ("town", "/cockpit/", {"region": town.code})]
    if drill_down:  # 考核指标明细: the cases behind this month's 办结率, replayed case by case
        pages += [
            ("county 办结率 denominator", "/cockpit/figures/", behind),
            ("town 办结率 denominator", "/cockpit/figures/", {**behind, "region": town.code}),
        ]
    results = []
    for label, path, params in pages:
        cache.clear()  # the first request finds nothing kept: the ended periods are counted too
        _, timed = time_page(client, path, rounds, params)
        result = {"page": path, "scope": label, **timed}
        print(json.dumps(result, ensure_ascii=False), flush=True)
        results.append(result)
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=20_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--reuse", action="store_true", help="skip seeding; reuse the database of an earlier run")
    ap.add_argument("--data-set", metavar="NAME", help=DATA_SET_HELP)
    ap.add_argument("--rebuild", action="store_true", help="run `pingan rollups rebuild` first")
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument(
        "--no-drill-down", action="store_true", help="the cockpit page only (a drill-down is 13 s at 1M)"
    )
    args = ap.parse_args()
    if args.data_set is not None:
        args.reuse = True
    prefix = "cockpit_" if args.data_set is None else data_set_prefix(args.data_set)
    env = env_for(args.db, args.cases, prefix=prefix)
    report: dict = {"db": args.db, "cases": args.cases, "at": time.strftime("%Y-%m-%d %H:%M")}
    if not args.reuse:
        report["seed_seconds"] = round(prepare(args.db, args.cases, env), 1)
        print(f"seeded {args.cases} cases in {report['seed_seconds']} s", flush=True)
    pingan(env, "migrate", "-v", "0")
    if args.rebuild:
        pingan(env, "rollups", "rebuild")
    os.environ.clear()
    os.environ.update(env)
    report["cockpit"] = time_cockpit(args.requests, drill_down=not args.no_drill_down)
    with open(ROOT / "benchmarks" / "results.jsonl", "a") as fh:
        fh.write(json.dumps(report, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
