"""Seed N cases (or reuse a data set) and time the ledger's 关键词 search (`q`, pingan.cases.search):
`GET /api/v1/cases?q=…&with_total=true` (first page and total, as the ledger page shows both) and the
ledger page `/cases/?q=…`, for the county's dispatcher, in this process through Django's test client
(median and p95, and the queries of one request).

The queries: a phrase common in titles, one in descriptions only, a phrase found nowhere (the whole
index is read and no row is), a two-character word (no trigram: titles are scanned) and the tail of a
case number.

    .venv/bin/python benchmarks/search.py --cases 20000           # benchmarks/var/search_sqlite-20000
    .venv/bin/python benchmarks/search.py --cases 20000 --db postgres --reuse
    .venv/bin/python benchmarks/search.py --cases 1000000 --db postgres --data-set shared
    .venv/bin/python benchmarks/search.py --cases 1000000 --db postgres --data-set shared --read-only

`--read-only` leaves a shared data set as it is: no `migrate`, every PostgreSQL transaction read-only
(PGOPTIONS), and the dispatcher's session a signed cookie made here (signing in writes the audit
chain, the last login and a session row).
"""

import argparse
import json
import os
import time
from types import SimpleNamespace
from urllib.parse import quote

from run import DATA_SET_HELP, ROOT, data_set_prefix, env_for, pingan, prepare, time_page

PREFIX = "search_"
QUERIES = {
    "title phrase": "路灯损坏",
    "description phrase": "夜间出行不便",
    "no match": "无此内容的查询文字",
    "two characters": "漏水",
}


def time_search(rounds: int, read_only: bool = False) -> list[dict]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
    import django

    django.setup()
    from django.test import Client

    from pingan.accounts.models import User
    from pingan.cases.models import Case

    newest = Case.objects.order_by("-id").values_list("number", flat=True).first() or ""
    queries = {**QUERIES, "number tail": newest[-8:]}
    client = Client(HTTP_HOST="127.0.0.1")
    dispatcher = User.objects.get(username="dispatcher")
    if read_only:
        sign_in_without_writing(client, dispatcher)
    else:
        client.force_login(dispatcher, backend="django.contrib.auth.backends.ModelBackend")
    results = []
    for kind, q in queries.items():
        for url in (f"/api/v1/cases?q={quote(q)}&with_total=true", f"/cases/?q={quote(q)}"):
            first, timed = time_page(client, url, rounds)
            result = {
                "query": kind,
                "q": q,
                "page": url.split("?")[0],
                "total": first.json()["total"] if url.startswith("/api/") else None,
                **timed,
            }
            print(json.dumps(result, ensure_ascii=False), flush=True)
            results.append(result)
    return results


def sign_in_without_writing(client, user) -> None:
    """The session `force_login` would make, as a signed cookie, without its sign-in receivers."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from pingan.accounts.middleware import start_session

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    start_session(SimpleNamespace(session=session), enrolled=False)
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=20_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--reuse", action="store_true", help="skip seeding; reuse the database of an earlier run")
    ap.add_argument("--data-set", metavar="NAME", help=DATA_SET_HELP)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--read-only", action="store_true", help="no migrate, no write (see above)")
    args = ap.parse_args()
    prefix = PREFIX if args.data_set is None else data_set_prefix(args.data_set)
    env = env_for(args.db, args.cases, prefix=prefix)
    report: dict = {"db": args.db, "cases": args.cases, "data_set": prefix or "shared",
                    "at": time.strftime("%Y-%m-%d %H:%M")}  # fmt: skip
    if not args.reuse and args.data_set is None:
        report["seed_seconds"] = round(prepare(args.db, args.cases, env), 1)
        print(f"seeded {args.cases} cases in {report['seed_seconds']} s", flush=True)
    if args.read_only:
        env["PGOPTIONS"] = "-c default_transaction_read_only=on"
        report["read_only"] = True
    else:
        pingan(env, "migrate", "-v", "0")
    os.environ.clear()
    os.environ.update(env)
    report["search"] = time_search(args.requests, args.read_only)
    with open(ROOT / "benchmarks" / "results.jsonl", "a") as fh:
        fh.write(json.dumps(report, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
