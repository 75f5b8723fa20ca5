"""Seed N cases (or reuse a data set) and time a 专项整治 campaign: its page (`/campaigns/<id>/`) and
`GET /api/v1/campaigns/<id>` for the county's leader and supervisor, and the list page, in this process
through Django's test client (median and p95, and the queries of one request).

The campaign is the demo's (pingan.demo.campaigns): `pingan seed` ships it; a data set seeded before it
existed gets it added once, through the real actions, before timing.

    .venv/bin/python benchmarks/campaigns.py --cases 20000           # benchmarks/var/campaigns_sqlite-20000
    .venv/bin/python benchmarks/campaigns.py --cases 20000 --reuse    # skip seeding
    # another benchmark's data set, e.g. the shared 1M PostgreSQL one (bench_1000000,
    # benchmarks/var/postgres-1000000): target p95 < 200 ms
    .venv/bin/python benchmarks/campaigns.py --cases 1000000 --db postgres --data-set shared
"""

import argparse
import json
import os
import time

from run import ROOT, data_set_prefix, env_for, pingan, prepare, time_page

PREFIX = "campaigns_"


def ensure_campaign() -> int:
    from pingan.campaigns.models import Campaign
    from pingan.demo.campaigns import seed_campaigns
    from pingan.demo.generator import load_county

    if not Campaign.objects.exists():
        t = time.perf_counter()
        seed_campaigns(load_county())
        print(f"added the demo campaign in {time.perf_counter() - t:.1f} s", flush=True)
    return Campaign.objects.order_by("id").values_list("pk", flat=True).first()


def time_campaign(rounds: int) -> list[dict]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
    import django

    django.setup()
    from django.test import Client

    from pingan.accounts.models import User

    campaign = ensure_campaign()
    results = []
    for username in ("leader", "supervisor"):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(
            User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend"
        )
        for url in (f"/campaigns/{campaign}/", f"/api/v1/campaigns/{campaign}", "/campaigns/"):
            _, timed = time_page(client, url, rounds)
            result = {"page": url, "user": username, **timed}
            print(json.dumps(result, ensure_ascii=False), flush=True)
            results.append(result)
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=20_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--reuse", action="store_true", help="skip seeding; reuse the database of an earlier run")
    ap.add_argument(
        "--data-set",
        metavar="NAME",
        help='reuse another seeded data set instead of our own (implies --reuse): "shared" for run.py\'s '
        '(bench_<N>, benchmarks/var/<db>-<N>), or a benchmark\'s prefix such as "cockpit"',
    )
    ap.add_argument("--requests", type=int, default=40)
    args = ap.parse_args()
    prefix = PREFIX if args.data_set is None else data_set_prefix(args.data_set)
    env = env_for(args.db, args.cases, prefix=prefix)
    report: dict = {"db": args.db, "cases": args.cases, "data_set": prefix or "shared",
                    "at": time.strftime("%Y-%m-%d %H:%M")}  # fmt: skip
    if not args.reuse and args.data_set is None:
        report["seed_seconds"] = round(prepare(args.db, args.cases, env), 1)
        print(f"seeded {args.cases} cases in {report['seed_seconds']} s", flush=True)
    pingan(env, "migrate", "-v", "0")
    os.environ.clear()
    os.environ.update(env)
    report["campaigns"] = time_campaign(args.requests)
    with open(ROOT / "benchmarks" / "results.jsonl", "a") as fh:
        fh.write(json.dumps(report, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
