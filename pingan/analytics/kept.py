"""The flow sums of ended months and days, kept in the cache.

Flows are counted on the local day of their event, so a day's counters stop changing once it has ended,
except when an event dated in it is written later (a back-dated import, the demo's history) or the
rollups are rebuilt. Both bump a generation number, on commit, and sums are kept under the generation
that was current when they were read. So a kept sum is never older than the counters: a year's figures
read twelve kept months, and a week or a month under way reads today's counter rows and the kept sums of
its other days.
"""

import time
from datetime import date, timedelta

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


# A day is kept only a while after it ends: an event written just before midnight may commit just after.
GRACE = timedelta(minutes=5)


def written_into(first_day: date) -> None:
    """Counters from `first_day` on were written: if that is before today, kept sums are stale."""
    if first_day < timezone.localdate():
        _stale()


def rebuilt() -> None:
    _stale()


def _stale() -> None:
    # Now, for what this transaction reads next (the database cache commits it with the counters), and
    # again once committed: a sum read by another process between the two is never used.
    _bump()
    transaction.on_commit(_bump)


def today() -> date:
    """The first day that is not kept: days before it have ended (and their grace passed)."""
    return timezone.localtime(timezone.now() - GRACE).date()


def this_month() -> date:
    """The first month that is not kept."""
    return today().replace(day=1)


def key(gen: int, scope: tuple, span: str) -> str:
    return "rollups:flows:" + ":".join(str(part) for part in (gen, *scope, span))
