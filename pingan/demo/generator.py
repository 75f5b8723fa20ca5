"""Synthetic cases for the demo county (DESIGN §10).

`generate_cases(county, n)` spreads N cases over the two years before `now`, across every stream,
category and town. Each case's history is replayed through the real workflow (history.py), so that its
status, timestamps, due times (from the time-limit rules on the business calendar) and CaseEvents agree
with what the actions would have written. Configuration is read once; rows go in one batch at a time
(bulk_create, or COPY on PostgreSQL: copywriter.py), so there is no query per case and memory stays
flat however large N is.
"""

import bisect
import random
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone

from pingan.accounts.models import RoleGrant, User
from pingan.cases import events as event_writer
from pingan.cases.clocks import LOCAL, WorkCalendar, get_calendar
from pingan.cases.models import (
    Case,
    CaseRequest,
    CaseSerial,
    Category,
    FollowUp,
    Party,
    Reporter,
    RoutingRule,
    Status,
    TimeLimitRule,
)
from pingan.cases.models.case import OPEN_STATUSES
from pingan.cases.models.config import effective_on
from pingan.core.bulk import Insert, copy_rows, insert_rows
from pingan.regions.models import Region, Unit
from pingan.supervision.models import Supervision

from . import copywriter, texts
from .county import COUNTY_CODE, ROLE_USERS, County, town_centre
from .followthrough import seed_follow_through
from .history import History, choose_end, pick
from .supervision import seed_supervision

STREAM_WEIGHTS = {
    "dispute": 30,
    "request": 30,
    "grid_event": 15,
    "hazard": 10,
    "petition": 8,
    "tip": 4,
    "rectification": 3,
}
CHANNELS = {
    "dispute": {"walk_in": 40, "grid": 30, "referral": 15, "hotline": 15},
    "petition": {"letter": 35, "walk_in": 35, "online": 30},
    "request": {"hotline": 70, "portal": 20, "online": 10},
    "hazard": {"inspection": 40, "grid": 35, "portal": 15, "hotline": 10},
    "grid_event": {"grid": 1},
    "tip": {"portal": 45, "letter": 35, "hotline": 20},
    "rectification": {"assigned": 60, "inspection": 40},
}
# Dispute categories whose other side is often a company (contracts, pollution, wages).
FIRMS = ("D04", "D09", "D10")
MAJOR_SHARE = {"hazard": 0.1, "dispute": 0.02, "petition": 0.02}
# One case of each state is placed at evenly spread positions (oldest first), so that even a small N
# shows every state of DESIGN §4.
FORCED = [
    Status.ARCHIVED,
    Status.CLOSED,
    Status.REJECTED,
    Status.MERGED,
    Status.WITHDRAWN,
    Status.SUSPENDED,
    Status.RESOLVED,
    Status.IN_PROGRESS,
    Status.DISPATCHED,
    Status.ACCEPTED,
    Status.REPORTED,
]
# Cases that never got handled make poor masters for a duplicate.
ENDED_EARLY = (Status.MERGED, Status.REJECTED, Status.WITHDRAWN)
# A few requests in the first town, left in handling well past their time and not yet escalated: the
# demo's first sweep escalates them, and the demo handler (吴承办) is told at once (DESIGN §4).
OVERDUE_FOR_HANDLER = 3
OVERDUE_AGE = timedelta(days=60)
DAYS_PER_UNIT = {"natural_days": 1.0, "work_days": 1.4, "work_hours": 1.4 / 7}
WINDOW_DAYS = 730
# A major hazard is listed for 挂牌督办 on acceptance; older than this many resolve periods it is done.
LISTED_OPEN_AGE = 3


