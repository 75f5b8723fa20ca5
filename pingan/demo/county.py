"""The synthetic 示范县 (DESIGN §10): regions, units, routing rules and one user per role.

Every name here is invented. `build_county(towns=3, villages_per_town=2)` gives tests a small county
with the same shape as the demo's.
"""

import itertools
import random
import secrets
from dataclasses import dataclass, field

from django.db import transaction

from pingan.accounts.actions import NewAccount, create_accounts
from pingan.accounts.models import User
from pingan.cases.models import Category, RoutingRule
from pingan.regions.models import CODE_LENGTHS, Region, RegionOutline, Unit

COUNTY_CODE = "990122"
COUNTY_NAME = "示范县"
TOWNS = [
    ("001", "城关街道"),
    ("002", "东城街道"),
    ("003", "西城街道"),
    ("004", "南湖街道"),
    ("005", "北山街道"),
    ("101", "青石镇"),
    ("102", "柳河镇"),
    ("103", "枫林镇"),
    ("104", "桃源镇"),
    ("105", "白沙镇"),
    ("106", "龙泉镇"),
    ("201", "金山乡"),
]
CENTRE = (30.93, 117.81)  # an invented spot for the invented county (latitude, longitude)
TOWN_SPAN = (0.06, 0.07)  # degrees of latitude and longitude per town: the towns tile a 4 × 3 grid
# An invented outline, as fractions of a town's half-span: corners cut and edges bent, so that the
# locator on a case page draws a place rather than a box. It holds the ±⅔ half-span in which the
# generator scatters a town's cases.
_OUTLINE = [(-1, -0.75), (-0.75, -1), (0.1, -0.92), (0.8, -1), (1, -0.7), (0.92, 0.1), (1, 0.8), (0.7, 1),
            (-0.2, 0.93), (-0.8, 1), (-1, 0.75), (-0.93, 0)]  # fmt: skip


def town_centre(index: int) -> tuple[float, float]:
    """(latitude, longitude) of the middle of the index-th town."""
    return CENTRE[0] + (index % 4 - 1.5) * TOWN_SPAN[0], CENTRE[1] + (index // 4 - 1) * TOWN_SPAN[1]


def town_outline(index: int) -> dict:
    """The index-th town's invented outline as a GeoJSON polygon ([longitude, latitude] points)."""
    lat, lng = town_centre(index)
    ring = [[round(lng + x * TOWN_SPAN[1] / 2, 6), round(lat + y * TOWN_SPAN[0] / 2, 6)] for x, y in _OUTLINE]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


_VILLAGE_HEADS = "安和康乐平顺兴旺福寿松竹梅兰桂荷杏李枣桑榆柏杨柳"
_VILLAGE_TAILS = "庄湾岭坪塘溪桥岗口坝"
COUNTY_UNITS = [
    ("ZZZX", "示范县综治中心", "centre"),
    ("SFJ", "示范县司法局", "department"),
    ("RSJ", "示范县人力资源和社会保障局", "department"),
    ("ZJJ", "示范县住房和城乡建设局", "department"),
    ("YJJ", "示范县应急管理局", "department"),
    ("GAJ", "示范县公安局", "police"),
    ("XFJ", "示范县信访局", "department"),
    ("SCJ", "示范县市场监督管理局", "department"),
    ("ZRJ", "示范县自然资源局", "department"),
    ("HBJ", "示范县生态环境分局", "department"),
    ("WJJ", "示范县卫生健康委员会", "department"),
    ("JTJ", "示范县交通运输局", "department"),
    ("XFDD", "示范县消防救援大队", "department"),
]
# Which county unit leads each category county-wide; "town:centre" / "town:judicial" route to the town's own.
# A subcategory not listed has no rule of its own: it goes where its parent goes (rules.suggest_lead_unit).
DEFAULT_ROUTES = {
    "dispute": "town:judicial",
    "petition": "XFJ",
    "request": "town:centre",
    "grid_event": "town:centre",
    "tip": "GAJ",
    "rectification": "town:centre",
}
CATEGORY_ROUTES = {
    "D10": "RSJ",
    "D13": "GAJ",
    "D12": "WJJ",
    "D11": "SCJ",
    "D07": "ZRJ",
    "D09": "HBJ",
    "H01": "XFDD",
    "H02": "ZJJ",
    "H03": "YJJ",
    "H04": "ZJJ",
    "H05": "JTJ",
    "H06": "ZJJ",
    "H07": "XFDD",
    "H08": "YJJ",
    # Disputes reported by the public (a request subtree): the town's 司法所 mediates them first.
    "R06": "town:judicial",
}
ROLE_USERS = [
    "dispatcher",
    "handler",
    "unit_head",
    "grid_worker",
    "supervisor",
    "leader",
    "admin",
    "auditor",
    "custodian",
    "handler2",
]


@dataclass
class County:
    code: str
    towns: list[Region]
    villages: dict[str, list[Region]]
    grids: dict[str, list[Region]]
    units: dict[str, Unit]
    users: dict[str, User] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)

    def town_unit(self, town: Region, kind: str) -> Unit:
        return self.units[f"{town.code}-{kind}"]


def village_population(code: str, is_street: bool) -> int | None:
    """常住人口 of a demo village: communities of a street are larger than villages. Towns keep none of
    their own (the sum of their villages). One village in forty has none yet, as in a real county whose
    figures come in late: the 重点地区 ranking shows it unranked."""
    rng = random.Random(f"population-{code}")
    if rng.random() < 0.025:
        return None
    return rng.randint(2600, 7800) if is_street else rng.randint(650, 3400)


