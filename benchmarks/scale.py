"""Every scenario of issue 14 at one size, on run.py's shared PostgreSQL data set (bench_<N>), one after
the other, each benchmark's own output kept in benchmarks/var/scale-<N>.log:

    .venv/bin/python benchmarks/scale.py --cases 1000000
    .venv/bin/python benchmarks/scale.py --cases 10000000 --report-rounds 1 --rebuild-minutes 10

Read-only scenarios first (search, KPI month and breakdown, cockpit), then those that write (the monthly
report, intake, run.py's list/detail/workflow/sweep/RSS), then `pingan rollups rebuild`. The rebuild is one
transaction: with --rebuild-minutes it is stopped after that long and rolled back (the data set is left as
it was), and its rate from the progress lines gives the projected total.
"""

import argparse
import re
import subprocess
import sys
import time

from run import PY, ROOT, env_for

PROGRESS = re.compile(r"已重算 (\d+)/(\d+) 件（([\d.]+) 秒）")  # `pingan rollups rebuild`'s progress line


def steps(args) -> list[tuple[str, list[str]]]:
    size = ["--cases", str(args.cases), "--db", "postgres"]
    shared = [*size, "--data-set", "shared"]
    requests = ["--requests", str(args.requests)] if args.requests else []
    return [
        ("search", [PY, _script("search"), *shared, "--read-only"]),
        ("kpis", [PY, _script("kpis"), *shared, "--skip-rebuild", "--requests", "100"]),
        ("cockpit", [PY, _script("cockpit"), *shared, "--requests", "40", "--no-drill-down"]),
        ("reports", [PY, _script("reports"), *shared, "--rounds", str(args.report_rounds)]),
        ("intake", [PY, _script("intake"), *size, "--port", "8093", *requests]),
        ("run", [PY, _script("run"), *size, "--reuse", *requests]),
    ]


def _script(name: str) -> str:
    return str(ROOT / "benchmarks" / f"{name}.py")


def run_step(name: str, cmd: list[str], log) -> None:
    print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
    log.write(f"\n== {name} {time.strftime('%H:%M:%S')}: {' '.join(cmd)}\n")
    log.flush()
    started = time.perf_counter()
    subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=True)
    print(f"   {time.perf_counter() - started:.0f} s", flush=True)


def rebuild(args, log) -> None:
    """`pingan rollups rebuild`, whole or for --rebuild-minutes (then stopped: rolled back)."""
    env = env_for("postgres", args.cases)
    cmd = [PY, "-m", "pingan", "rollups", "rebuild"]
    print("== rollups rebuild", flush=True)
    log.write(f"\n== rollups rebuild {time.strftime('%H:%M:%S')}\n")
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    limit = args.rebuild_minutes * 60 if args.rebuild_minutes else None
    last, points = "", []  # (cases replayed, cases in all, seconds) of each progress line
    assert proc.stdout is not None
    for line in proc.stdout:
        log.write(line)
        last = line.strip() or last
        found = PROGRESS.search(last)
        if found:
            points.append((int(found[1]), int(found[2]), float(found[3])))
        if limit and time.perf_counter() - started > limit and found and found[1] != found[2]:
            proc.terminate()  # one transaction: PostgreSQL rolls it back
            break
    proc.wait()
    seconds = time.perf_counter() - started
    if proc.returncode == 0:
        print(f"   finished: {last} ({seconds:.0f} s)", flush=True)
    elif len(points) > 1:
        # The steady rate, from the first progress line on: before it the rebuild deletes every counter.
        (first, _, first_at), (done, total, at) = points[0], points[-1]
        rate = (done - first) / (at - first_at)
        whole = first_at + (total - first) / rate
        print(
            f"   stopped after {seconds:.0f} s (rolled back): {done:,}/{total:,} cases, first progress at "
            f"{first_at:.0f} s, then {rate:,.0f} cases/s; the whole rebuild ≈ {whole / 60:.0f} min",
            flush=True,
        )
    else:
        sys.exit(f"rollups rebuild failed: {last}")


def box_speed() -> str:
    """Two fixed loads, to compare runs made on different days of this shared VM: a pure Python loop and
    a PostgreSQL aggregate over a generated series (no table)."""
    started = time.perf_counter()
    sum(i * i for i in range(10_000_000))
    python_s = time.perf_counter() - started
    url = env_for("postgres", 0)["DATABASE_URL"].rsplit("/", 1)[0] + "/test"
    started = time.perf_counter()
    subprocess.run(
        ["psql", url, "-qAtc", "SELECT sum(i * i) FROM generate_series(1::bigint, 10000000) i"],
        check=True,
        capture_output=True,
    )
    return f"box: Python loop {python_s:.2f} s, PostgreSQL series {time.perf_counter() - started:.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, required=True)
    ap.add_argument("--report-rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, help="requests per scenario of intake.py and run.py (2000)")
    ap.add_argument("--rebuild-minutes", type=float, help="stop the rebuild after this long (rolled back)")
    ap.add_argument("--only", nargs="*", help="only these: search kpis cockpit reports intake run rebuild")
    args = ap.parse_args()
    path = ROOT / "benchmarks" / "var" / f"scale-{args.cases}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as log:
        speed = box_speed()
        print(speed, flush=True)
        log.write(f"\n{time.strftime('%Y-%m-%d %H:%M')} {speed}\n")
        for name, cmd in steps(args):
            if not args.only or name in args.only:
                run_step(name, cmd, log)
        if not args.only or "rebuild" in args.only:
            rebuild(args, log)
    print(f"every output is in {path}")


if __name__ == "__main__":
    main()