class TimeAxis:
    """Maps u in [0, 1) to a moment in the two years before now: busier in office hours and on working
    days, and a little busier each month as more units come on board. Monotonic, so that serial numbers
    follow time."""

    def __init__(self, cal: WorkCalendar, now: datetime):
        start = (now - timedelta(days=WINDOW_DAYS)).astimezone(LOCAL)
        self.start = start.replace(minute=0, second=0, microsecond=0)
        hours = WINDOW_DAYS * 24
        self.cum: list[float] = []
        total = 0.0
        for h in range(hours):
            moment = self.start + timedelta(hours=h)
            if cal.is_workday(moment.date()):
                weight = 10 if 8 <= moment.hour < 18 else 3 if 6 <= moment.hour < 22 else 0.4
            else:
                weight = 3 if 8 <= moment.hour < 20 else 0.3
            total += weight * (0.6 + 0.8 * h / hours)
            self.cum.append(total)

    def fraction(self, t: datetime) -> float:
        """The inverse of `at`: where moment t lies on the axis."""
        h = min(max((t - self.start) / timedelta(hours=1), 0), len(self.cum) - 1)
        i = int(h)
        before = self.cum[i - 1] if i else 0.0
        return (before + (h - i) * (self.cum[i] - before)) / self.cum[-1]

    def at(self, u: float) -> datetime:
        target = u * self.cum[-1]
        i = bisect.bisect_right(self.cum, target)
        before = self.cum[i - 1] if i else 0.0
        return self.start + timedelta(hours=i + (target - before) / (self.cum[i] - before))


