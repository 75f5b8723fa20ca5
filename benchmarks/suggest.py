"""Seed N cases (or reuse them), train the 智能建议 model with `pingan train`, and report its held-out
accuracy, the time and memory training takes, and how long a suggestion takes to answer.

    .venv/bin/python benchmarks/suggest.py --cases 20000           # benchmarks/var/suggest_sqlite-20000
    .venv/bin/python benchmarks/suggest.py --cases 20000 --reuse   # skip seeding

Training runs as `pingan train --holdout 0` (what `pingan demo` runs) and as `pingan train` (20 % held
out, seed 0, then trained again on all), each timed from start to exit, with the larger peak RSS of the
two; the accuracy figures are those the second stores in its model. Suggestions are asked through
Django's test client and the real API as the dispatcher: `POST /api/v1/suggestions` with title,
description and place of the demo's kinds of case, the first request (which loads scikit-learn and the
model) apart, then median and p95 of the rest.

The demo's cases are written from a few templates per category, so its texts are far more regular than
a county's own: the figures show that the machinery works, not how well it will do on real cases.
"""

import argparse
import json
import resource
import statistics
import subprocess
import time
from pathlib import Path

from kpis import setup_django
from run import PY, ROOT, env_for, prepare

ASKED = [
    ("楼上邻居装修噪音扰民", "楼上住户每天晚上装修，电钻声很大，协商无果。"),
    ("工地拖欠农民工工资", "某工地包工头拖欠 12 名工人三个月工资，工人到镇里反映。"),
    ("小区燃气管道有异味", "小区 3 栋楼道内闻到燃气味，怀疑管道漏气。"),
    ("咨询新农合报销流程", "村民来电咨询住院费用如何报销。"),
    ("河道有人倾倒建筑垃圾", "村口河道边近期有车辆夜间倾倒建筑垃圾。"),
]


def train(env: dict, *args: str) -> dict:
    started = time.perf_counter()
    subprocess.run([PY, "-m", "pingan", "train", *args], env=env, check=True)
    return {"args": list(args), "seconds": round(time.perf_counter() - started, 1)}


def suggestion_latency(rounds: int) -> dict:
    from django.test import Client

    from pingan.accounts.models import User
    from pingan.regions.models import Region

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(
        User.objects.get(username="dispatcher"), backend="django.contrib.auth.backends.ModelBackend"
    )
    village = Region.objects.filter(level="village").order_by("code").first()
    times = []
    for i in range(rounds + 1):
        title, description = ASKED[i % len(ASKED)]
        body = {"title": title, "description": description, "region": village.code}
        t = time.perf_counter()
        r = client.post("/api/v1/suggestions", json.dumps(body), content_type="application/json")
        times.append(time.perf_counter() - t)
        assert r.status_code == 200 and r.json()["trained"], r.content
    first, rest = times[0], sorted(times[1:])
    return {
        "requests": rounds,
        "first_ms": round(first * 1000, 1),
        "median_ms": round(statistics.median(rest) * 1000, 1),
        "p95_ms": round(rest[int(len(rest) * 0.95) - 1] * 1000, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=20_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--reuse", action="store_true", help="skip seeding; reuse the database of an earlier run")
    ap.add_argument("--requests", type=int, default=100)
    args = ap.parse_args()
    env = env_for(args.db, args.cases, prefix="suggest_")
    report: dict = {"benchmark": "suggest", "db": args.db, "cases": args.cases}
    report["at"] = time.strftime("%Y-%m-%d %H:%M")
    if not args.reuse:
        report["seed_seconds"] = round(prepare(args.db, args.cases, env), 1)
        print(f"seeded {args.cases} cases in {report['seed_seconds']} s", flush=True)
    report["train_all"] = train(env, "--holdout", "0")
    report["train"] = train(env)  # last: the model left behind carries its held-out figures
    report["train_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    setup_django(env)
    from pingan.suggest.model import Model

    meta = Model.load(Path(env["PINGAN_VAR"]) / "suggest.npz").meta
    report |= {"trained_cases": meta["cases"], "held_out": meta["held_out"], "accuracy": meta["accuracy"]}
    report["model_kb"] = round((Path(env["PINGAN_VAR"]) / "suggest.npz").stat().st_size / 1024)
    report["suggestions"] = suggestion_latency(args.requests)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    with open(ROOT / "benchmarks" / "results.jsonl", "a") as fh:
        fh.write(json.dumps(report, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
