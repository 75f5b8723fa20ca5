"""Precision and recall of the 相似案件 check (pingan.cases.similar) on the labelled synthetic set of
pingan.demo.duplicates: base cases, later reports of some of them reworded, and decoys (another matter
of the same category in the same village and week, another matter in the same building, the same kind
of matter in the same place two months before), all registered through the real intake action.

Each duplicate is asked for its similar cases as the case page asks (the dispatcher, top 5). A hit is a
case of the same matter (its base or another report of it).
- recall@k: the share of duplicates with at least one case of their matter among the first k;
- precision@k: the share of the cases listed among the first k that are of the same matter (a list
  may hold fewer than k: only cases whose title or description is close enough are listed);
- for the bases nobody reported again, how many cases are listed all the same (false alarms).
Also the time of one lookup (median, p95) and its queries.

A fresh SQLite data set each run (benchmarks/var/duplicates_sqlite-<N>), a small county by default
(2 towns × 6 villages × 3 grids) so that villages are crowded:

    .venv/bin/python benchmarks/duplicates.py                       # 600 bases, 200 duplicates, 400 decoys
    .venv/bin/python benchmarks/duplicates.py --bases 300 --duplicates 100 --decoys 200 --seed 1
"""

import argparse
import json
import os
import secrets
import shutil
import statistics
import time
from pathlib import Path

from run import ROOT, env_for

KS = (1, 3, 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bases", type=int, default=600)
    parser.add_argument("--duplicates", type=int, default=200)
    parser.add_argument("--decoys", type=int, default=400)
    parser.add_argument("--towns", type=int, default=2)
    parser.add_argument("--villages", type=int, default=6, help="villages per town")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    total = args.bases + args.duplicates + args.decoys
    env = env_for("sqlite", total, "duplicates_")
    os.environ.update(env)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "pingan.settings"
    var = Path(env["PINGAN_VAR"])
    if var.exists():
        shutil.rmtree(var)
    import django

    django.setup()
    from django.core.management import call_command

    from pingan.demo.county import build_county, create_role_users
    from pingan.demo.duplicates import make_duplicate_set

    call_command("migrate", verbosity=0)
    county = build_county(towns=args.towns, villages_per_town=args.villages, grids_per_village=3)
    county = create_role_users(county, password=secrets.token_urlsafe(16))
    started = time.perf_counter()
    labels = make_duplicate_set(
        county, bases=args.bases, duplicates=args.duplicates, decoys=args.decoys, seed=args.seed
    )
    seeded = time.perf_counter() - started
    print(f"registered {len(labels.matter)} cases in {seeded:.1f} s", flush=True)
    result = {"benchmark": "duplicates", "db": "sqlite", "cases": len(labels.matter), **vars(args)}
    result |= measure(county.users["dispatcher"], labels)
    print(json.dumps(result, ensure_ascii=False), flush=True)
    with (ROOT / "benchmarks" / "results.jsonl").open("a") as out:
        out.write(json.dumps(result, ensure_ascii=False) + "\n")


def measure(user, labels) -> dict:
    from django.db import connection

    from pingan.cases.models import Case
    from pingan.cases.similar import similar_to_case

    def lookup(number: str) -> list[str]:
        case = Case.objects.select_related("category").get(number=number)
        return [s.number for s in similar_to_case(user, case, limit=max(KS))]

    times, found = [], {}
    for number in labels.duplicates + labels.uniques:
        t = time.perf_counter()
        found[number] = lookup(number)
        times.append(time.perf_counter() - t)
    queries: list[str] = []

    def counted(execute, sql, *rest):
        queries.append(sql)
        return execute(sql, *rest)

    with connection.execute_wrapper(counted):
        lookup(labels.duplicates[0])
    figures: dict = {}
    for k in KS:
        listed = hits = recalled = 0
        for number in labels.duplicates:
            top, same = found[number][:k], labels.same_matter(number)
            listed += len(top)
            hits += sum(n in same for n in top)
            recalled += any(n in same for n in top)
        figures[f"precision@{k}"] = round(hits / listed, 3) if listed else None
        figures[f"recall@{k}"] = round(recalled / len(labels.duplicates), 3)
    alarms = [len(found[n][:3]) for n in labels.uniques]
    figures["uniques_with_a_candidate_top3"] = round(sum(a > 0 for a in alarms) / len(alarms), 3)
    figures["uniques_mean_listed_top3"] = round(statistics.mean(alarms), 2)
    times.sort()
    figures["lookup_median_ms"] = round(statistics.median(times) * 1000, 1)
    figures["lookup_p95_ms"] = round(times[int(len(times) * 0.95) - 1] * 1000, 1)
    figures["lookup_queries"] = len(queries)
    return figures


if __name__ == "__main__":
    main()
