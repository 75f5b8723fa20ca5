"""A labelled set for the 相似案件 check (pingan.cases.similar): base cases, true duplicates of some of
them, and decoys, registered through the real intake action with an injected clock.

A duplicate is the same matter reported again: its title and description reworded (other words,
a frame such as "再次反映"), the same village or grid, often the same building and coordinates a
hundred metres off at most, a few hours or days later. Decoys are what a careless check would
take for one: another matter of the same kind (same category, told alike) in the same village
and week by other people at another spot, another matter of the same category there, another
matter in the same building, and the same kind of matter in the same place two months earlier.
Every case has a `matter`: a base and its duplicates share one, every other case has its own.
benchmarks/duplicates.py measures precision and recall on it; tests/test_duplicates.py uses a
small one.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from pingan.cases.actions import create_case
from pingan.cases.models import Category
from pingan.regions.models import Region

from . import texts
from .county import TOWN_SPAN, County, town_centre

# Words people use for the same thing: a duplicate swaps some of them, either way.
SYNONYMS = (
    ("损坏", "坏了"),
    ("纠纷", "矛盾"),
    ("发生", "出现"),
    ("要求", "请求"),
    ("拖欠", "欠发"),
    ("噪音", "噪声"),
    ("占用", "占了"),
    ("无人", "没人"),
    ("问题", "情况"),
    ("严重", "厉害"),
    ("附近", "旁边"),
    ("长期", "一直"),
    ("多次", "反复"),
    ("居民", "住户"),
    ("近期", "最近"),
    ("反映", "投诉"),
    ("存在", "有"),
    ("影响", "妨碍"),
)
FRAMES = ("再次反映：{}", "{}，至今未解决", "来电反映{}", "关于{}的问题", "{}（重复来电）", "{}")
OPENINGS = ("来电人称，", "群众再次来电：", "网格员报告：", "")
CLOSINGS = ("希望尽快处理。", "请相关部门抓紧解决。", "此前已反映过，尚无答复。", "")
METRES_PER_DEGREE = 111_320
STREAMS = {"D": "dispute", "P": "petition", "R": "request", "H": "hazard", "G": "grid_event"}


@dataclass
class LabelledSet:
    matter: dict[str, int] = field(default_factory=dict)  # case number → its matter
    duplicates: list[str] = field(default_factory=list)  # the later reports of a matter on file
    uniques: list[str] = field(default_factory=list)  # bases that nobody reported again
    decoys: list[str] = field(default_factory=list)

    def same_matter(self, number: str) -> set[str]:
        """The other cases of the matter of `number`: what a perfect check would list for it."""
        m = self.matter[number]
        return {n for n, other in self.matter.items() if other == m and n != number}


def reword(text: str, rng: random.Random, *, swaps: int = 2) -> str:
    """The same thing in other words: up to `swaps` synonyms exchanged."""
    found = [pair for pair in SYNONYMS if pair[0] in text or pair[1] in text]
    for a, b in rng.sample(found, min(swaps, len(found))):
        text = text.replace(a, b) if a in text else text.replace(b, a)
    return text


def reworded_title(title: str, rng: random.Random) -> str:
    return rng.choice(FRAMES).format(reword(title, rng))[:200]


def reworded_description(description: str, rng: random.Random) -> str:
    """Another person's account: reworded, sometimes only its first clauses, framed as a call."""
    text = reword(description, rng, swaps=3)
    if rng.random() < 0.4:
        text = "，".join(text.split("，")[:2]).rstrip("。") + "。"
    return rng.choice(OPENINGS) + text + rng.choice(CLOSINGS)


@dataclass(frozen=True)
class _Matter:
    category: str
    stream: str
    template: tuple[str, str]
    words: dict
    village: Region
    region: str
    address: str
    spot: tuple[float, float] | None
    at: datetime


