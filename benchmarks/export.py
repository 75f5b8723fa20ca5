"""Seed N cases and time an export of the whole ledger (GET /cases/export.xlsx) for the dispatcher.

    .venv/bin/python benchmarks/export.py --cases 20000  # SQLite: benchmarks/var/export_sqlite-20000
    .venv/bin/python benchmarks/export.py --cases 20000 --reuse  # skip seeding
    .venv/bin/python benchmarks/export.py --cases 20000 --db postgres

The request runs in this process through Django's test client and the real view, so the time covers
the scope check, the queries, the workbook and reading the whole response; the server's HTTP layer
is left out. Peak memory is reported to show that the export streams rather than holds the rows.
"""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

from run import env_for, pingan, prepare


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def time_export(username: str, rounds: int) -> list[dict]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
    django.setup()
    from django.test import Client

    from pingan.accounts.models import User
    from pingan.audit.models import AuditEntry

    client = Client(HTTP_HOST="127.0.0.1")
    user = User.objects.get(username=username)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    results = []
    for _ in range(rounds):
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        response = client.get("/cases/export.xlsx")
        size = sum(len(chunk) for chunk in response.streaming_content)
        seconds = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        rows = AuditEntry.objects.filter(action="case.export").latest("id").data["rows"]
        result = {
            "user": username,
            "rows": rows,
            "seconds": round(seconds, 2),
            "rows_per_second": round(rows / seconds),
            "file_mb": round(size / 1024 / 1024, 1),
            "peak_rss_mb": peak_rss_mb(),
            "peak_rss_growth_mb": round(peak_rss_mb() - rss_before, 1),
        }
        print(json.dumps(result, ensure_ascii=False), flush=True)
        results.append(result)
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=20_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--reuse", action="store_true", help="skip seeding; reuse the database of an earlier run")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--user", default="dispatcher")
    args = ap.parse_args()
    env = env_for(args.db, args.cases, prefix="export_")
    if not args.reuse or not Path(env["PINGAN_VAR"]).exists():
        print(f"seeded {args.cases} cases in {prepare(args.db, args.cases, env):.1f} s", flush=True)
        analyze = "VACUUM ANALYZE" if args.db == "postgres" else "ANALYZE"
        sql = f"from django.db import connection; connection.cursor().execute('{analyze}')"
        pingan(env, "shell", "-c", sql)
    os.environ.clear()
    os.environ.update(env)
    print(f"export of the whole ledger, {args.db}, {args.cases} cases:", flush=True)
    time_export(args.user, args.rounds)


if __name__ == "__main__":
    sys.exit(main())
