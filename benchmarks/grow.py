"""Time `pingan seed --grow K` (pingan.demo.grow) on a seeded PostgreSQL data set, and measure what a case
costs on disk: the database's size per case and its 15 largest tables (with their indexes).

By default the data set (its own, `bench_grow_<N>`, seeded unless --reuse) is first copied to a scratch
database (CREATE DATABASE … TEMPLATE), which is grown, measured and dropped, so that ×2 and ×3 can be
timed from the same N. `--sizes-only` only measures the data set (read-only).

`--in-place` grows the data set itself and renames it (database and var dir) to the size it then has, so
the other benchmarks find it: `--cases 1000000 --data-set shared --factor 8 --in-place` turns run.py's
`bench_1000000` into `bench_8000000` (benchmarks/var/postgres-8000000), read with `--cases 8000000
--data-set shared`. There is then no 1M set left: measure 1M first.

    .venv/bin/python benchmarks/grow.py --cases 100000 --factor 2
    .venv/bin/python benchmarks/grow.py --cases 100000 --factor 3 --reuse
    .venv/bin/python benchmarks/grow.py --cases 1000000 --data-set shared --sizes-only
    .venv/bin/python benchmarks/grow.py --cases 1000000 --data-set shared --factor 8 --in-place
"""

import argparse
import json
import subprocess
import time
from pathlib import Path

from run import DATA_SET_HELP, ROOT, data_set_prefix, env_for, pingan, prepare

PREFIX = "grow_"
TOP_TABLES = """
SELECT c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid), c.reltuples::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname = current_schema()
ORDER BY 2 DESC LIMIT 15
"""


def psql(url: str, sql: str) -> list[list[str]]:
    out = subprocess.run(["psql", url, "-AtF", "\t", "-c", sql], check=True, capture_output=True, text=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def sizes(url: str) -> dict:
    """The database's size, its cases, bytes per case, and the largest tables (total with indexes, heap)."""
    [[size, cases]] = psql(
        url, "SELECT pg_database_size(current_database()), (SELECT count(*) FROM cases_case)"
    )
    tables = [
        {"table": name, "total_mb": int(total) // 2**20, "heap_mb": int(heap) // 2**20, "rows": int(rows)}
        for name, total, heap, rows in psql(url, TOP_TABLES)
    ]
    return {
        "cases": int(cases),
        "database_mb": int(size) // 2**20,
        "bytes_per_case": int(size) // max(int(cases), 1),
        "top_tables": tables,
    }


def rename(env: dict, admin: str, cases: int, prefix: str) -> str:
    """Give a grown data set the name (database and var dir) of its new size."""
    target = env_for("postgres", cases, prefix=prefix)
    old, new = env["DATABASE_URL"].rsplit("/", 1)[1], target["DATABASE_URL"].rsplit("/", 1)[1]
    psql(admin, f"ALTER DATABASE {old} RENAME TO {new}")
    if Path(env["PINGAN_VAR"]).exists():  # its keys and files (a checkout without them has none)
        Path(env["PINGAN_VAR"]).rename(target["PINGAN_VAR"])
    return new


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--factor", type=int, default=2)
    ap.add_argument("--reuse", action="store_true", help="skip seeding; reuse the database of an earlier run")
    ap.add_argument("--data-set", metavar="NAME", help=DATA_SET_HELP)
    ap.add_argument("--in-place", action="store_true", help="grow the data set itself, not a scratch copy")
    ap.add_argument("--sizes-only", action="store_true", help="only measure the data set (no grow)")
    ap.add_argument("--no-space-check", action="store_true", help="passed on to pingan seed --grow")
    args = ap.parse_args()
    prefix = PREFIX if args.data_set is None else data_set_prefix(args.data_set)
    env = env_for("postgres", args.cases, prefix=prefix)
    report: dict = {"cases": args.cases, "data_set": prefix or "shared"}
    report["at"] = time.strftime("%Y-%m-%d %H:%M")
    if not args.reuse and args.data_set is None:
        report["seed_seconds"] = round(prepare("postgres", args.cases, env), 1)
    source = env["DATABASE_URL"]
    if args.sizes_only:
        report["before"] = sizes(source)
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return
    admin = source.rsplit("/", 1)[0] + "/test"
    scratch = "" if args.in_place else f"{source.rsplit('/', 1)[1]}_x{args.factor}"
    if scratch:
        psql(admin, f"DROP DATABASE IF EXISTS {scratch}")
        started = time.perf_counter()
        psql(admin, f"CREATE DATABASE {scratch} TEMPLATE {source.rsplit('/', 1)[1]}")
        report["copy_seconds"] = round(time.perf_counter() - started, 1)
        env = {**env, "DATABASE_URL": source.rsplit("/", 1)[0] + "/" + scratch}
    try:
        report["before"] = sizes(env["DATABASE_URL"])
        started = time.perf_counter()
        unchecked = ["--no-space-check"] if args.no_space_check else []
        pingan(env, "seed", "--grow", str(args.factor), *unchecked)
        seconds = time.perf_counter() - started
        report["factor"] = args.factor
        report["grow_seconds_with_vacuum"] = round(seconds, 1)
        copied = report["before"]["cases"] * (args.factor - 1)
        report["seconds_per_100k_copied_cases"] = round(seconds / copied * 100_000, 1)
        report["after"] = sizes(env["DATABASE_URL"])
    finally:
        if scratch:
            psql(admin, f"DROP DATABASE IF EXISTS {scratch}")
    if args.in_place:
        report["renamed_to"] = rename(env, admin, args.cases * args.factor, prefix)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    with open(ROOT / "benchmarks" / "results.jsonl", "a") as fh:
        fh.write(json.dumps({"benchmark": "grow", **report}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
