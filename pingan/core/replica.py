"""Reads from a PostgreSQL streaming replica (DESIGN §9), for the code that asks for it.

With DATABASE_REPLICA_URL set, the settings add a database `replica`. Only reads made inside
`reading_from_replica()` go there: the leader cockpit, the KPI API, the drafting of reports and ledger
exports, which read many rows, write none, and may lag the primary by the replica's replay delay (well
under a second on a local network). Everything else reads from the primary, and so do, even inside:

- every write, and every read in a transaction on the primary (an action's checks, `select_for_update`,
  the audit chain): they must see what they lock and write;
- the tables in PRIMARY_APPS: users, grants and tokens (a grant revoked or an account disabled holds at
  once, on every page), sessions, the login lockout and second-factor tables, and the cache table,
  which holds the rollups' generation number and their kept sums (pingan.analytics.kept: a kept sum
  must never be older than its generation);
- reads inside `reading_from_primary()`: the counters a kept sum is computed from
  (pingan.analytics.selectors), for the same reason.

A replica that cannot be reached is left alone for RETRY_SECONDS, with a warning in the log, and its
reads go to the primary meanwhile; a decorated function that the replica fails in the middle of runs
once more, on the primary. Without a replica (SQLite, or no DATABASE_REPLICA_URL) the router is inert.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
RETRY_SECONDS = 30.0
PRIMARY_APPS = frozenset({"accounts", "auth", "sessions", "axes", "otp_totp", "django_cache"})

F = TypeVar("F", bound=Callable[..., Any])


class _Block:
    """One outermost `reading_from_replica()`: whether the replica answered, asked at its first read."""

    replica: bool | None = None


_reading: ContextVar[_Block | None] = ContextVar("pingan_replica_reads", default=None)
# Until when (time.monotonic) the replica is not tried again in this process.
_down_until = 0.0


def configured() -> bool:
    return REPLICA in connections.settings


def in_transaction() -> bool:
    return connections[DEFAULT_DB_ALIAS].in_atomic_block


def _give_up(exc: DatabaseError) -> None:
    global _down_until
    _down_until = time.monotonic() + RETRY_SECONDS
    connections[REPLICA].close()
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    logger.warning(
        "read replica unavailable (%s); reading from the primary for %.0f s",
        reason,
        RETRY_SECONDS,
    )


def _replica_answers() -> bool:
    """Whether the replica takes reads now: a kept connection is checked (as Django checks one at the
    start of a request), a new one made; a failure keeps the replica out for RETRY_SECONDS."""
    if time.monotonic() < _down_until:
        return False
    conn = connections[REPLICA]
    try:
        conn.close_if_unusable_or_obsolete()
        conn.close_if_health_check_failed()
        conn.ensure_connection()
    except DatabaseError as exc:
        _give_up(exc)
        return False
    return True


class ReplicaRouter:
    """Django's database router: the replica for reads inside `reading_from_replica()` (see above)."""

    def db_for_read(self, model, **hints) -> str | None:
        if not configured():
            return None
        block = _reading.get()
        if block is None or model._meta.app_label in PRIMARY_APPS or in_transaction():
            return DEFAULT_DB_ALIAS
        if block.replica is None:
            block.replica = _replica_answers()
        return REPLICA if block.replica else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str | None:
        # Named even for an object read from the replica, which Django would otherwise save back there.
        return DEFAULT_DB_ALIAS if configured() else None

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        if configured() and {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True  # the same rows, whichever copy they were read from
        return None

    def allow_migrate(self, db, app_label, **hints) -> bool | None:
        return False if db == REPLICA else None


class reading_from_replica:  # named as a function: it is used like one (like transaction.atomic)
    """`with reading_from_replica():` or `@reading_from_replica()`: reads inside may come from the replica.
    As a decorator it also runs the function once more on the primary if the replica fails in it."""

    def __enter__(self) -> None:
        self._token = _reading.set(_reading.get() or _Block())

    def __exit__(self, *exc_info) -> None:
        _reading.reset(self._token)

    def __call__(self, func: F) -> F:
        @wraps(func)
        def reading(*args, **kwargs):
            with reading_from_replica():
                block = _reading.get()
                try:
                    return func(*args, **kwargs)
                except DatabaseError as exc:
                    if not (block and block.replica and connections[REPLICA].errors_occurred):
                        raise
                    _give_up(exc)
            with reading_from_primary():
                return func(*args, **kwargs)

        return reading  # type: ignore[return-value]


@contextmanager
def reading_from_primary() -> Iterator[None]:
    """Reads inside come from the primary, even within `reading_from_replica()`."""
    token = _reading.set(None)
    try:
        yield
    finally:
        _reading.reset(token)
