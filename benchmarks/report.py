"""Print the latest result per (database, size) from results.jsonl as Markdown tables."""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    latest: dict[tuple[str, int], dict] = {}
    for line in (HERE / "results.jsonl").read_text().splitlines():
        run = json.loads(line)
        if "scenarios" not in run:  # another benchmark's line (intake.py, kpis.py…): not run.py's table
            continue
        latest[(run["db"], run["cases"])] = run
    for (db, cases), run in sorted(latest.items()):
        print(f"### {db}, {cases:,} cases ({run['at']})\n")
        print("| scenario | clients | requests | median ms | p95 ms | requests/s | errors |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for s in run["scenarios"]:
            cells = [s[k] for k in ("scenario", "concurrency", "requests", "median_ms", "p95_ms")]
            cells += [s["throughput_rps"], s["errors"]]
            print("| " + " | ".join(str(c) for c in cells) + " |")
        seed = f"seeding {run['seed_seconds']} s; " if "seed_seconds" in run else ""
        print(
            f"\n{seed}sweep {run['sweep_seconds']} s (again: {run['sweep_again_seconds']} s); "
            f"server worker RSS {run['server_worker_rss_mb']} MB; "
            f"task worker RSS {run['task_worker_rss_mb']} MB\n"
        )


if __name__ == "__main__":
    main()
