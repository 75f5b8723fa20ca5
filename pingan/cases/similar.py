"""相似案件: open cases that may be the same matter as a case being registered or one on file (a hint
for merging or linking, never a rule).

Bounded in two steps. The database gives a pool: open cases the user can see, reported within `WINDOW`
of the case, in the same village (in the town, until a village is chosen), or, where coordinates
exist, within a box of `RADIUS_M` around them in the same town. Python then scores the pool: title and
description (two-character pieces), address or building, grid or village, distance, time and
category. Only candidates whose title or description is close enough count; each comes with the
reasons a person can check.
"""

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from pingan.regions.models import subtree_q

from .models import Case, Status
from .models.case import OPEN_STATUSES

WINDOW = timedelta(days=30)
# A village is a few square kilometres; two reports of one blocked lane or one gas smell fall within a
# few hundred metres of each other (phone locations drift by tens of metres).
RADIUS_M = 500
NEAR_TIME = timedelta(days=3)
# Title or description share at least this Dice coefficient: one common piece such as 小区 between two
# long titles is not enough, two of a short title are.
MIN_TEXT = 0.2
MAX_PIECES = 40
DESCRIPTION_CHARS = 300
POOL = 300
SHOWN = 5
EARTH_RADIUS_M = 6_371_000
METRES_PER_DEGREE = 111_320
# What each resemblance adds to the score (the text counts most; place, time and category rank the
# cases whose text is alike).
WEIGHTS = {"title": 0.45, "description": 0.2, "address": 0.12, "grid": 0.06, "village": 0.03}
WEIGHTS |= {"distance": 0.1, "time": 0.07, "category": 0.05}
TEXTS = ("title", "description")
# "幸福小区3栋2单元502室" → "幸福小区3栋": the building (or 组 of a village) two reports name alike.
BUILDING = re.compile(r"^(.*?\d+\s*(?:号楼|栋|幢|组|号))")


@dataclass(frozen=True)
class Reason:
    code: str  # title, description, address, grid, village, distance, time, category
    label: str


@dataclass(frozen=True)
class SimilarCase:
    number: str
    title: str
    status: str
    status_label: str
    reported_at: datetime
    score: float
    distance_m: int | None  # when both cases have coordinates
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Probe:
    """What the candidates are compared with: a case being registered or one on file."""

    title: str
    region: str
    description: str = ""
    category: str = ""
    address: str = ""
    lat: Decimal | None = None
    lng: Decimal | None = None
    at: datetime | None = None  # its registration time; now at intake
    case_id: int | None = None  # a case on file: itself and the cases linked to it are left out


def title_pieces(text: str) -> list[str]:
    """Chinese has no spaces: take the two-character pieces of the text, the commonest unit of a word."""
    text = "".join(ch for ch in text.lower() if ch.isalnum())
    return list(dict.fromkeys(text[i : i + 2] for i in range(len(text) - 1)))