class _Maker:
    def __init__(self, county: County, rng: random.Random, now: datetime):
        self.county, self.rng, self.now = county, rng, now
        self.by = county.users["dispatcher"]
        known = set(Category.objects.values_list("code", flat=True))
        self.templates = {
            code: pairs for code, pairs in texts.TEMPLATES.items() if code[0] in STREAMS and code in known
        }
        self.villages = [(town, v) for town in county.towns for v in county.villages[town.code]]
        self.labels = LabelledSet()

    def matter(self, *, like: _Matter | None = None, category: str | None = None, days_back=(1, 60)):
        """A new matter: anywhere, or (with `like`) in the same village as another, told with another
        template where its category has more than one."""
        rng = self.rng
        town, village = (
            next(tv for tv in self.villages if tv[1] == like.village) if like else rng.choice(self.villages)
        )
        code = category or rng.choice(sorted(self.templates))
        choices = [t for t in self.templates[code] if not like or t != like.template]
        template = rng.choice(choices or self.templates[code])
        grids = self.county.grids.get(village.code) or [village]
        region = rng.choice(grids).code if rng.random() < 0.6 else village.code
        building = rng.randint(1, 24)
        if village.name.endswith("社区"):
            estate = rng.choice(texts.ESTATES)
            place, address = estate, f"{village.name}{estate}{building}栋"
        else:
            estate = village.name[:2] + "新村"
            place, address = f"{village.name}{building}组", f"{village.name}{building}组"
        words = {
            "place": place,
            "village": village.name,
            "town": town.name,
            "estate": estate,
            "road": rng.choice(texts.ROADS),
            "road2": rng.choice(texts.ROADS),
            "who": rng.choice(texts.SURNAMES) + "某",
            "who2": rng.choice(texts.SURNAMES) + "某",
            "company": f"示范县{rng.choice(texts.COMPANY_WORDS)}有限公司",
            "shop": rng.choice(texts.SHOPS),
            "money": f"{rng.randint(2, 300) * 500:,}",
            "months": rng.randint(3, 18),
            "n": rng.randint(2, 9),
            "people": rng.randint(3, 40),
            "category": "",
        }
        spot = None
        if rng.random() < 0.7:
            spot = _jitter(_village_spot(self.county, town, village), rng, 400)
        at = self.now - timedelta(days=rng.uniform(*days_back))
        return _Matter(code, STREAMS[code[0]], template, words, village, region, address, spot, at)

    def register(self, m: _Matter, *, title: str, description: str, address: str, region: str,
                 spot: tuple[float, float] | None, at: datetime, matter: int) -> str:  # fmt: skip
        payload: dict[str, object] = {
            "stream": m.stream,
            "category": m.category,
            "title": title[:200],
            "description": description[:5000],
            "channel": "hotline",
            "region": region,
            "address": address,
        }
        if spot is not None:
            payload |= {"lat": Decimal(f"{spot[0]:.6f}"), "lng": Decimal(f"{spot[1]:.6f}")}
        number = create_case(self.by, payload, now=min(at, self.now)).number
        self.labels.matter[number] = matter
        return number

    def as_reported(self, m: _Matter, matter: int) -> str:
        title, description = (t.format(**m.words) for t in m.template)
        return self.register(
            m, title=title, description=description, address=m.address, region=m.region, spot=m.spot,
            at=m.at, matter=matter,
        )  # fmt: skip

    def again(self, m: _Matter, matter: int) -> str:
        """The same matter reported again by someone else."""
        rng = self.rng
        title, description = (t.format(**m.words) for t in m.template)
        region = m.region if rng.random() < 0.7 else m.village.code
        # Some callers name the building, some only the village; some phones give a location.
        address = rng.choice((m.address, m.address + f"{rng.randint(1, 4)}单元", ""))
        spot = _jitter(m.spot, rng, 120) if m.spot and rng.random() < 0.7 else None
        at = m.at + timedelta(hours=rng.uniform(1, 120))
        return self.register(
            m, title=reworded_title(title, rng), description=reworded_description(description, rng),
            address=address, region=region, spot=spot, at=at, matter=matter,
        )  # fmt: skip


def make_duplicate_set(
    county: County, *, bases: int, duplicates: int, decoys: int, seed: int = 0, now: datetime | None = None
) -> LabelledSet:
    """`bases` matters, `duplicates` later reports of some of them (one to three each), and `decoys`
    other cases made to look like some of them."""
    rng = random.Random(f"duplicates-{seed}")
    maker = _Maker(county, rng, now or timezone.now())
    matters = [maker.matter() for _ in range(bases)]
    numbers = [maker.as_reported(m, i) for i, m in enumerate(matters)]
    again: set[int] = set()
    for _ in range(duplicates):
        i = rng.choice(sorted(again)) if again and rng.random() < 0.3 else rng.randrange(bases)
        again.add(i)
        maker.labels.duplicates.append(maker.again(matters[i], i))
    maker.labels.uniques = [n for i, n in enumerate(numbers) if i not in again]
    for k in range(decoys):
        maker.labels.decoys.append(_decoy(maker, rng.choice(matters), bases + k))
    return maker.labels


def _decoy(maker: _Maker, m: _Matter, matter: int) -> str:
    rng = maker.rng
    kind = rng.choice(("same_kind", "same_category", "same_building", "months_before"))
    if kind == "same_kind":  # the same kind of matter in the same village and week, other people and spot
        other = maker.matter(like=m, category=m.category)
        at = m.at + timedelta(hours=rng.uniform(-72, 72))
        title, description = (t.format(**other.words) for t in m.template)
        return maker.register(
            m, title=title, description=description, address=other.address, region=other.region,
            spot=other.spot, at=at, matter=matter,
        )  # fmt: skip
    if kind == "months_before":  # the same kind of matter in the same place, well outside the window
        other = maker.matter(like=m, category=m.category)
        at = m.at - timedelta(days=rng.uniform(45, 90))
        title, description = (t.format(**other.words) for t in m.template)
        return maker.register(
            m, title=title, description=description, address=m.address, region=m.region, spot=other.spot,
            at=at, matter=matter,
        )  # fmt: skip
    other = maker.matter(like=m, category=m.category if kind == "same_category" else None)
    at = m.at + timedelta(hours=rng.uniform(-72, 72))
    title, description = (t.format(**other.words) for t in other.template)
    address = m.address if kind == "same_building" else other.address
    return maker.register(
        other, title=title, description=description, address=address, region=other.region,
        spot=other.spot, at=at, matter=matter,
    )  # fmt: skip


def _village_spot(county: County, town: Region, village: Region) -> tuple[float, float]:
    """An invented middle for a village: a fixed spot inside its town's square."""
    lat, lng = town_centre(county.towns.index(town))
    r = random.Random(f"spot-{village.code}")
    return lat + r.uniform(-0.4, 0.4) * TOWN_SPAN[0], lng + r.uniform(-0.4, 0.4) * TOWN_SPAN[1]


def _jitter(spot: tuple[float, float], rng: random.Random, metres: float) -> tuple[float, float]:
    """A point up to `metres` from `spot`, in a random direction."""
    d, angle = rng.uniform(0, metres) / METRES_PER_DEGREE, rng.uniform(0, 2 * math.pi)
    return spot[0] + d * math.sin(angle), spot[1] + d * math.cos(angle) / math.cos(math.radians(spot[0]))
