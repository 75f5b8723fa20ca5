"""A town's ledger at 1M cases (issue 14 part 6): SQLite reads the town's cases in the asked statuses
from its (status, region) index (cases migration 0014); the query stays the same on both databases."""

from contextlib import contextmanager

import pytest
from django.db import connection

from pingan.accounts.actions import create_user, grant_role
from pingan.cases import actions
from pingan.cases.models import Case
from pingan.cases.selectors import CaseFilter, case_page
from pingan.regions.models import subtree_q

from .conftest import case_body

# sqlite_stat1 of a 1M-case county after ANALYZE (the synthetic set of benchmarks/scale_sqlite.py, with the
# index): the statistics under which SQLite scanned the region table, read the town through the region
# index and sorted it, as it did on the seeded 1M set of RESULTS.md.
STATS_1M = {
    "cases_case": {
        "case_status_check_due": "1003202 91201 30401",
        "case_status_sign_due": "1003202 91201 23886",
        "case_status_accept_due": "1003202 91201 454",
        "case_status_resolve_due": "1003202 91201 747",
        "case_supervised_open": "12856 6428 330",
        "case_closed_at": "1003202 341",
        "case_reported_at": "1003202 320",
        "case_created_at": "1003202 314",
        "case_unit_status": "1003202 27114 6390",
        "case_stream_status": "1003202 143315 15434",
        "case_status_id": "1003202 91201 1",
        "case_region_id": "1003202 1288 1",
        "case_status_region": "1003202 91201 651",
        "cases_case_merged_into_id_1b4320d8": "1003202 13029",
        "cases_case_category_id_c6dc5a5a": "1003202 18929",
        "cases_case_responsible_leader_id_ecd4ae6d": "1003202 501601",
        "cases_case_reported_by_id_cd03598d": "1003202 200641",
        "cases_case_region_id_ffee331b": "1003202 1288",
        "cases_case_lead_unit_id_fb1941ea": "1003202 27114",
        "cases_case_handler_id_21cefe0d": "1003202 334401",
        "sqlite_autoindex_cases_case_1": "1003202 1",
    },
    "regions_region": {
        "regions_region_parent_id_62e983aa": "829 4",
        "sqlite_autoindex_regions_region_1": "829 1",
    },
}


def _ledger_sql(user, f: CaseFilter) -> tuple[str, list]:
    """The statement that reads a ledger page's rows."""
    statements: list[tuple[str, list]] = []

    def keep(execute, sql, params, many, context):
        statements.append((sql, list(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        case_page(user, f)
    return next((sql, params) for sql, params in statements if "LIMIT" in sql and "cases_case" in sql)


@contextmanager
def statistics_of_1m():
    """SQLite's planner sees the statistics of a 1M county instead of this test's few rows."""
    with connection.cursor() as c:
        c.execute("ANALYZE")  # creates sqlite_stat1
        c.execute("DELETE FROM sqlite_stat1")
        for table, rows in STATS_1M.items():
            for index, stat in rows.items():
                c.execute("INSERT INTO sqlite_stat1 VALUES (%s, %s, %s)", [table, index, stat])
        c.execute("ANALYZE sqlite_master")  # the planner reads sqlite_stat1 again
        try:
            yield
        finally:
            c.execute("DELETE FROM sqlite_stat1")
            c.execute("ANALYZE sqlite_master")


def plan_of(sql: str, params: list) -> list[str]:
    with connection.cursor() as c:
        c.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [row[3] for row in c.fetchall()]


@pytest.fixture
def town_cases(county):
    d = county.users["dispatcher"]
    for town in county.towns[:2]:
        village = county.villages[town.code][0]
        case = actions.accept_case(actions.create_case(d, case_body(county, region=village.code)), by=d)
        actions.dispatch_case(case, by=d, lead_unit=county.town_unit(town, "centre"))
    return county


def test_the_status_region_index_is_sqlites_alone(db):
    with connection.cursor() as c:
        indexes = connection.introspection.get_constraints(c, "cases_case")
    assert ("case_status_region" in indexes) == (connection.vendor == "sqlite")


def test_a_town_stays_a_prefix_match_on_both_databases(county):
    """PostgreSQL walks the newest rows for a prefix match; so does SQLite for a town's own dispatcher."""
    town = county.towns[0].code
    for code, like in ((county.code, True), (town, True), (county.villages[town][0].code, False)):
        sql, _ = Case.objects.filter(subtree_q("region", code)).query.sql_with_params()
        assert ("LIKE" in sql) == like, code


def test_the_town_ledger_lists_the_town_and_on_sqlite_at_1m_reads_the_status_region_index(town_cases):
    county, town = town_cases, town_cases.towns[0].code
    f = CaseFilter(status="in_progress,dispatched", region=town)
    if connection.vendor == "sqlite":  # the index and its plan are SQLite's; PostgreSQL's query is the same
        sql, params = _ledger_sql(county.users["dispatcher"], f)
        with statistics_of_1m():
            plan = plan_of(sql, params)
        # Without the index: SEARCH cases_case USING INDEX cases_case_region_id_… (region_id=?), the town.
        assert "SEARCH cases_case USING INDEX case_status_region (status=? AND region_id=?)" in plan, plan
    rows, _ = case_page(county.users["dispatcher"], f)
    assert [row["region__code"][:9] for row in rows] == [town]


def test_a_town_dispatchers_whole_ledger_is_the_town_and_on_sqlite_at_1m_walks_the_newest_rows(town_cases):
    county, town = town_cases, town_cases.towns[0]
    admin = county.users["admin"]
    user = create_user(username="town_dispatcher", password=None, by=admin)
    grant_role(user, "dispatcher", region=town, by=admin)
    if connection.vendor == "sqlite":
        sql, params = _ledger_sql(user, CaseFilter())
        with statistics_of_1m():
            plan = plan_of(sql, params)
        # A range for the town would read it through the region index and sort it (1.5 s at 1M).
        assert plan[0] == "SCAN cases_case" and "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
    rows, _ = case_page(user, CaseFilter())
    assert [row["region__code"][:9] for row in rows] == [town.code]
