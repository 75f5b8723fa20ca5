"""The replica router (pingan.core.replica) without a real replica: which reads it sends where, and how it
gives up on a replica it cannot reach. A real streaming replica: tests/test_replica.py."""

import logging
import time
from datetime import date

import pytest
from django.contrib.sessions.models import Session
from django.core.cache.backends.db import DatabaseCache
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction

from pingan.accounts.models import User
from pingan.analytics import selectors as rollups
from pingan.cases.models import Case
from pingan.core import replica
from pingan.core.replica import REPLICA, ReplicaRouter, reading_from_primary, reading_from_replica
from pingan.settings import database_from_url

from .realserver import free_port

ROUTER = ReplicaRouter()
CACHE_ENTRY = DatabaseCache("pingan_cache", {}).cache_model_class


@pytest.fixture(autouse=True)
def replica_never_failed(monkeypatch):
    """Each test starts with a replica that has not failed yet, and leaves none marked as failed."""
    monkeypatch.setattr(replica, "_down_until", 0.0)


@pytest.fixture
def replica_answers(monkeypatch):
    """A replica that is configured and answers, outside any transaction: the router's decisions only."""
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "_replica_answers", lambda: True)
    monkeypatch.setattr(replica, "in_transaction", lambda: False)


@pytest.fixture
def unreachable_replica(monkeypatch):
    """A `replica` database on a loopback port nobody listens on (a stopped replica)."""
    settings = database_from_url(f"postgres://postgres@127.0.0.1:{free_port()}/pingan")
    settings["OPTIONS"]["connect_timeout"] = 1
    both = {DEFAULT_DB_ALIAS: dict(connections.settings[DEFAULT_DB_ALIAS]), REPLICA: settings}
    connections.settings[REPLICA] = connections.configure_settings(both)[REPLICA]
    connects = []
    conn = connections[REPLICA]
    real_connect = conn.get_new_connection

    def counted(params):
        connects.append(params["port"])
        return real_connect(params)

    def ensure_connection():  # Django's own, which the test runner forbids for databases not under test
        if conn.connection is None:
            with conn.wrap_database_errors:
                conn.connect()

    monkeypatch.setattr(conn, "get_new_connection", counted)
    monkeypatch.setattr(conn, "ensure_connection", ensure_connection)
    yield connects
    conn.close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def replica_is_default(replica_answers):
    """A `replica` alias that is the test database's own connection, as Django's test mirrors are: queries
    routed there run in the test's transaction, and the rows read say where they were routed."""
    connections.settings[REPLICA] = connections.settings[DEFAULT_DB_ALIAS]
    connections[REPLICA] = connections[DEFAULT_DB_ALIAS]
    yield
    del connections[REPLICA]
    del connections.settings[REPLICA]


def test_without_a_replica_the_router_leaves_every_read_and_write_to_django(monkeypatch):
    monkeypatch.delitem(connections.settings, REPLICA, raising=False)
    assert not replica.configured()
    for block in (reading_from_primary(), reading_from_replica()):
        with block:
            assert ROUTER.db_for_read(Case) is None
            assert ROUTER.db_for_write(Case) is None
    assert ROUTER.allow_migrate(DEFAULT_DB_ALIAS, "cases") is None


def test_reads_inside_the_block_go_to_the_replica_and_everything_else_to_the_primary(replica_answers):
    assert ROUTER.db_for_read(Case) == DEFAULT_DB_ALIAS
    with reading_from_replica():
        assert ROUTER.db_for_read(Case) == REPLICA
        assert ROUTER.db_for_write(Case) == DEFAULT_DB_ALIAS
        # Users and grants, sessions and the cache table (the rollups' generation) stay exact.
        for model in (User, Session, CACHE_ENTRY):
            assert ROUTER.db_for_read(model) == DEFAULT_DB_ALIAS
        with reading_from_primary():
            assert ROUTER.db_for_read(Case) == DEFAULT_DB_ALIAS
        with reading_from_replica():  # nested: still the replica, until the outer block ends
            assert ROUTER.db_for_read(Case) == REPLICA
        assert ROUTER.db_for_read(Case) == REPLICA
    assert ROUTER.db_for_read(Case) == DEFAULT_DB_ALIAS


