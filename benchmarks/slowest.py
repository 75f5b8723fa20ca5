"""Where one page's time goes: request a path as a user on an existing data set, once to warm what is kept,
then again with every SQL statement timed, and print the slowest statements and the share of the request
spent outside SQL.

    .venv/bin/python benchmarks/slowest.py --cases 1000000 --db postgres --data-set shared /cockpit/
    .venv/bin/python benchmarks/slowest.py --cases 1000000 --db postgres --data-set shared /cockpit/ \\
        --param region=331002101 --user leader --top 15
"""

import argparse
import os
import time

from run import DATA_SET_HELP, data_set_prefix, env_for


def profile(path: str, params: dict, username: str, top: int, cold: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from pingan.accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(
        User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend"
    )
    if cold:
        cache.clear()
    else:
        client.get(path, params)  # what the page keeps is kept now
    timed: list[tuple[float, str]] = []

    def timing(execute, sql, sql_params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, sql_params, many, context)
        finally:
            timed.append((time.perf_counter() - t, sql))

    t = time.perf_counter()
    with connection.execute_wrapper(timing):
        response = client.get(path, params)
    total = time.perf_counter() - t
    sql = sum(s for s, _ in timed)
    print(f"{path} {params} as {username}: HTTP {response.status_code}, {total * 1000:.0f} ms")
    print(f"{len(timed)} statements, {sql * 1000:.0f} ms in SQL, {(total - sql) * 1000:.0f} ms outside")
    for seconds, statement in sorted(timed, reverse=True)[:top]:
        print(f"{seconds * 1000:8.1f} ms  {statement[:400]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--cases", type=int, default=20_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--data-set", metavar="NAME", default="shared", help=DATA_SET_HELP)
    ap.add_argument("--param", action="append", default=[], help="name=value, repeatable")
    ap.add_argument("--user", default="leader")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--cold", action="store_true", help="clear the cache first instead of warming it")
    args = ap.parse_args()
    env = env_for(args.db, args.cases, prefix=data_set_prefix(args.data_set))
    os.environ.clear()
    os.environ.update(env)
    params = dict(p.split("=", 1) for p in args.param)
    profile(args.path, params, args.user, args.top, args.cold)


if __name__ == "__main__":
    main()
