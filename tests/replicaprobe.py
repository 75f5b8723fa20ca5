"""Pingan against a primary and its streaming replica, in a process of its own (run by
tests/test_replica.py, which starts both clusters): `python -m tests.replicaprobe` with DATABASE_URL and
DATABASE_REPLICA_URL set, and PINGAN_PROBE_STOP_REPLICA a JSON command line that stops the replica.

It migrates the primary, builds a small county, then pauses the replica's replay, writes on the primary
and reads through the routed pages; resumes; stops the replica and reads again. It prints what it saw
as one JSON object on its last line; the test judges it."""

import json
import logging
import os
import subprocess
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

from django.contrib.auth.backends import ModelBackend  # noqa: E402  (after django.setup)
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from pingan.assessment import selectors as kpi_selectors  # noqa: E402
from pingan.cases.selectors import CaseFilter  # noqa: E402
from pingan.core.periods import period_of  # noqa: E402
from pingan.demo.county import build_county, create_role_users  # noqa: E402
from pingan.exports.jobs import export_or_queue  # noqa: E402
from pingan.exports.ledger import LedgerFile  # noqa: E402
from pingan.reports.actions import generate  # noqa: E402
from pingan.reports.models import Report  # noqa: E402
from tests.conftest import PASSWORD, Api, case_body  # noqa: E402


class Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class Sent:
    """An execute wrapper that notes the SQL a connection sends (or tries to)."""

    def __init__(self, into: list[str]) -> None:
        self.into = into

    def __call__(self, execute, sql, params, many, context):
        self.into.append(sql)
        return execute(sql, params, many, context)


def sql(alias: str, query: str, params=()):
    """One value, straight from the named server (not through the router)."""
    with connections[alias].cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()[0]


def caught_up() -> None:
    """Wait until the replica has replayed everything the primary has written."""
    lsn = sql("default", "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + 20
    while sql("replica", "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s::pg_lsn)", [lsn]) < 0:
        if time.monotonic() > deadline:
            raise SystemExit("the replica did not catch up within 20 s")
        time.sleep(0.05)


class Probe:
    def __init__(self) -> None:
        county = create_role_users(build_county(towns=2, villages_per_town=1, grids_per_village=1), PASSWORD)
        self.county = county
        self.leader = county.users["leader"]
        self.dispatcher = Api(county.users["dispatcher"])
        self.leader_api = Api(self.leader)
        self.web = Client()
        self.web.force_login(self.leader, backend=f"{ModelBackend.__module__}.{ModelBackend.__name__}")
        self.month = period_of("month", timezone.localdate())

    def new_case(self) -> int:
        status, _ = self.dispatcher.post("/cases", case_body(self.county))
        return status

    def kpi(self) -> dict:
        """登记量 of this month from the KPI API, with the queries it sent to each database."""
        sent: dict[str, list[str]] = {"default": [], "replica": []}
        with (
            connections["default"].execute_wrapper(Sent(sent["default"])),
            connections["replica"].execute_wrapper(Sent(sent["replica"])),
        ):
            status, body = self.leader_api.get("/kpis", period=self.month.key, region=self.county.code)
        return {
            "status": status,
            "reported": body.get("values", {}).get("reported"),
            "replica_queries": len(sent["replica"]),
            "replica_reads_counters": any("analytics_" in q for q in sent["replica"]),
            "default_queries": len(sent["default"]),
        }

    def breakdown(self) -> int:
        status, body = self.leader_api.get("/kpis/breakdown", period=self.month.key, region=self.county.code)
        assert status == 200, body
        return sum(row["values"]["reported"] for row in body["rows"])

    def cockpit(self) -> dict:
        """登记量 of this month on the cockpit page."""
        response = self.web.get("/cockpit/")
        if response.status_code != 200:
            return {"status": response.status_code}
        month = next(row for row in response.context["periods"] if row["kind"] == "month")
        return {"status": 200, "reported": month["counts"][0]["now"].value}

    def ledger(self) -> int:
        """The leader's ledger, which is not routed: it reads the primary."""
        status, body = self.leader_api.get("/cases", with_total="true")
        assert status == 200, body
        return body["total"]

    def report(self) -> int:
        """本月登记 (合计) of a draft 月通报 made now; its Report row is written to the primary."""
        report = generate("monthly", self.month.key, self.county.code, by=None)
        tables = [b for s in report.document["sections"] for b in s["blocks"] if b["type"] == "table"]
        return next(row[1] for t in tables for row in t["rows"] if row and row[0] == "合计")

    def export(self) -> int:
        written = export_or_queue(self.leader, CaseFilter())
        assert isinstance(written, LedgerFile)
        written.file.close()
        return written.rows

    def routed(self) -> dict:
        return {
            "kpi": self.kpi(),
            "breakdown": self.breakdown(),
            "cockpit": self.cockpit(),
            "export": self.export(),
            "ledger": self.ledger(),
            "kpi_from_primary": kpi_selectors.kpis(
                self.leader, period=self.month.key, region=self.county.code
            )["values"]["reported"],
        }


def main() -> None:
    setup_test_environment()  # the test client's host name, and response.context
    warnings = Warnings()
    logging.getLogger("pingan.core.replica").addHandler(warnings)
    seen: dict = {}
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    probe = Probe()
    probe.new_case()
    probe.new_case()
    caught_up()
    seen["setup_seconds"] = round(time.monotonic() - started, 1)
    seen["caught_up"] = probe.routed()

    sql("replica", "SELECT pg_wal_replay_pause()")
    while sql("replica", "SELECT pg_get_wal_replay_pause_state()") != "paused":
        time.sleep(0.05)
    seen["paused_write_status"] = probe.new_case()
    seen["cases_on_primary"] = sql("default", "SELECT count(*) FROM cases_case")
    seen["cases_on_replica"] = sql("replica", "SELECT count(*) FROM cases_case")
    seen["paused"] = probe.routed() | {"report": probe.report()}
    seen["reports_on_replica"] = sql("replica", "SELECT count(*) FROM reports_report")
    seen["reports_on_primary"] = Report.objects.count()

    sql("replica", "SELECT pg_wal_replay_resume()")
    caught_up()
    seen["resumed"] = probe.routed() | {"report": probe.report()}

    stop = json.loads(os.environ["PINGAN_PROBE_STOP_REPLICA"])
    subprocess.run(stop, check=True, capture_output=True)  # noqa: S603  (the test's own pg_ctl command)
    began = time.monotonic()
    seen["stopped"] = probe.routed() | {"report": probe.report()}
    seen["stopped_seconds"] = round(time.monotonic() - began, 2)
    seen["stopped_write_status"] = probe.new_case()
    seen["stopped_again"] = {"kpi": probe.kpi(), "cockpit": probe.cockpit()}
    seen["warnings"] = warnings.messages
    print(json.dumps(seen, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