class Context:
    """What every case needs from the database, read once."""

    def __init__(self, county: County, now: datetime):
        self.county, self.now = county, now
        self.cal = get_calendar()
        today = now.astimezone(LOCAL).date()
        # By (category, or None for the stream's default; stream; severity; step), as rules.time_limit reads.
        self.limits: dict[tuple[int | None, str, str, str], dict[str, Any]] = {
            (r.category_id, r.stream, r.severity, r.step): {
                "amount": r.amount,
                "unit": r.unit,
                "max_extension_days": r.max_extension_days,
            }
            for r in TimeLimitRule.objects.filter(effective_on(today))
        }
        self.routes = {
            (r.category_id, r.region_id): r.lead_unit_id
            for r in RoutingRule.objects.filter(effective_on(today), lead_unit__active=True)
        }
        # Top-level categories by stream and the children of each: a case picks one, then perhaps a child.
        self.categories: dict[str, list[Category]] = defaultdict(list)
        self.children: dict[int, list[Category]] = defaultdict(list)
        self.parents: dict[int, int | None] = {}
        self.default_lead: dict[int, int | None] = {}
        for cat in Category.objects.filter(active=True).order_by("stream", "sort", "code"):
            (self.children[cat.parent_id] if cat.parent_id else self.categories[cat.stream]).append(cat)
            self.parents[cat.pk], self.default_lead[cat.pk] = cat.parent_id, cat.default_lead_unit_id
        self.unit_code = dict(Unit.objects.values_list("pk", "code"))
        self.users = dict(county.users)
        # Demo users by the units and areas of their grants (a grant on a town unit; no sub-units there).
        self.handlers: dict[int, User] = {}
        self.heads: dict[int, User] = {}
        self.grid_areas: list[tuple[str, User]] = []
        by_name = {u.username: u for u in self.users.values()}
        grants = (
            RoleGrant.objects.filter(user__in=list(by_name.values()))
            .order_by("id")
            .values_list("user__username", "role", "unit_id", "region_id")
        )
        for username, role, unit_id, region_id in grants:
            user = by_name[username]
            if role == "handler":
                self.handlers.setdefault(unit_id, user)
            elif role == "unit_head":
                self.heads.setdefault(unit_id, user)
            elif role == "grid_worker":
                self.grid_areas.append((region_id, user))
        # Streets (街道, serial below 100) are more populous than towns and townships.
        weights = [1.6 if t.code[6:] < "100" else 1.0 for t in county.towns]
        self.town_weights = [sum(weights[: i + 1]) for i in range(len(weights))]
        self.rural_towns = [t for t in county.towns if t.code[6:] >= "100"]
        self.serials = dict(CaseSerial.objects.filter(county=county.code).values_list("year", "last"))
        self.pool: deque[History] = deque(maxlen=300)  # recent cases, candidates for merging into

    # -- lookups used by History

    def user(self, name: str) -> User | None:
        return self.users.get(name)

    def actor(self, name: str) -> str:
        return name if name in self.users else "system"

    def handler_of(self, unit_id: int | None) -> User | None:
        return self.handlers.get(unit_id) if unit_id else None

    def head_of(self, unit_id: int | None) -> User | None:
        return self.heads.get(unit_id) if unit_id else None

    def limit(self, case: Case, step: str) -> dict:
        """As rules.time_limit: the category, then its ancestors, then the stream; severity first."""
        for cid in [*self.chain(case.category_id), None]:
            for severity in (case.severity, ""):
                if found := self.limits.get((cid, case.stream, severity, step)):
                    return found
        return {}

    def chain(self, category_id: int | None) -> list[int]:
        chain, cid = [], category_id
        while cid:
            chain.append(cid)
            cid = self.parents.get(cid)
        return chain

    def due(self, start: datetime, limit: dict) -> datetime | None:
        return self.cal.add(start, limit["amount"], limit["unit"]) if limit else None

    def resolve_days(self, stream: str) -> float:
        limit = self.limits.get((None, stream, "", "resolve"))
        return limit["amount"] * DAYS_PER_UNIT.get(limit["unit"], 1) if limit else 30.0

    def route(self, case: Case) -> int | None:
        """As rules.suggest_lead_unit: the longest region prefix wins, then the deepest category."""
        chain = self.chain(case.category_id)
        for length in (15, 12, 9, 6):
            if length <= len(case.region_id):
                for cid in chain:
                    if unit := self.routes.get((cid, case.region_id[:length])):
                        return unit
        default = self.default_lead.get(case.category_id) if case.category_id else None
        return default or self._units(case, "centre", "ZZZX")[0]

    def _units(self, case: Case, *keys: str) -> list[int]:
        town, units = case.region_id[:9], self.county.units
        found = [units.get(f"{town}-{k}") or units.get(k) for k in keys]
        return [u.pk for u in found if u] or [next(iter(units.values())).pk]

    def alternative_unit(self, case: Case, previous: int | None) -> int | None:
        """Where a returned case goes next: disputes swap between 综治中心 and 司法所, others go up."""
        keys = ("judicial", "centre", "ZZZX") if case.stream == "dispute" else ("centre", "ZZZX")
        options = [u for u in self._units(case, *keys) if u != previous]
        return options[0] if options else previous

    def co_unit(self, case: Case, lead: int | None, rng: random.Random) -> int | None:
        options = [u for u in self._units(case, "police", "SFJ", "GAJ", "centre") if u != lead]
        return rng.choice(options) if options else None

    def merge_target(self, h: History) -> History | None:
        """A recent case of the same stream, best in the same town, still open when the duplicate came in."""
        elsewhere = None
        for other in reversed(self.pool):
            if other.case.stream != h.case.stream or other.case.status in ENDED_EARLY:
                continue
            if other.status_at(h.t) in OPEN_STATUSES:
                if other.case.region_id[:9] == h.case.region_id[:9]:
                    return other
                elsewhere = elsewhere or other
        if elsewhere is None and h.forced == Status.MERGED and len(h.events) == 1:
            # A small demo still needs one merged case: merge it on arrival into whatever was open then.
            arrival = h.case.reported_at + timedelta(minutes=5)
            elsewhere = next((o for o in reversed(self.pool) if o.status_at(arrival) in OPEN_STATUSES), None)
            if elsewhere:
                h.t = arrival
        return elsewhere

    def next_number(self, reported_at: datetime) -> str:
        year = reported_at.astimezone(LOCAL).year
        self.serials[year] = self.serials.get(year, 0) + 1
        return f"PA-{self.county.code}-{year}-{self.serials[year]:06d}"


