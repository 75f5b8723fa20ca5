"""隐患排查 for the demo county (GOVERNANCE §9): a few hundred 九小场所 and key units with risk grades,
their inspections since registration (most on time, some late, some left overdue), recorded through the
real action so that each finding opens its `hazard` case; older findings' cases then rectified and
re-inspected, as the generator replays case histories (events checked against the transition table)."""

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from pingan.audit.changes import actor_name
from pingan.audit.log import record_many
from pingan.audit.models import AuditEntry
from pingan.cases import events
from pingan.cases.models import Case, Status
from pingan.cases.rules import due_from, limit_snapshot, step_due, suggest_lead_unit, time_limit
from pingan.inspections import actions
from pingan.inspections.models import Finding, InspectingUnit, Place, Recheck, RiskGrade

from .county import TOWN_SPAN, County, town_centre

PLACES_PER_TOWN = 27  # 324 in the demo's 12 towns
# kind: (weight, name endings, grade weights high/elevated/general/low)
KINDS = {
    "restaurant": (22, ("小吃店", "面馆", "饭店", "烧烤店", "快餐店"), (1, 3, 5, 1)),
    "shop": (18, ("便利店", "五金店", "副食店", "超市"), (0, 2, 5, 3)),
    "hotel": (6, ("宾馆", "旅社", "客栈"), (2, 4, 3, 1)),
    "netbar": (4, ("网咖", "网吧"), (1, 4, 4, 1)),
    "ktv": (4, ("KTV", "歌舞厅"), (3, 4, 3, 0)),
    "bath": (5, ("足浴店", "美容院", "浴室"), (1, 3, 5, 1)),
    "school": (6, ("幼儿园", "培训学校"), (2, 4, 4, 0)),
    "clinic": (6, ("诊所", "卫生室", "口腔诊所"), (1, 3, 5, 1)),
    "workshop": (12, ("木器加工厂", "服装加工点", "食品加工坊", "五金加工厂"), (3, 4, 3, 0)),
    "enterprise": (8, ("建材有限公司", "机械制造有限公司", "纺织有限公司"), (3, 4, 3, 0)),
    "construction": (5, ("安置房项目工地", "道路改造工地", "厂房建设工地"), (6, 4, 0, 0)),
    "chemicals": (4, ("加油站", "化工仓库", "液化气供应站"), (8, 2, 0, 0)),
}
GRADES = ("high", "elevated", "general", "low")
OWNERS = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗高"
ROADS = ("人民路", "建设路", "解放路", "新华街", "文化路", "工业园路", "滨河路", "站前路", "幸福路", "东风路")
# What an inspector writes against a failed item, by the item's hazard category.
FOUND = {
    "H01": (
        "灭火器压力不足，已超过检验期",
        "安全出口被货物堵塞",
        "疏散指示标志不亮",
        "插线板串接使用，电线私拉乱接",
        "店内设置住人床铺，形成“三合一”",
        "油烟管道油垢积聚，未定期清洗",
    ),
    "H02": ("燃气软管老化开裂", "未安装可燃气体报警装置", "液化气钢瓶超量存放"),
    "H03": ("易燃物品超量存放", "危险化学品未分类存放", "防雷检测报告过期"),
    "H04": ("脚手架连墙件缺失", "临时用电未使用三级配电", "作业人员未佩戴安全帽"),
    "H06": ("围墙局部开裂倾斜", "大型玩具固定螺栓松动"),
    "H07": ("电动自行车在楼道内充电", "电动自行车停放在疏散通道"),
    "H08": (
        "安全责任人不明确，员工不会使用灭火器",
        "特种设备未按期检验",
        "应急预案未演练",
        "机械设备防护罩缺失",
    ),
}
STOP, LATE = 0.06, 0.18  # a place no longer inspected (overdue by now); an inspection after its due day
ONE_FINDING, TWO_FINDINGS = 0.14, 0.04
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def _weighted(rng: random.Random, options, weights):
    return rng.choices(options, weights=weights)[0]


