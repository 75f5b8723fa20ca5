"""相似案件: open cases that may be the matter being registered right now (a hint at intake, never a rule).

The candidates are the open cases of the same village (of the town, until a village is chosen) reported
in the last 30 days whose titles share a two-character piece with the new title; where both cases have
coordinates, only those within `RADIUS_M`. They are ranked by how much of their titles they share.
"""

import math
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
# Titles share at least this Dice coefficient: one common piece such as 小区 between two long titles is
# not enough, two of a short title are.
MIN_SCORE = 0.2
MAX_PIECES = 20
CANDIDATES = 50
SHOWN = 5
EARTH_RADIUS_M = 6_371_000


@dataclass(frozen=True)
class SimilarCase:
    number: str
    title: str
    status: str
    status_label: str
    reported_at: datetime
    score: float
    distance_m: int | None  # when both cases have coordinates


def title_pieces(title: str) -> list[str]:
    """Chinese has no spaces: take the two-character pieces of the title, the commonest unit of a word."""
    text = "".join(ch for ch in title.lower() if ch.isalnum())
    return list(dict.fromkeys(text[i : i + 2] for i in range(len(text) - 1)))


def title_similarity(a: set[str], b: set[str]) -> float:
    """Dice coefficient of two titles' pieces: 1 for the same title, 0 for nothing in common."""
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def distance_m(lat1: Decimal, lng1: Decimal, lat2: Decimal, lng2: Decimal) -> float:
    """Great-circle distance (haversine), ample for a few hundred metres and a handful of candidates."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lng2) - float(lng1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def similar_open_cases(
    user,
    *,
    title: str,
    region: str,
    category: str = "",
    lat: Decimal | None = None,
    lng: Decimal | None = None,
    now: datetime | None = None,
) -> list[SimilarCase]:
    """At most `SHOWN` open cases the user can see that look like a new case with this title in
    `region` (a village, grid or town code), best first."""
    pieces = title_pieces(title)[:MAX_PIECES]
    if len(region) < 9 or not pieces:
        return []
    now = now or timezone.now()
    shares_a_piece = Q()
    for piece in pieces:
        shares_a_piece |= Q(title__icontains=piece)
    rows = (
        Case.objects.visible_to(user)
        .filter(
            shares_a_piece,
            subtree_q("region", region[:12]),
            status__in=OPEN_STATUSES,
            reported_at__gte=now - WINDOW,
        )
        .order_by("-id")
        .values("number", "title", "status", "reported_at", "lat", "lng", "category__code")[:CANDIDATES]
    )
    mine = set(pieces)
    found: list[tuple[tuple, SimilarCase]] = []
    for row in rows:
        score = title_similarity(mine, set(title_pieces(row["title"])))
        near = None
        if None not in (lat, lng, row["lat"], row["lng"]):
            near = distance_m(lat, lng, row["lat"], row["lng"])  # type: ignore[arg-type]
            if near > RADIUS_M:
                continue
        if score < MIN_SCORE:
            continue
        same_category = bool(category) and row["category__code"] == category
        similar = SimilarCase(
            number=row["number"],
            title=row["title"],
            status=row["status"],
            status_label=Status(row["status"]).label,
            reported_at=row["reported_at"],
            score=round(score, 2),
            distance_m=None if near is None else int(round(near, -1)),
        )
        found.append(((-score, not same_category, near if near is not None else RADIUS_M), similar))
    found.sort(key=lambda pair: pair[0])
    return [similar for _, similar in found[:SHOWN]]
