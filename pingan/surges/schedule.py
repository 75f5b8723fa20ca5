"""The daily run: joined to `pingan sweep` (every few minutes, by its timer or the demo's loop) through
its `sweeping` signal. From 06:00 the first sweep of a day that has no run yet detects for that day;
the later sweeps find the day's run and do nothing. `pingan surges detect [--date]` runs it by hand."""

from datetime import datetime, time

from django.utils import timezone

from pingan.cases.clocks import LOCAL

from .actions import run_detection
from .models import SurgeRun

FROM = time(6, 0)  # after the night's imports and the rollups of the day before are complete


def run_due(now: datetime | None = None) -> int:
    """The day's detection if it is due and not yet run; returns the new alerts."""
    local = (now or timezone.now()).astimezone(LOCAL)
    if local.time() < FROM or SurgeRun.objects.filter(day=local.date()).exists():
        return 0
    counts = run_detection(local.date(), now=now)
    return counts["rise"] + counts["cluster"] + counts["group"]


def on_sweep(sender, now: datetime, **kwargs) -> dict[str, int]:
    return {"surge_alerts": run_due(now)}
