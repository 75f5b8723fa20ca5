"""研判预警: detection rate and false alarms per week on synthetic data, for a few thresholds.

No database: the background is generated as daily counts per village × category, and the product's own
tests (pingan.surges.stats: `rise`, `cluster`) run on it day by day as the daily job would, with the
job's rule that an alert keeps back the same place and category while the windows overlap.

Background (per year, `--cases`): villages of lognormal busyness, categories of Zipf popularity, a
weekday effect, an annual season, and a gamma-distributed weekly factor per village × category (counts
are over-dispersed, as real ones are: a plain Poisson background would flatter the Poisson test).
Injected surges: `--surges` random village × category × start day, each adding SIZE extra cases spread
over seven days; detected when an alert fires for that village and category on a run day that sees
the surge (start+1 … start+8). False alarms: alerts on the background alone, per week, for the county.

Clusters: each case gets an address from its village's pool (Zipf: a market, a school, a street are
named more often) and a time of day; the clusters the background alone raises, per week.

    .venv/bin/python benchmarks/surges.py                      # the demo's county: 10,000 cases a year
    .venv/bin/python benchmarks/surges.py --cases 50000 --weeks 60
"""

import argparse
import time
from datetime import datetime, timedelta

import numpy as np

from pingan.surges import stats  # pure functions: no Django setup needed

WARMUP = 7 * (stats.WEEKS + 1)  # days before the first run: the baseline must be full
RECENT = 7
P_VALUES = (0.01, 0.001, 0.0001)
SIZES = (3, 5, 8)
CLUSTER_SIZES = (3, 4)


def background(rng, villages: int, categories: int, days: int, per_year: float) -> np.ndarray:
    busy = rng.lognormal(0, 0.6, villages)
    popular = 1 / np.arange(1, categories + 1) ** 1.1
    rate = np.outer(busy / busy.sum(), popular / popular.sum()) * per_year / 365  # per day
    day = np.arange(days)
    season = 1 + 0.2 * np.sin(2 * np.pi * day / 365)
    weekday = np.where(day % 7 >= 5, 0.6, 1.16)
    weeks = (days + 6) // 7
    shape = 4.0  # weekly factor: mean 1, CV 0.5
    factor = rng.gamma(shape, 1 / shape, (villages, categories, weeks)).repeat(7, axis=2)[:, :, :days]
    lam = rate[:, :, None] * (season * weekday)[None, None, :] * factor
    return rng.poisson(lam)


def inject(rng, counts: np.ndarray, n: int, size: int) -> list[tuple[int, int, int]]:
    """`n` surges of `size` extra cases over seven days; returns (village, category, start day)."""
    villages, categories, days = counts.shape
    popular = counts.sum(axis=(0, 2)) + 1
    done = []
    for _ in range(n):
        v, c = rng.integers(villages), rng.choice(categories, p=popular / popular.sum())
        start = int(rng.integers(WARMUP, days - 9))
        for d in rng.integers(start, start + RECENT, size):
            counts[v, c, d] += 1
        done.append((int(v), int(c), start))
    return done


def run_rises(counts: np.ndarray, p_max: float, min_cases: int = 3) -> list[tuple[int, int, int]]:
    """(village, category, run day) of every alert, with the overlap rule of the daily job."""
    villages, categories, days = counts.shape
    total = np.concatenate([np.zeros((villages, categories, 1), int), counts.cumsum(axis=2)], axis=2)
    alerts, last = [], {}
    for run in range(WARMUP, days + 1):
        recent = total[:, :, run] - total[:, :, run - RECENT]
        base = total[:, :, run - RECENT] - total[:, :, run - WARMUP]
        for v, c in zip(*np.nonzero(recent >= min_cases), strict=True):
            if stats.rise(int(recent[v, c]), int(base[v, c]), p_max=p_max, min_cases=min_cases) is None:
                continue
            if (v, c) in last and last[(v, c)] - 1 >= run - RECENT:  # windows overlap: kept back
                continue
            last[(v, c)] = run
            alerts.append((int(v), int(c), run))
    return alerts


