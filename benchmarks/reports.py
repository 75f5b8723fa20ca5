"""Seed N cases and time the generation of the month's 通报, the week's 调度表 and the last quarter's 考评
for the county: the action the 生成 button and `pingan report` call (figures, the .docx with its chart,
the .xlsx), in this process, against the benchmark's own data set (benchmarks/var/reports_<db>-<N>).

    .venv/bin/python benchmarks/reports.py --cases 20000            # the demo's size; target < 5 s
    .venv/bin/python benchmarks/reports.py --cases 20000 --reuse
    .venv/bin/python benchmarks/reports.py --cases 1000000 --db postgres --reuse   # target < 10 s
"""

import argparse
import json
import os
import time
from datetime import timedelta
from pathlib import Path

from run import DATA_SET_HELP, data_set_prefix, env_for, prepare


def time_reports(rounds: int) -> list[dict]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
    django.setup()
    from django.utils import timezone

    from pingan.core.periods import period_of
    from pingan.regions.models import Region
    from pingan.reports.actions import generate
    from pingan.reports.models import Report

    county = Region.objects.get(level="county")
    today = timezone.localdate()
    published = set(
        Report.objects.filter(region=county, published_at__isnull=False).values_list("kind", "period")
    )

    def unpublished(kind: str, p):
        """The latest period from `p` back whose county report may still be generated: the demo publishes
        the last three months' 通报, and a published report is frozen."""
        while (kind, p.key) in published:
            p = p.previous()
        return p.key

    periods = {
        "monthly": unpublished("monthly", period_of("month", today.replace(day=1) - timedelta(days=1))),
        "weekly": unpublished("weekly", period_of("week", today - timedelta(days=7))),
        "quarterly": unpublished("quarterly", period_of("quarter", today).previous()),
    }
    results = []
    for kind, period in periods.items():
        for _ in range(rounds):
            started = time.perf_counter()
            report = generate(kind, period, county.code, by=None)
            seconds = time.perf_counter() - started
            result = {
                "kind": kind, "period": period, "seconds": round(seconds, 2),
                "docx_kb": round(report.docx.size / 1024), "xlsx_kb": round(report.xlsx.size / 1024),
            }  # fmt: skip
            print(json.dumps(result, ensure_ascii=False), flush=True)
            results.append(result)
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=20_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--reuse", action="store_true", help="skip seeding; reuse the database of an earlier run")
    ap.add_argument("--data-set", metavar="NAME", help=DATA_SET_HELP)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if args.data_set is not None:
        args.reuse = True
    prefix = "reports_" if args.data_set is None else data_set_prefix(args.data_set)
    env = env_for(args.db, args.cases, prefix=prefix)
    if not args.reuse or not Path(env["PINGAN_VAR"]).exists():
        print(f"seeded {args.cases} cases in {prepare(args.db, args.cases, env):.1f} s", flush=True)
    os.environ.clear()
    os.environ.update(env)
    print(f"reports for the county, {args.db}, {args.cases} cases:", flush=True)
    time_reports(args.rounds)


if __name__ == "__main__":
    main()