def _places(
    county: County, rng: random.Random, today: date, grades: dict[str, RiskGrade], count: int
) -> list[Place]:
    places = []
    kinds = list(KINDS)
    for n in range(count):
        kind = _weighted(rng, kinds, [KINDS[k][0] for k in kinds])
        _, endings, grade_weights = KINDS[kind]
        index = rng.randrange(len(county.towns))
        town = county.towns[index]
        village = rng.choice(county.villages[town.code])
        grade = grades[_weighted(rng, GRADES, grade_weights)]
        owner = rng.choice(OWNERS)
        small = kind in ("restaurant", "shop", "bath")
        name = (
            village.name[:2] + owner + "记" if small else town.name[:2] + rng.choice(OWNERS)
        ) + rng.choice(endings)
        registered = today - timedelta(days=rng.randint(45, 240))
        lat, lng = town_centre(index)
        places.append(
            Place(
                kind=kind,
                name=f"{name}（{n + 1:03d}）" if n % 7 == 0 else name,
                region=village,
                address=f"{village.name}{rng.choice(ROADS)}{rng.randint(1, 200)}号",
                lat=round(lat + rng.uniform(-0.3, 0.3) * TOWN_SPAN[0], 6),
                lng=round(lng + rng.uniform(-0.3, 0.3) * TOWN_SPAN[1], 6),
                responsible_unit=f"{name}（经营者：{owner}某）" if small else name,
                grade=grade,
                registered_on=registered,
                next_due_on=registered + timedelta(days=grade.interval_days),
            )
        )
    Place.objects.bulk_create(places)
    return places


def _inspect(county: County, place: Place, day: date, rng: random.Random, checklists: dict) -> None:
    items = checklists.setdefault(place.kind, actions.checklist(place))
    roll = rng.random()
    count = 2 if roll < TWO_FINDINGS else 1 if roll < TWO_FINDINGS + ONE_FINDING else 0
    failed = rng.sample(items, count)
    by = (
        county.users["handler"]
        if place.region_id.startswith(county.towns[0].code)
        else county.users["dispatcher"]
    )
    at = datetime.combine(
        day, time(rng.randint(9, 16), rng.randint(0, 59)), tzinfo=timezone.get_current_timezone()
    )
    actions.record_inspection(
        by,
        {
            "place": place.pk,
            "inspected_on": day.isoformat(),
            "results": [
                {
                    "item": i.pk,
                    "result": "failed" if i in failed else ("na" if rng.random() < 0.05 else "passed"),
                }
                for i in items
            ],
            "findings": [
                {
                    "item": i.pk,
                    "description": rng.choice(FOUND.get(i.category, FOUND["H08"])),
                    "severity": "major" if rng.random() < 0.08 else "normal",
                }
                for i in failed
            ],
        },
        now=at,
    )


def _history(place: Place, today: date, rng: random.Random) -> list[date]:
    """The days the place was inspected: each near its due day, now and then late, sometimes no more."""
    days: list[date] = []
    interval = place.grade.interval_days
    due = place.registered_on + timedelta(days=interval)
    while due < today + timedelta(days=10):
        roll = rng.random()
        if roll < STOP:
            break
        if roll < STOP + LATE:
            day = due + timedelta(days=rng.randint(1, 25))
        else:
            day = due - timedelta(days=rng.randint(0, min(12, interval - 1)))
        day = max(day, days[-1] if days else place.registered_on)
        if day > today:
            break
        days.append(day)
        due = day + timedelta(days=interval)
    return days


class _Walk:
    """A finding's case replayed forward: 受理, 分派, 签收, 办结 and, after the re-inspection, 结案."""

    def __init__(self, case: Case, rng: random.Random, dispatcher: str):
        self.case, self.rng, self.dispatcher = case, rng, dispatcher
        self.t = case.reported_at
        self.events: list[events.NewEvent] = []

    def _step(self, action: str, by: str, hours: tuple[float, float], change) -> None:
        before = events.Before.of(self.case)
        self.t += self.rng.uniform(*hours) * HOUR
        data = change(self.case, self.t) or {}
        self.events.append(events.new_event(self.case, action, by=by, at=self.t, before=before, data=data))

    def run(self, end: str, today_end: datetime) -> None:
        def accept(c, t):
            c.status, c.accepted_at = Status.ACCEPTED, t
            c.resolve_limit = limit_snapshot(time_limit(c, "resolve", timezone.localtime(t).date()))
            c.resolve_due = due_from(t, c.resolve_limit)
            return {"note": "", "resolve_due": c.resolve_due}

        def dispatch(c, t):
            lead = suggest_lead_unit(c.category, c.region_id, timezone.localtime(t).date())
            c.status, c.lead_unit, c.dispatched_at, c.sign_due = (
                Status.DISPATCHED,
                lead,
                t,
                step_due(c, "sign", t),
            )
            return {
                "lead_unit": lead.code if lead else None,
                "co_units": [],
                "handler": None,
                "designated": False,
                "sign_due": c.sign_due,
                "note": "",
            }

        def sign(c, t):
            c.status, c.signed_at, c.sign_due = Status.IN_PROGRESS, t, None
            return {"note": ""}

        def resolve(c, t):
            c.status, c.resolved_at, c.outcome = Status.RESOLVED, t, Case.Outcome.RESOLVED
            c.outcome_summary = "已按整改通知书要求整改到位，附整改后照片。"
            c.check_due = step_due(c, "check", t)
            return {
                "outcome": c.outcome,
                "summary": c.outcome_summary,
                "evidence": [],
                "check_due": c.check_due,
            }

        def close(c, t):
            c.status, c.closed_at, c.check_due = Status.CLOSED, t, None
            return {"note": "现场复查合格：隐患已整改到位"}

        plan = [
            ("accept", self.dispatcher, (1, 20), accept),
            ("dispatch", self.dispatcher, (1, 8), dispatch),
            ("sign", "system", (1, 4), sign),
            ("resolve", "system", (72, 300), resolve),
            ("check_pass", self.dispatcher, (24, 96), close),
        ]
        stop = {"accepted": 1, "dispatched": 2, "in_progress": 3, "resolved": 4, "closed": 5}[end]
        for action, by, hours, change in plan[:stop]:
            if self.t + hours[1] * HOUR > today_end:
                break
            self._step(action, by, hours, change)