def _village_names():
    for head, tail in itertools.product(_VILLAGE_HEADS, _VILLAGE_TAILS):
        yield head + tail


@transaction.atomic
def build_county(towns: int = 12, villages_per_town: int = 17, grids_per_village: int = 3) -> County:
    county = Region.objects.create(code=COUNTY_CODE, name=COUNTY_NAME)
    names = _village_names()
    c = County(code=COUNTY_CODE, towns=[], villages={}, grids={}, units={})
    regions: list[Region] = []

    def region(code: str, name: str, parent: Region) -> Region:
        regions.append(Region(code=code, name=name, parent=parent, level=CODE_LENGTHS[len(code)]))
        return regions[-1]

    for serial, name in TOWNS[:towns]:
        town = region(COUNTY_CODE + serial, name, county)
        c.towns.append(town)
        c.villages[town.code] = []
        is_street = serial < "100"
        for v in range(villages_per_town):
            vcode = town.code + (f"{v + 1:03d}" if is_street else f"{200 + v + 1:03d}")
            village = region(vcode, next(names) + ("社区" if is_street else "村"), town)
            village.population = village_population(vcode, is_street)
            c.villages[town.code].append(village)
            c.grids[vcode] = [
                region(f"{vcode}{g + 1:03d}", f"{village.name}第{g + 1}网格", village)
                for g in range(grids_per_village)
            ]
    Region.objects.bulk_create(regions)  # parents come before their children
    RegionOutline.objects.bulk_create(
        RegionOutline(region=town, geometry=town_outline(i)) for i, town in enumerate(c.towns)
    )
    units: list[Unit] = []

    def unit(key: str, code: str, name: str, kind: str, where: Region, parent: Unit | None = None) -> Unit:
        path = (parent.path if parent else "/") + code + "/"  # what Unit.save() would keep
        units.append(Unit(code=code, name=name, kind=kind, region=where, parent=parent, path=path))
        c.units[key] = units[-1]
        return units[-1]

    for code, name, kind in COUNTY_UNITS:
        unit(code, f"{COUNTY_CODE}-{code}", name, kind, county)
    Unit.objects.bulk_create(units)
    units.clear()
    centre, judicial, police = c.units["ZZZX"], c.units["SFJ"], c.units["GAJ"]
    for i, town in enumerate(c.towns):
        unit(f"{town.code}-centre", f"{town.code}-ZZZX", f"{town.name}综治中心", "town", town, centre)
        unit(f"{town.code}-judicial", f"{town.code}-SFS", f"{town.name}司法所", "judicial", town, judicial)
        if i % 2 == 0:
            unit(f"{town.code}-police", f"{town.code}-PCS", f"{town.name}派出所", "police", town, police)
    Unit.objects.bulk_create(units)
    _routing(c)
    return c


def _routing(c: County) -> None:
    rules = []
    for cat in Category.objects.all():
        target = CATEGORY_ROUTES.get(cat.code)
        if target is None and cat.parent_id is None:
            target = DEFAULT_ROUTES.get(cat.stream, "ZZZX")
        if target is None:
            continue
        if target.startswith("town:"):
            kind = target.split(":")[1]
            rules += [RoutingRule(category=cat, region=t, lead_unit=c.town_unit(t, kind)) for t in c.towns]
        else:
            rules.append(RoutingRule(category=cat, region_id=c.code, lead_unit=c.units[target]))
    RoutingRule.objects.bulk_create(rules)


def demo_password() -> str:
    """16 random characters: well past the validators' 12, and never common or all digits."""
    return secrets.token_urlsafe(12)


def create_role_users(c: County, password: str | None = None) -> County:
    """One user per role, named after the role; handler2 works in the second town only."""
    first = c.towns[0]
    second = c.towns[1] if len(c.towns) > 1 else first  # a one-town county: handler2 works there too
    village = c.villages[first.code][0]
    grants: dict[str, list[tuple[str, str | None, Unit | None]]] = {
        "dispatcher": [("dispatcher", c.code, None)],
        "handler": [
            ("handler", None, c.town_unit(first, "centre")),
            ("handler", None, c.town_unit(first, "judicial")),
        ],
        "unit_head": [
            ("unit_head", None, c.town_unit(first, "centre")),
            ("unit_head", None, c.town_unit(first, "judicial")),
        ],
        "grid_worker": [("grid_worker", village.code, None)],
        "supervisor": [("supervisor", c.code, None)],
        "leader": [("leader", c.code, None)],
        "admin": [("admin", c.code, None)],
        "auditor": [("auditor", c.code, None)],
        "custodian": [("custodian", c.code, None)],
        "handler2": [
            ("handler", None, c.town_unit(second, "centre")),
            ("handler", None, c.town_unit(second, "judicial")),
        ],
    }
    full_names = {
        "dispatcher": "周受理",
        "handler": "吴承办",
        "unit_head": "郑主任",
        "grid_worker": "王网格",
        "supervisor": "冯督查",
        "leader": "陈县长",
        "admin": "褚管理",
        "auditor": "卫审计",
        "custodian": "蒋保管",
        "handler2": "沈承办",
    }
    regions = Region.objects.in_bulk({code for gs in grants.values() for _, code, _ in gs if code})
    accounts = [
        NewAccount(
            username=username,
            password=c.passwords.setdefault(username, password or demo_password()),
            full_name=full_names[username],
            grants=[(role, regions[region] if region else None, unit) for role, region, unit in role_grants],
        )
        for username, role_grants in grants.items()
    ]
    # As the system (by=None): each user and grant is audited like any other, in one transaction.
    with transaction.atomic():
        for user in create_accounts(accounts, by=None):
            c.users[user.username] = user
    return c
