"""位置示意: the case's town drawn small, with a dot where the case is — inline SVG made on the server, so
no map tiles are fetched and nothing runs in the browser (the CSP allows neither)."""

import math
from dataclasses import dataclass
from decimal import Decimal

from pingan.regions.models import RegionOutline, boundary_problem, boundary_rings

SIZE = 220  # the longer side of the drawing, in SVG units
PAD = 10
MAX_RING_POINTS = 300  # a surveyed outline may have thousands; a thumbnail needs a few hundred


@dataclass(frozen=True)
class Locator:
    town: str
    width: int
    height: int
    outline: str  # an SVG path (rings as subpaths; holes cut out with fill-rule evenodd)
    x: float
    y: float


def town_locator(region_code: str, lat: Decimal | None, lng: Decimal | None) -> Locator | None:
    """The locator of a case located at (lat, lng) in `region_code`, when its town has an outline."""
    if lat is None or lng is None or len(region_code) < 9:
        return None
    town = RegionOutline.objects.filter(region_id=region_code[:9]).values("region__name", "geometry").first()
    if town is None or boundary_problem(town["geometry"]):
        return None  # no outline, or one written past the admin's check: the coordinates alone
    rings = boundary_rings(town["geometry"])
    point = (float(lng), float(lat))
    rings = [ring[:: math.ceil(len(ring) / MAX_RING_POINTS)] for ring in rings]
    everything = [p for ring in rings for p in ring] + [point]
    west, east = min(p[0] for p in everything), max(p[0] for p in everything)
    south, north = min(p[1] for p in everything), max(p[1] for p in everything)
    # Equirectangular, with longitude shrunk by the cosine of the latitude: true shape at county size.
    squeeze = math.cos(math.radians((south + north) / 2))
    span_x, span_y = max((east - west) * squeeze, 1e-9), max(north - south, 1e-9)
    scale = (SIZE - 2 * PAD) / max(span_x, span_y)

    def at(p: tuple[float, float]) -> tuple[float, float]:
        return round(PAD + (p[0] - west) * squeeze * scale, 1), round(PAD + (north - p[1]) * scale, 1)

    path = " ".join("M" + " L".join(f"{x} {y}" for x, y in map(at, ring)) + " Z" for ring in rings)
    x, y = at(point)
    return Locator(
        town=town["region__name"],
        width=round(span_x * scale) + 2 * PAD,
        height=round(span_y * scale) + 2 * PAD,
        outline=path,
        x=x,
        y=y,
    )
