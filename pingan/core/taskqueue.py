"""The task queue after a crash: a worker killed while running a task (kill -9, power loss) leaves the
task marked running for ever, and django-tasks-db never looks at it again. `pingan worker` puts such
tasks back on the queue when it starts; the tasks themselves are idempotent (the notices: one per
recipient and event), so running one again is safe."""

import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult


def worker_id() -> str:
    """Unique among live workers and says where the worker runs: host and process id."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def _dead_here(owner: str) -> bool:
    """Whether `owner` (a worker id) was a process on this machine that no longer runs."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname()[:40] or not pid.isdigit():
        return False
    if int(pid) == os.getpid():  # this worker has claimed nothing yet: a task in its name is a past life's
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, as another user
        return False
    return False


def requeue_abandoned(now: datetime | None = None) -> int:
    """Puts back on the queue the running tasks whose worker died on this machine, and those running
    longer than PINGAN_TASK_STALE_MINUTES (a worker on another machine that never came back)."""
    stale_before = (now or timezone.now()) - timedelta(minutes=settings.PINGAN_TASK_STALE_MINUTES)
    abandoned = [
        result.pk
        for result in DBTaskResult.objects.running().only("id", "worker_ids", "started_at")
        if (result.worker_ids and _dead_here(result.worker_ids[-1]))
        or (result.started_at is not None and result.started_at < stale_before)
    ]
    # Only if still running: a task that finished meanwhile stays finished.
    return DBTaskResult.objects.filter(pk__in=abandoned, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY, started_at=None
    )
