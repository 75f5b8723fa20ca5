"""Short-lived, per-process memory of rows that every request reads again: a user's grants, a token,
categories, regions, time-limit rules (issue 14, intake throughput).

Each server process keeps what it read for `PINGAN_MEMO_SECONDS` (default 5 s). A change saved or deleted
through the ORM in a process makes that process forget the whole memo at once (and again on commit); the
other processes see the change when their copy expires, within those seconds. So a revoked grant or
token, a deactivated user, a new time-limit rule or a retired category takes effect everywhere within
`PINGAN_MEMO_SECONDS`. Set it to 0 to read every row afresh (the test suite does, except where a test
turns it on).
"""

from collections.abc import Callable, Hashable
from time import monotonic
from typing import Generic, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")

# Past this many keys (users, regions…) the memo starts afresh rather than growing without bound.
MAX_KEYS = 10_000
MEMOS: list["Memo"] = []


class Memo(Generic[T]):
    def __init__(self, name: str, *, forget_on: tuple[type, ...] = ()):
        self.name = name
        self._rows: dict[Hashable, tuple[float, T]] = {}
        MEMOS.append(self)
        for model in forget_on:
            for signal in (post_save, post_delete):
                signal.connect(self._changed, sender=model, weak=False, dispatch_uid=f"memo-{name}-{model}")

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The value kept for `key`, or `load()`, kept for the next requests unless it is None: a row
        not found is looked for again next time, so that one made meanwhile is seen at once."""
        seconds = settings.PINGAN_MEMO_SECONDS
        if seconds <= 0:
            return load()
        now = monotonic()
        kept = self._rows.get(key)
        if kept is not None and now - kept[0] < seconds:
            return kept[1]
        value = load()
        if value is None:
            return value
        if len(self._rows) >= MAX_KEYS:
            self._rows.clear()
        self._rows[key] = (now, value)
        return value

    def forget(self) -> None:
        self._rows.clear()

    def _changed(self, **_kwargs) -> None:
        # Now, for what this transaction reads next, and on commit, for what another thread of this
        # process may have read meanwhile from before the change.
        self.forget()
        transaction.on_commit(self.forget)


def forget_all() -> None:
    for memo in MEMOS:
        memo.forget()