def _rectify(county: County, rng: random.Random, now: datetime) -> int:
    """Walk the findings' cases by age: the older ones rectified and re-inspected."""
    dispatcher = county.users["dispatcher"]
    walked, rechecks, entries = [], [], []
    findings = Finding.objects.select_related("case__category", "inspection__place").order_by("pk")
    for f in findings:
        case = f.case
        age = (now - case.reported_at) / DAY
        if age < 3:
            continue
        if age > 30:
            end = _weighted(rng, ["closed", "resolved", "in_progress"], [85, 9, 6])
        elif age > 12:
            end = _weighted(rng, ["resolved", "in_progress", "closed"], [45, 40, 15])
        else:
            end = _weighted(rng, ["accepted", "dispatched", "in_progress"], [2, 4, 4])
        walk = _Walk(case, rng, dispatcher.username)
        walk.run(end, now)
        if walk.events:
            walked.append(walk)
        if case.status == Status.CLOSED and case.closed_at is not None:
            rechecks.append(
                Recheck(
                    finding=f,
                    rechecked_on=timezone.localtime(case.closed_at).date(),
                    passed=True,
                    note="隐患已整改到位",
                    effect=Recheck.Effect.CLOSED,
                    recorded_by=dispatcher,
                    recorded_at=case.closed_at,
                )
            )
            entries.append(
                AuditEntry(
                    at=timezone.now(),
                    actor=actor_name(dispatcher),
                    action="inspection.recheck",
                    object_type="inspections.place",
                    object_id=str(f.inspection.place_id),
                    data={"finding": f.pk, "case": case.number, "passed": True, "effect": "check_pass"},
                )
            )
    cases = [w.case for w in walked]
    Case.objects.bulk_update(
        cases,
        [
            "status",
            "accepted_at",
            "resolve_limit",
            "resolve_due",
            "lead_unit",
            "dispatched_at",
            "sign_due",
            "signed_at",
            "resolved_at",
            "outcome",
            "outcome_summary",
            "check_due",
            "closed_at",
        ],
        batch_size=200,
    )
    events.write_many([e for w in walked for e in w.events], quiet=True)
    Recheck.objects.bulk_create(rechecks)
    Recheck.inspectors.through.objects.bulk_create(
        [Recheck.inspectors.through(recheck_id=r.pk, user_id=dispatcher.pk) for r in rechecks]
    )
    record_many(entries)
    return len(walked)


@transaction.atomic
def seed_inspections(
    county: County, *, today: date | None = None, seed: int = 0, places: int | None = None
) -> tuple[int, int, int]:
    """Places, their inspections and the findings' cases; nothing when places exist. Returns the counts
    of places, inspections and findings."""
    if Place.objects.exists():
        return 0, 0, 0
    today = today or timezone.localdate()
    rng = random.Random(seed)
    InspectingUnit.objects.get_or_create(unit=county.units["YJJ"])
    grades = {g.code: g for g in RiskGrade.objects.all()}
    made = _places(county, rng, today, grades, places or PLACES_PER_TOWN * len(county.towns))
    record_many(
        [
            AuditEntry(
                at=timezone.now(),
                actor=actor_name(None),
                action="inspection.place_create",
                object_type="inspections.place",
                object_id=str(p.pk),
                data={"name": p.name, "kind": p.kind, "region": p.region_id, "grade": p.grade_id},
            )
            for p in made
        ]
    )
    checklists: dict = {}
    inspections = 0
    for place in made:
        for day in _history(place, today, rng):
            _inspect(county, place, day, rng, checklists)
            inspections += 1
    _rectify(county, rng, timezone.now())
    return len(made), inspections, Finding.objects.count()