# ---------------------------------------------------------------- one case


def _person(rng: random.Random) -> str:
    return rng.choice(texts.SURNAMES) + "".join(rng.choices(texts.GIVEN, k=rng.choice((1, 2, 2))))


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def _place(rng: random.Random, town: Region, village: Region, names: tuple[str, str]) -> dict:
    """Words for the templates and the case address; communities have compounds, villages have groups."""
    roads = rng.sample(texts.ROADS, 2)
    if village.name.endswith("社区"):
        estate = rng.choice(texts.ESTATES)
        building = rng.randint(1, 24)
        place, address = estate, f"{town.name}{village.name}{estate}{building}栋"
        home = f"{address}{rng.randint(1, 4)}单元{rng.randint(1, 18)}0{rng.randint(1, 4)}室"
    else:
        estate = village.name[:2] + "新村"
        group = rng.randint(1, 12)
        place, address = f"{village.name}{group}组", f"{town.name}{village.name}{group}组"
        home = f"{address}{rng.randint(1, 80)}号"
    words = {
        "place": place,
        "village": village.name,
        "town": town.name,
        "estate": estate,
        "road": roads[0],
        "road2": roads[1],
        "who": names[0][0] + "某",
        "who2": names[1][0] + "某",
        "company": f"示范县{rng.choice(texts.COMPANY_WORDS)}有限公司",
        "shop": rng.choice(texts.SHOPS),
        "money": f"{rng.randint(2, 300) * 500:,}",
        "months": rng.randint(3, 18),
        "n": rng.randint(2, 9),
    }
    return {"words": words, "address": address, "home": home}


def _new_case(
    ctx: Context, rng: random.Random, reported_at: datetime, forced: str | None, for_handler: bool = False
) -> History:
    """One case; `for_handler`: a request in the first town, which its 综治中心 (the demo handler's) leads."""
    county = ctx.county
    stream = "request" if for_handler else pick(rng, STREAM_WEIGHTS)
    category = rng.choice(ctx.categories[stream]) if ctx.categories[stream] else None
    if category and ctx.children[category.pk]:
        category = rng.choice(ctx.children[category.pk])
    channel = pick(rng, CHANNELS[stream])
    if for_handler:
        town = county.towns[0]
    elif category and category.code in texts.RURAL and ctx.rural_towns:
        town = rng.choice(ctx.rural_towns)
    else:
        town = rng.choices(county.towns, cum_weights=ctx.town_weights)[0]
    village = rng.choice(county.villages[town.code])
    grids = county.grids.get(village.code)
    region = rng.choice(grids) if grids and (channel == "grid" or rng.random() < 0.5) else village
    names = (_person(rng), _person(rng))  # the first reports or applies, the second is the other side
    spot = _place(rng, town, village, names)
    templates = texts.TEMPLATES.get(category.code if category else "", [])
    title, description = rng.choice(templates) if templates else texts.FALLBACK[stream]
    group = "{people}" in title + description
    people = rng.randint(3, 40) if group else rng.choice((1, 1, 1, 2, 2, 3))
    words = {**spot["words"], "people": people, "category": category.name if category else ""}
    reported_by = ctx.user("supervisor" if stream == "rectification" else "dispatcher")
    if channel == "grid":
        reported_by = next((u for code, u in ctx.grid_areas if region.code.startswith(code)), None)
    severity = "major" if rng.random() < MAJOR_SHARE.get(stream, 0) else "normal"
    town_index = county.towns.index(town)
    case = Case(
        number=ctx.next_number(reported_at),
        stream=stream,
        category=category,
        channel=channel,
        region=region,
        title=title.format(**words)[:200],
        description=description.format(**words),
        address=spot["address"],
        reported_at=reported_at,
        severity=severity,
        people_involved=people,
        is_group=people >= 5 and stream in ("dispute", "petition", "request"),
        reported_by=reported_by,
        occurred_at=reported_at - rng.uniform(0.5, 72) * timedelta(hours=1)
        if stream in ("dispute", "hazard", "grid_event", "tip")
        else None,
    )
    if rng.random() < 0.8:
        lat, lng = town_centre(town_index)
        case.lat = Decimal(f"{lat + rng.uniform(-0.02, 0.02):.6f}")
        case.lng = Decimal(f"{lng + rng.uniform(-0.02, 0.02):.6f}")
    case.accept_due = ctx.due(reported_at, ctx.limit(case, "accept"))
    h = History(ctx, case, rng, forced)
    h.reporter, h.parties = _people(rng, case, spot["home"], names, words["company"])
    age = (ctx.now - reported_at) / timedelta(days=1) / ctx.resolve_days(stream)
    end = forced or choose_end(rng, stream, category.code if category else "", age)
    if severity == "major" and stream == "hazard" and not forced and age > LISTED_OPEN_AGE:
        end = Status.CLOSED if end in OPEN_STATUSES else end  # a listed major hazard is not left for months
    h.run(Status.CLOSED if end == Status.ARCHIVED else end)
    return h


