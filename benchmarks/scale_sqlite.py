"""Copy a seeded SQLite data set and grow its cases table to N rows along the time axis, for plan and
ledger timings at sizes the demo generator takes hours to reach on this machine (issue 14 part 6).

Row i of N copies the template case at the same relative position of the seeded set, give or take 30
cases, so the mix of statuses by age and of towns is the generator's. Only `cases_case` grows (and the
search index, through its triggers); events, audit entries and the other tables stay those of the seed,
so the result serves the ledger list, not the case page or the KPIs. A synthetic set: say so beside
every figure measured on it.

    .venv/bin/python benchmarks/run.py --cases 3000 --db sqlite --seed-only                 # 3,202 cases
    .venv/bin/python benchmarks/scale_sqlite.py --source sqlite-3000 --cases 1003202
    .venv/bin/python benchmarks/ledger.py --cases 1003202 --db sqlite --data-set synthetic
"""

import argparse
import shutil
import sqlite3

from run import ROOT

VAR = ROOT / "benchmarks" / "var"


def grow(path: str, cases: int) -> None:
    db = sqlite3.connect(path)
    columns = [
        row[1] for row in db.execute("PRAGMA table_info(cases_case)") if row[1] not in ("id", "number")
    ]
    (seeded,) = db.execute("SELECT count(*) FROM cases_case").fetchone()
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("CREATE TEMP TABLE template AS SELECT row_number() OVER (ORDER BY id) rn, * FROM cases_case")
    # The column names come from the table's own schema.
    insert = f"INSERT INTO cases_case (number, {', '.join(columns)})"
    pick = f"SELECT 'S' || seq.i, {', '.join('t.' + c for c in columns)} FROM seq JOIN template t"  # noqa: S608
    near = "ON t.rn = max(1, min(?, CAST(seq.i * ? / ? AS INTEGER) + abs(random()) % 61 - 30))"
    sequence = "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)"
    added = cases - seeded
    db.execute(" ".join((sequence, insert, pick, near)), (added, seeded, float(seeded), added))
    db.commit()
    db.execute("ANALYZE")
    db.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True, help="a data set under benchmarks/var, e.g. sqlite-3200")
    ap.add_argument("--cases", type=int, default=1_000_000)
    args = ap.parse_args()
    target = VAR / f"synthetic_sqlite-{args.cases}"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(VAR / args.source, target)
    grow(str(target / "pingan.sqlite3"), args.cases)
    print(f"{target}: {args.cases} cases")


if __name__ == "__main__":
    main()
