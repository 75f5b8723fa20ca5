"""Time the ledger list over HTTP against the real server, as run.py's "list" scenario does, for three
readers: the county's dispatcher filtering one town (`status=in_progress,dispatched&region=<town>`,
run.py's scenario), the dispatcher's whole ledger (no filter), the demo town handler's ledger (吴承办,
the first town's units) and a town's own dispatcher (a dispatcher grant on one town, whose scope is
the town's subtree). Each with 1 client and with 8. Reuses a seeded data set (no seeding here).

    .venv/bin/python benchmarks/ledger.py --cases 1000000 --db sqlite      # benchmarks/var/sqlite-1000000
    .venv/bin/python benchmarks/ledger.py --cases 1000000 --db postgres --data-set shared
"""

import argparse
import json
import random
import subprocess
import time

from run import DATA_SET_HELP, PORT, PY, Client, data_set_prefix, env_for, measure, pingan, wait_for_server

TOWN_DISPATCHER = "bench_town_dispatcher"

# Created once per data set through the accounts actions, as an administrator would.
MAKE_TOWN_DISPATCHER = f"""
from pingan.accounts.actions import create_user, grant_role
from pingan.accounts.models import User
from pingan.regions.models import Region
town = Region.objects.filter(level="town").order_by("code").first()
admin = User.objects.get(username="admin")
if not User.objects.filter(username="{TOWN_DISPATCHER}").exists():
    user = create_user(username="{TOWN_DISPATCHER}", password=None, by=admin, full_name="乡镇受理（压测）")
    grant_role(user, "dispatcher", region=town, by=admin)
"""


def scenarios(clients: dict[str, Client], args) -> list[dict]:
    dispatcher = clients["dispatcher"]
    _, raw = dispatcher.request("GET", "/regions?parent=990122")
    towns = [t["code"] for t in json.loads(raw)["items"]]
    rnd = random.Random(1)

    def town_list(i):
        path = f"/cases?status=in_progress,dispatched&region={rnd.choice(towns)}&limit=50"
        return dispatcher.request("GET", path)[0] == 200

    def whole(name):
        return lambda i: clients[name].request("GET", "/cases?limit=50")[0] == 200

    readers = {
        "list (town filter)": town_list,
        "county dispatcher": whole("dispatcher"),
        "town handler": whole("handler"),
        "town dispatcher": whole(TOWN_DISPATCHER),
    }
    results = []
    for name, fn in list(readers.items())[: args.readers]:
        fn(0)  # one untimed request: the worker's first statement and page cache
        results.append(measure(name, fn, args.single, 1))
        results.append(measure(name, fn, args.many, args.concurrency))
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--data-set", default="shared", help=DATA_SET_HELP)
    ap.add_argument("--single", type=int, default=200, help="requests with one client")
    ap.add_argument("--many", type=int, default=400, help="requests with --concurrency clients")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--readers", type=int, default=4, help="the first N readers only (1: the town filter)")
    args = ap.parse_args()
    env = env_for(args.db, args.cases, data_set_prefix(args.data_set))
    pingan(env, "migrate", "-v", "0")
    # Fresh statistics, as run.py takes them before its scenarios (a new index has none).
    analyze = "VACUUM ANALYZE" if args.db == "postgres" else "ANALYZE"
    pingan(env, "shell", "-c", f"from django.db import connection; connection.cursor().execute('{analyze}')")
    pingan(env, "shell", "-c", MAKE_TOWN_DISPATCHER)
    users = ("dispatcher", "handler", TOWN_DISPATCHER)
    clients = {u: Client(pingan(env, "create_token", u, capture=True).strip()) for u in users}
    server = subprocess.Popen(
        [PY, "-m", "pingan", "serve", "--port", str(PORT), "--workers", str(args.workers)], env=env
    )
    report: dict = {"db": args.db, "cases": args.cases, "at": time.strftime("%Y-%m-%d %H:%M")}
    try:
        wait_for_server()
        report["scenarios"] = scenarios(clients, args)
    finally:
        server.terminate()
        server.wait(30)
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