def _people(rng: random.Random, case: Case, home: str, names: tuple[str, str], company: str):
    """反映人 for most cases (tips mostly anonymous); 当事人 for disputes. Stored encrypted."""
    reporter = None
    phone = _phone(rng)
    if case.stream != "rectification" and not (case.channel == "grid" and rng.random() < 0.5):
        anonymous = rng.random() < (0.6 if case.stream == "tip" else 0.05)
        reporter = Reporter(
            case=case,
            anonymous=anonymous,
            name="" if anonymous else names[0],
            phone=phone if not anonymous or rng.random() < 0.5 else "",
            address="" if anonymous else home,
        )
    parties: list[Party] = []
    if case.stream == "dispute":
        parties.append(Party(case=case, role=Party.Role.APPLICANT, name=names[0], phone=phone, address=home))
        if rng.random() < 0.9:
            firm = case.category is not None and case.category.code in FIRMS and rng.random() < 0.6
            parties.append(
                Party(
                    case=case,
                    role=Party.Role.RESPONDENT,
                    name=company if firm else names[1],
                    phone=_phone(rng) if rng.random() < 0.8 else "",
                    address="" if firm else home,
                )
            )
        if rng.random() < 0.15:
            parties.append(Party(case=case, role=Party.Role.THIRD, name=_person(rng), phone=_phone(rng)))
    return reporter, parties


# ---------------------------------------------------------------- writing a batch


def _pk(value):
    return value.pk if isinstance(value, models.Model) else value


@transaction.atomic
def _write(ctx: Context, batch: list[History], copy: bool) -> None:
    if copy:
        copywriter.write_rows(batch)
        insert: Insert = copy_rows
    else:
        _write_rows(batch)
        insert = insert_rows
    events = [e for h in batch for e in (*h.events, *h.foreign_events)]
    for e in events:  # event data named its request / follow-up before they had ids
        for key in ("request", "follow_up"):
            if key in e.data:
                e.data[key] = _pk(e.data[key])
    # History after the fact: checked and audited like any event, told to no one.
    event_writer.write_many(events, quiet=True, insert=insert)
    # Keep CaseSerial ahead of every number given, so that the case builder never collides.
    for year in {h.case.reported_at.astimezone(LOCAL).year for h in batch}:
        CaseSerial.objects.update_or_create(
            county=ctx.county.code, year=year, defaults={"last": ctx.serials[year]}
        )


