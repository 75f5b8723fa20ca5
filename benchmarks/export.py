"""Seed N cases and time an export of the whole ledger (the ledger's 导出 button, POST /exports/ledger/) for
the dispatcher, written during the request or, with --background, by `pingan worker`.

    .venv/bin/python benchmarks/export.py --cases 20000  # SQLite: benchmarks/var/export_sqlite-20000
    .venv/bin/python benchmarks/export.py --cases 20000 --reuse  # skip seeding
    .venv/bin/python benchmarks/export.py --cases 20000 --reuse --background
    .venv/bin/python benchmarks/export.py --cases 20000 --db postgres

At once: the request runs in this process through Django's test client and the real view (the
background threshold raised for it), so the time covers the scope check, the queries, the workbook
and reading the whole response; the server's HTTP layer is left out. Peak memory is reported to show
that the export streams rather than holds the rows.

--background: the request queues the job (default threshold), then `pingan worker --batch` runs as a
child process and is timed from start to exit (Python and Django start-up included); the job's own
time is from the worker claiming it to the file being complete. Peak RSS is the worker's.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from run import PY, env_for, pingan, prepare


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def dispatcher_client(username: str):
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
    django.setup()
    from django.test import Client

    from pingan.accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    user = User.objects.get(username=username)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def time_export(username: str, rounds: int) -> list[dict]:
    client = dispatcher_client(username)
    from pingan.audit.models import AuditEntry

    results = []
    for _ in range(rounds):
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        response = client.post("/exports/ledger/")
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


def time_background(username: str, rounds: int, env: dict) -> list[dict]:
    client = dispatcher_client(username)
    from django.core.files.storage import default_storage

    from pingan.exports.models import ExportJob

    results = []
    for _ in range(rounds):
        ExportJob.objects.filter(status__in=["queued", "running"]).delete()
        started = time.perf_counter()
        response = client.post("/exports/ledger/")
        queued = time.perf_counter() - started
        assert response.status_code == 302, response.status_code
        job_id = int(response["Location"].strip("/").split("/")[-1])
        worker_started = time.perf_counter()
        worker = subprocess.Popen([PY, "-m", "pingan", "worker", "--batch"], env=env)
        _, status, usage = os.wait4(worker.pid, 0)
        worker_seconds = time.perf_counter() - worker_started
        assert status == 0, status
        job = ExportJob.objects.get(pk=job_id)
        assert job.status == "done", job.status
        assert job.started_at and job.finished_at
        result = {
            "user": username,
            "mode": "background",
            "rows": job.rows_done,
            "request_seconds": round(queued, 2),
            "job_seconds": round((job.finished_at - job.started_at).total_seconds(), 2),
            "worker_seconds": round(worker_seconds, 2),
            "file_mb": round(Path(default_storage.path(job.file)).stat().st_size / 1024 / 1024, 1),
            "worker_peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
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
    ap.add_argument("--background", action="store_true", help="through a job and `pingan worker`")
    args = ap.parse_args()
    env = env_for(args.db, args.cases, prefix="export_")
    if not args.reuse or not Path(env["PINGAN_VAR"]).exists():
        print(f"seeded {args.cases} cases in {prepare(args.db, args.cases, env):.1f} s", flush=True)
        analyze = "VACUUM ANALYZE" if args.db == "postgres" else "ANALYZE"
        sql = f"from django.db import connection; connection.cursor().execute('{analyze}')"
        pingan(env, "shell", "-c", sql)
    os.environ.clear()
    os.environ.update(env)
    if args.background:
        print(f"background export of the whole ledger, {args.db}, {args.cases} cases:", flush=True)
        time_background(args.user, args.rounds, env)
    else:
        os.environ["PINGAN_EXPORT_BACKGROUND_ROWS"] = str(args.cases + 1)  # all of it during the request
        print(f"export of the whole ledger, {args.db}, {args.cases} cases:", flush=True)
        time_export(args.user, args.rounds)


if __name__ == "__main__":
    sys.exit(main())
