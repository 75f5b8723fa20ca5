"""What a day's detection finds, read from the rollups and the cases; nothing here writes.

The run of day D looks at whole local days before D:
- **rise**: per village × category, the cases registered in the seven days D-7..D-1 (the `reported`
  counters of the rollups, DESIGN §9) against the weekly mean of the eight weeks before them, by the
  Poisson upper tail (stats.rise). Cases placed no lower than a town belong to no village and are left
  out, as are cases with no category yet.
- **cluster**: reports that share an address (within a town, compared without spaces or punctuation)
  and fall within 72 hours, the last of them on D-1.
- **group**: 群体性 cases registered in D-7..D-1 with at least GROUP_SIZE people involved.

Tips (confidential: a cluster would point at whom they report) and 整改事项 (registered by staff,
often because of an alert) are never counted. An alert already raised for the same place and category
whose window overlaps the new one keeps the new one back, so that a surge that goes on is one alert a
week (a cluster one every three days), not one a day.
"""

import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import IntegerField, Q, Sum
from django.db.models.functions import Coalesce, Length

from pingan.analytics.models import DailyCount
from pingan.cases.clocks import LOCAL
from pingan.cases.models import Case, Stream
from pingan.regions.models import Region

from . import stats
from .models import SurgeAlert

NOT_COUNTED = (Stream.TIP, Stream.RECTIFICATION)
RECENT_DAYS = 7
VILLAGE = 12
LEVELS = (15, 12, 9, 6)


@dataclass
class Finding:
    kind: str
    key: str
    region: str
    category: int | None
    window_start: date
    window_end: date  # inclusive
    count: int
    baseline: float | None = None
    p_value: float | None = None
    place: str = ""
    source_case: int | None = None


@dataclass(frozen=True)
class Thresholds:
    p_max: float
    min_cases: int
    cluster_reports: int
    cluster_hours: int
    group_size: int

    @classmethod
    def configured(cls) -> "Thresholds":
        return cls(
            settings.PINGAN_SURGE_P, settings.PINGAN_SURGE_MIN_CASES, settings.PINGAN_SURGE_CLUSTER_REPORTS,
            settings.PINGAN_SURGE_CLUSTER_HOURS, settings.PINGAN_SURGE_GROUP_SIZE,
        )  # fmt: skip


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL)


def address_key(address: str) -> str:
    """One address however it was typed: full-width folded, spaces and punctuation dropped."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", address)).lower()


def _overlapping(found: list[Finding]) -> set[str]:
    """Keys of `found` kept back by an alert of the same kind, place (and category) whose window
    reaches theirs: the key without its day names the place."""
    if not found:
        return set()
    earlier = SurgeAlert.objects.filter(
        kind=found[0].kind, window_end__gte=min(f.window_start for f in found)
    )
    ends: dict[str, date] = {}
    for key, end in earlier.values_list("key", "window_end"):
        place = key.rsplit(":", 1)[0]
        ends[place] = max(end, ends.get(place, end))
    kept = set()
    for f in found:
        last = ends.get(f.key.rsplit(":", 1)[0])
        if last is not None and last >= f.window_start:
            kept.add(f.key)
    return kept


def rises(day: date, t: Thresholds) -> list[Finding]:
    split = day - timedelta(days=RECENT_DAYS)
    first = split - timedelta(weeks=stats.WEEKS)
    zero = Coalesce(Sum("n", filter=Q(day__gte=split)), 0, output_field=IntegerField())
    rows = (
        DailyCount.objects.filter(measure="reported", day__gte=first, day__lt=day)
        .exclude(stream__in=NOT_COUNTED)
        .exclude(category=0)
        .annotate(digits=Length("region"))
        .filter(digits=VILLAGE)
        .values("region", "category")
        .annotate(recent=zero, base=Coalesce(Sum("n", filter=Q(day__lt=split)), 0))
        .filter(recent__gte=t.min_cases)
        .order_by("region", "category")
    )
    found = []
    for row in rows:
        hit = stats.rise(row["recent"], row["base"], p_max=t.p_max, min_cases=t.min_cases)
        if hit is not None:
            prefix = f"rise:{row['region']}:{row['category']}:"
            found.append(Finding("rise", f"{prefix}{day}", row["region"], row["category"], split,
                                 day - timedelta(days=1), row["recent"], hit[0], hit[1]))  # fmt: skip
    held = _overlapping(found)
    return [f for f in found if f.key not in held and _exists(f.region)]


def _exists(code: str) -> bool:
    return Region.objects.filter(code=code).exists()


def _common_region(codes: list[str]) -> str:
    """The lowest region all the codes lie in (a grid, a village or a town)."""
    shared = codes[0]
    for code in codes[1:]:
        n = 0
        while n < min(len(shared), len(code)) and shared[n] == code[n]:
            n += 1
        shared = shared[:n]
    return shared[: max(n for n in LEVELS if n <= len(shared))]


def clusters(day: date, t: Thresholds) -> list[Finding]:
    since, span = midnight(day - timedelta(days=1)), timedelta(hours=t.cluster_hours)
    rows = (
        Case.objects.filter(reported_at__gte=since - span, reported_at__lt=midnight(day))
        .exclude(stream__in=NOT_COUNTED)
        .exclude(address="")
        .values_list("region_id", "category_id", "address", "reported_at")
        .order_by("reported_at", "pk")
    )  # fmt: skip
    by_place: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for row in rows:
        if norm := address_key(row[2]):
            by_place[(row[0][:9], norm)].append(row)
    found = []
    for (town, norm), reports in by_place.items():
        hit = stats.cluster([r[3] for r in reports], since, reports=t.cluster_reports, hours=t.cluster_hours)
        if hit is None:
            continue
        inside = reports[hit[0] : hit[1] + 1]
        categories = {r[1] for r in inside}
        digest = hashlib.sha256(norm.encode()).hexdigest()[:16]
        found.append(Finding(
            "cluster", f"cluster:{town}:{digest}:{day}", _common_region([r[0] for r in inside]),
            categories.pop() if len(categories) == 1 else None,
            inside[0][3].astimezone(LOCAL).date(), inside[-1][3].astimezone(LOCAL).date(), len(inside),
            place=inside[-1][2][:200],
        ))  # fmt: skip
    held = _overlapping(found)
    return [f for f in found if f.key not in held]


def groups(day: date, t: Thresholds) -> list[Finding]:
    rows = (
        Case.objects.filter(
            is_group=True,
            people_involved__gte=t.group_size,
            reported_at__gte=midnight(day - timedelta(days=RECENT_DAYS)),
            reported_at__lt=midnight(day),
        )
        .exclude(stream__in=NOT_COUNTED)
        .values_list("pk", "region_id", "category_id", "people_involved", "reported_at")
        .order_by("pk")
    )
    found = [
        Finding("group", f"group:{pk}", region, category, at.astimezone(LOCAL).date(),
                at.astimezone(LOCAL).date(), people, source_case=pk)
        for pk, region, category, people, at in rows
    ]  # fmt: skip
    raised = set(SurgeAlert.objects.filter(key__in=[f.key for f in found]).values_list("key", flat=True))
    return [f for f in found if f.key not in raised]


def detect(day: date, t: Thresholds | None = None) -> list[Finding]:
    t = t or Thresholds.configured()
    return [*rises(day, t), *clusters(day, t), *groups(day, t)]