def _write_rows(batch: list[History]) -> None:
    """The cases and what hangs off them, through the ORM."""
    cases = [h.case for h in batch]
    Case.objects.bulk_create(cases)
    # auto_now_add stamped the insert time; a demo case should look created when it was reported.
    # (A range, not a list of ids: no limit on query parameters, and any case in it was created now.)
    Case.objects.filter(pk__range=(cases[0].pk, cases[-1].pk)).update(created_at=F("reported_at"))
    merged = [(h.case, h.merge_target.case) for h in batch if h.merge_target]
    for case, master in merged:
        case.merged_into_id = master.pk
    if merged:
        Case.objects.bulk_update([case for case, _ in merged], ["merged_into"])
        related = Case.related.through  # symmetrical: one row each way, as related.add() writes
        related.objects.bulk_create(
            [related(from_case_id=a.pk, to_case_id=b.pk) for pair in merged for a, b in (pair, pair[::-1])]
        )
    co = Case.co_units.through
    co.objects.bulk_create([co(case_id=h.case.pk, unit_id=u) for h in batch for u in h.co_units])
    Reporter.objects.bulk_create([h.reporter for h in batch if h.reporter])
    Party.objects.bulk_create([p for h in batch for p in h.parties])
    FollowUp.objects.bulk_create([f for h in batch for f in h.follow_ups])
    CaseRequest.objects.bulk_create([r for h in batch for r in h.requests])
    Supervision.objects.bulk_create([h.supervision for h in batch if h.supervision])


def generate_cases(
    county: County,
    n: int,
    *,
    now: datetime | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 2000,
    copy: bool | None = None,
) -> int:
    """Insert N cases for `county` (from build_county); deterministic for a given seed and `now`.
    On PostgreSQL the rows go in through COPY (`copy`: None), several times faster at benchmark sizes;
    the ORM writer, which SQLite uses, is the reference that it equals."""
    now = now or timezone.now()
    if copy is None:
        copy = connection.vendor == "postgresql"
    rng = random.Random(seed)
    ctx = Context(county, now)
    axis = TimeAxis(ctx.cal, now)
    forced: dict[int, str] = {}
    if n >= len(FORCED):
        forced = {(k + 1) * n // (len(FORCED) + 1): s for k, s in enumerate(FORCED)}
    late = axis.fraction(now - OVERDUE_AGE)
    first_late = int(late * n)
    late_slots = [i for i in range(first_late, n) if i not in forced][:OVERDUE_FOR_HANDLER]
    forced |= dict.fromkeys(late_slots, Status.IN_PROGRESS)
    done = 0
    while done < n:
        lives = []
        for i in range(done, min(done + batch, n)):
            # Slot i of n on the time axis: cases come out in time order.
            u = max(late, i / n) if i in late_slots else (i + rng.random()) / n
            h = _new_case(ctx, rng, axis.at(u), forced.get(i), for_handler=i in late_slots)
            ctx.pool.append(h)
            lives.append(h)
        _write(ctx, lives, copy)
        done += len(lives)
        if progress:
            progress(done, n)
    # 包案 plans need a past: played before 督办 adds its recent progress reports.
    seed_follow_through(ctx.users, now, rng)
    seed_supervision(ctx.users, now, rng)
    return done


def load_county() -> County:
    """The demo county that build_county left in the database, for seeding it again."""
    county = Region.objects.filter(code=COUNTY_CODE).first() or Region.objects.filter(level="county").first()
    if county is None:
        raise LookupError("数据库中还没有区划数据")
    c = County(code=county.code, towns=[], villages=defaultdict(list), grids=defaultdict(list), units={})
    regions = Region.objects.filter(code__startswith=county.code).exclude(code=county.code).order_by("code")
    for region in regions:
        if region.level == "town":
            c.towns.append(region)
        elif region.level == "village":
            c.villages[region.code[:9]].append(region)
        elif region.level == "grid":
            c.grids[region.code[:12]].append(region)
    suffixes = {"ZZZX": "centre", "SFS": "judicial", "PCS": "police"}
    for unit in Unit.objects.filter(region__code__startswith=county.code):
        head, _, tail = unit.code.partition("-")
        key = tail if head == county.code else f"{head}-{suffixes.get(tail, tail)}"
        c.units[key] = unit
    c.users = {u.username: u for u in User.objects.filter(username__in=ROLE_USERS)}
    return c