@pytest.mark.django_db
def test_reads_in_a_transaction_on_the_primary_stay_there(monkeypatch):
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "_replica_answers", lambda: True)
    with reading_from_replica(), transaction.atomic():
        assert replica.in_transaction()
        assert ROUTER.db_for_read(Case) == DEFAULT_DB_ALIAS


def test_the_replica_is_never_migrated_and_its_rows_relate_to_the_primarys(replica_answers):
    assert ROUTER.allow_migrate(REPLICA, "cases") is False
    assert ROUTER.allow_migrate(DEFAULT_DB_ALIAS, "cases") is None
    read, written = Case(), Case()
    read._state.db, written._state.db = REPLICA, DEFAULT_DB_ALIAS
    assert ROUTER.allow_relation(read, written) is True


def test_an_unreachable_replica_is_read_around_and_left_alone_for_a_while(unreachable_replica, caplog):
    caplog.set_level(logging.WARNING, logger="pingan.core.replica")
    with reading_from_replica():
        assert ROUTER.db_for_read(Case) == DEFAULT_DB_ALIAS
        assert ROUTER.db_for_read(Case) == DEFAULT_DB_ALIAS  # asked once per block
    assert len(unreachable_replica) == 1
    assert caplog.records[0].message.startswith("read replica unavailable")
    assert replica.RETRY_SECONDS - 2 < replica._down_until - time.monotonic() <= replica.RETRY_SECONDS
    with reading_from_replica():  # within the retry window: not even tried
        assert ROUTER.db_for_read(Case) == DEFAULT_DB_ALIAS
    assert len(unreachable_replica) == 1 and len(caplog.records) == 1
    replica._down_until = time.monotonic() - 1  # the window has passed: tried again
    with reading_from_replica():
        assert ROUTER.db_for_read(Case) == DEFAULT_DB_ALIAS
    assert len(unreachable_replica) == 2 and len(caplog.records) == 2


def test_a_function_the_replica_fails_in_runs_again_on_the_primary(unreachable_replica, monkeypatch, caplog):
    monkeypatch.setattr(replica, "_replica_answers", lambda: True)
    caplog.set_level(logging.WARNING, logger="pingan.core.replica")
    routes = []

    @reading_from_replica()
    def figures():
        routes.append(ROUTER.db_for_read(Case))
        if len(routes) == 1:
            connections[REPLICA].errors_occurred = True  # as Django marks a connection a query failed on
            raise OperationalError("server closed the connection unexpectedly")
        return "figures"

    assert figures() == "figures"
    assert routes == [REPLICA, DEFAULT_DB_ALIAS]
    assert "server closed the connection unexpectedly" in caplog.records[0].message
    assert replica._down_until > time.monotonic()


def test_a_database_error_not_from_the_replica_is_raised_as_it_is(unreachable_replica, monkeypatch):
    monkeypatch.setattr(replica, "_replica_answers", lambda: True)
    calls = []

    @reading_from_replica()
    def figures():
        calls.append(ROUTER.db_for_read(Case))
        raise OperationalError("canceling statement due to statement timeout")  # on the primary

    with pytest.raises(OperationalError):
        figures()
    assert calls == [REPLICA]
    assert replica._down_until == 0.0


@pytest.mark.django_db
def test_kept_sums_are_computed_from_the_primary(county, replica_is_default, monkeypatch):
    """A kept sum is kept under the generation current when it was read; a replica behind the primary
    could miss counters written before that generation began, and the sum would stay wrong for days."""
    routes = []
    real = ReplicaRouter.db_for_read

    def spy(self, model, **hints):
        routes.append((model.__name__, real(self, model, **hints)))
        return routes[-1][1]

    monkeypatch.setattr(ReplicaRouter, "db_for_read", spy)
    with reading_from_replica():
        rollups.sums(rollups.Where(region=county.code), date(2025, 1, 1), date(2025, 3, 31))
    assert ("MonthlyCount", DEFAULT_DB_ALIAS) in routes
    assert {alias for name, alias in routes if name == "MonthlyCount"} == {DEFAULT_DB_ALIAS}
    assert ("StockNet", REPLICA) in routes  # the standing stocks are not kept: read from the replica