def rise_table(rng, args) -> None:
    days = args.weeks * 7 + WARMUP
    base = background(rng, args.villages, args.categories, days, args.cases)
    weeks = (days - WARMUP) / 7
    scale = f"{args.villages} 个村 × {args.categories} 类，{args.cases:.0f} 件/年，{args.weeks} 周"
    print(f"\n数量上升（rise）：{scale}")
    print("P 阈值     误报/周(全县)  " + "  ".join(f"检出率(+{s}件)" for s in SIZES))
    for p_max in P_VALUES:
        false = len(run_rises(base, p_max)) / weeks
        rates = []
        for size in SIZES:
            counts = base.copy()
            injected = inject(np.random.default_rng(args.seed + size), counts, args.surges, size)
            alerts = {}
            for v, c, run in run_rises(counts, p_max):
                alerts.setdefault((v, c), []).append(run)
            found = sum(1 for v, c, s in injected if any(s + 1 <= r <= s + 8 for r in alerts.get((v, c), [])))
            rates.append(found / len(injected))
        print(f"{p_max:<10} {false:>12.2f}  " + "  ".join(f"{r:>11.0%}" for r in rates))


def cluster_table(rng, args) -> None:
    """Clusters per week on the background alone (an injected cluster of N reports within 72 hours is
    found by construction: the test is exact, so only its false alarms are worth measuring)."""
    days = min(args.weeks * 7, 182)
    addresses = 400  # per village
    weights = 1 / np.arange(1, addresses + 1) ** 0.9
    weights /= weights.sum()
    per_village = rng.lognormal(0, 0.6, args.villages)
    per_village = per_village / per_village.sum() * args.cases / 365
    epoch = datetime(2026, 1, 1)
    print(f"\n同一地点集中（cluster）：每村 {addresses} 个地址（Zipf），{days} 天")
    print("N   小时   背景中的聚集预警/周(全县)")
    for reports in CLUSTER_SIZES:
        hours = 72
        false = 0
        for v in range(args.villages):
            n = rng.poisson(per_village[v] * days)
            where = rng.choice(addresses, n, p=weights)
            at = np.sort(rng.uniform(0, days * 24, n))
            by_address: dict[int, list[datetime]] = {}
            for a, h in zip(where, at, strict=True):
                by_address.setdefault(int(a), []).append(epoch + timedelta(hours=float(h)))
            false += _clusters(by_address, reports, hours, epoch)
        print(f"{reports:<3} {hours:<5} {false / (days / 7):>12.2f}")


def _clusters(by_address: dict[int, list[datetime]], reports: int, hours: int, epoch) -> int:
    """Alerts the daily job raises over the days, one per address while the windows overlap."""
    raised = 0
    for times in by_address.values():
        if len(times) < reports:
            continue
        last_end = None
        for day in sorted({(t - epoch).days for t in times}):  # a run finds a cluster the day after
            since = epoch + timedelta(days=day)
            upto = [t for t in times if t < since + timedelta(days=1)]
            hit = stats.cluster(upto, since, reports=reports, hours=hours)
            if hit is None:
                continue
            first = (upto[hit[0]] - epoch).days
            if last_end is not None and last_end >= first:
                continue
            last_end = (upto[hit[1]] - epoch).days
            raised += 1
    return raised


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=float, default=10000, help="每年案件数（默认 10000，演示县）")
    parser.add_argument("--villages", type=int, default=200)
    parser.add_argument("--categories", type=int, default=40)
    parser.add_argument("--weeks", type=int, default=52, help="研判的周数（另加 9 周基线）")
    parser.add_argument("--surges", type=int, default=300, help="每种规模注入的异常数")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    rise_table(rng, args)
    cluster_table(rng, args)
    print(f"\n用时 {time.perf_counter() - started:.1f} 秒")


if __name__ == "__main__":
    main()
