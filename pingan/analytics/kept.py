"""The flow sums of ended months, kept in the cache.

A month's counters stop changing once it has ended, except when an event dated in it is written later
(a back-dated import, the demo's history) or the rollups are rebuilt. Both bump a generation number,
on commit, and sums are kept under the generation that was current when they were read. So a kept sum
is never older than the counters, and a year's figures read twelve kept months instead of a year of
counter rows.
"""

import time
from datetime import date

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

GENERATION = "rollups:generation"
KEEP_SECONDS = 7 * 86400


def generation() -> int:
    """The current generation. One evicted from the cache comes back as a new number (the clock), never
    as an earlier one, so sums kept under an old generation are never read again."""
    found = cache.get(GENERATION)
    if found is None:
        cache.add(GENERATION, time.time_ns(), None)
        found = cache.get(GENERATION)
    return found or 0


def _bump() -> None:
    try:
        cache.incr(GENERATION)
    except ValueError:  # gone from the cache: a fresh number
        cache.set(GENERATION, time.time_ns(), None)


def written_into(first_day: date) -> None:
    """Counters from `first_day` on were written: if that is before this month, the kept sums of the
    ended months are stale."""
    if first_day < this_month():
        _stale()


def rebuilt() -> None:
    _stale()


def _stale() -> None:
    # Now, for what this transaction reads next (the database cache commits it with the counters), and
    # again once committed: a sum read by another process between the two is never used.
    _bump()
    transaction.on_commit(_bump)


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def key(gen: int, scope: tuple, month: date) -> str:
    return "rollups:flows:" + ":".join(str(part) for part in (gen, *scope, f"{month:%Y-%m}"))