def title_similarity(a: set[str], b: set[str]) -> float:
    """Dice coefficient of two texts' pieces: 1 for the same text, 0 for nothing in common."""
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def distance_m(lat1: Decimal, lng1: Decimal, lat2: Decimal, lng2: Decimal) -> float:
    """Great-circle distance (haversine), ample for a few hundred metres and a handful of candidates."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lng2) - float(lng1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def place_key(address: str) -> str:
    """The address up to its building or group, without spaces and punctuation; "" when too vague."""
    text = "".join(ch for ch in address if ch.isalnum())
    match = BUILDING.match(text)
    key = match.group(1) if match else text
    return key if len(key) >= 4 else ""


def probe_of(case: Case) -> Probe:
    return Probe(
        title=case.title,
        region=case.region_id,
        description=case.description,
        category=case.category.code if case.category else "",
        address=case.address,
        lat=case.lat,
        lng=case.lng,
        at=case.reported_at,
        case_id=case.pk,
    )


def similar_to_case(user, case: Case, *, limit: int = SHOWN) -> list[SimilarCase]:
    """Open cases the user can see that may be the same matter as `case`, best first."""
    return similar_open_cases(user, probe_of(case), limit=limit)


def similar_open_cases(user, probe: Probe, *, limit: int = SHOWN) -> list[SimilarCase]:
    """At most `limit` open cases the user can see that look like `probe`, best first."""
    title, text = title_pieces(probe.title)[:MAX_PIECES], title_pieces(probe.description[:DESCRIPTION_CHARS])
    if len(probe.region) < 9 or not (title or text):
        return []
    at = probe.at or timezone.now()
    rows = _pool(user, probe, at)
    me = _Side(set(title), set(text), place_key(probe.address))
    found = [c for row in rows if (c := _compare(probe, me, row, at)) is not None]
    found.sort(key=lambda c: (-c.score, -c.reported_at.timestamp()))
    return found[:limit]


@dataclass(frozen=True)
class _Side:
    title: set[str]
    text: set[str]
    place: str


def _pool(user, probe: Probe, at: datetime) -> list[dict]:
    place = subtree_q("region", probe.region[:12])
    if probe.lat is not None and probe.lng is not None:
        lat, lng = float(probe.lat), float(probe.lng)
        dlat = RADIUS_M / METRES_PER_DEGREE
        dlng = dlat / max(math.cos(math.radians(lat)), 0.01)
        box = Q(lat__range=(lat - dlat, lat + dlat), lng__range=(lng - dlng, lng + dlng))
        place |= subtree_q("region", probe.region[:9]) & box
    qs = Case.objects.visible_to(user).filter(
        place, status__in=OPEN_STATUSES, reported_at__range=(at - WINDOW, at + WINDOW)
    )
    if probe.case_id is not None:
        qs = qs.exclude(pk=probe.case_id).exclude(related=probe.case_id)
    fields = ("number", "title", "description", "status", "reported_at", "region_id", "address", "lat", "lng")
    return list(qs.order_by("-reported_at").values(*fields, "category__code")[:POOL])


def _compare(probe: Probe, me: _Side, row: dict, at: datetime) -> SimilarCase | None:
    title = title_similarity(me.title, set(title_pieces(row["title"])[:MAX_PIECES]))
    text = title_similarity(me.text, set(title_pieces(row["description"][:DESCRIPTION_CHARS])))
    if max(title, text) < MIN_TEXT:
        return None
    near = None
    if None not in (probe.lat, probe.lng, row["lat"], row["lng"]):
        near = distance_m(probe.lat, probe.lng, row["lat"], row["lng"])  # type: ignore[arg-type]
        if near > RADIUS_M:
            return None
    weights = {"title": title, "description": text}
    if me.place and place_key(row["address"]) == me.place:
        weights["address"] = 1
    region = row["region_id"]
    if len(probe.region) == 15 and region == probe.region:
        weights["grid"] = 1
    elif len(probe.region) >= 12 and region[:12] == probe.region[:12]:
        weights["village"] = 1
    if near is not None:
        weights["distance"] = 1 - near / RADIUS_M
    apart = abs(row["reported_at"] - at)
    if apart <= NEAR_TIME:
        weights["time"] = 1 - apart / WINDOW
    if probe.category and row["category__code"] == probe.category:
        weights["category"] = 1
    # A text below the bar is no reason; every other resemblance that is there is one.
    reasons = [_reason(c, near, apart) for c, w in weights.items() if c not in TEXTS or w >= MIN_TEXT]
    return SimilarCase(
        number=row["number"],
        title=row["title"],
        status=row["status"],
        status_label=Status(row["status"]).label,
        reported_at=row["reported_at"],
        score=round(sum(WEIGHTS[code] * w for code, w in weights.items()), 2),
        distance_m=None if near is None else int(round(near, -1)),
        reasons=tuple(reasons),
    )


LABELS = {
    "title": "标题相近",
    "description": "描述相近",
    "address": "同一地址或楼栋",
    "grid": "同一网格",
    "village": "同一村（社区）",
    "category": "同一类别",
}


def _reason(code: str, near: float | None, apart: timedelta) -> Reason:
    if code == "distance":
        metres = int(round(near or 0, -1))
        return Reason(code, f"相距约 {metres} 米" if metres else "相距不到 10 米")
    if code == "time":
        hours = apart / timedelta(hours=1)
        gap = (
            "不到 1 小时"
            if hours < 1
            else f"约 {round(hours)} 小时"
            if hours < 24
            else f"约 {round(hours / 24)} 天"
        )
        return Reason(code, f"时间相近（相差{gap}）")
    return Reason(code, LABELS[code])
