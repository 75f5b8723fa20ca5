"""平安创建 for the demo county (GOVERNANCE §9): five programmes with their checklists, a register of
schools, clinics, markets, offices and enterprises in every town, last year's cycle complete (most
villages and many organisations awarded, a few not passed, one award revoked by a 命案 imported
afterwards through the statistics import), this year's cycle under way in every state, and village
figures of 刑事案件 and 生产安全事故 for the last three months so that the 三零 table has something to
judge (a few villages left 未报)."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from pingan.audit.changes import actor_name
from pingan.audit.log import record_many
from pingan.audit.models import AuditEntry
from pingan.core.periods import make, period_of
from pingan.creation.models import (
    Application,
    ChecklistItem,
    ItemScore,
    Organisation,
    Programme,
    Status,
    SubjectKind,
)
from pingan.creation.sweep import revoke_vetoed
from pingan.statistics.actions import NewFigure, set_values
from pingan.statistics.models import Indicator, StatisticValue

from .county import County

# code, name, subject kind, organisation kind, pass mark, checklist (text, points)
PROGRAMMES = (
    ("safe_village", "平安村（社区）", "village", "", 85, (
        ("村（社区）党组织领导平安建设，综治中心、网格化服务管理规范运行", 15),
        ("矛盾纠纷每月排查、就地化解，“三零”创建有台账", 20),
        ("群防群治队伍健全，重点时段巡逻防控落实", 15),
        ("安全隐患排查整改到位，消防、燃气、自建房无重大隐患", 15),
        ("法治宣传和平安建设宣传覆盖每户，群众知晓率高", 10),
        ("村规民约健全，移风易俗、家庭文明建设有成效", 10),
        ("全年无命案、无重大群体性事件、无重大安全事故", 15),
    )),
    ("safe_unit", "平安单位", "organisation", "unit", 85, (
        ("单位主要负责人履行平安建设第一责任，制度健全", 20),
        ("内部安全保卫、值班值守制度落实", 20),
        ("消防设施完好，应急预案定期演练", 20),
        ("内部矛盾纠纷及时排查化解，无越级上访", 20),
        ("全年无刑事案件、无安全责任事故", 20),
    )),
    ("safe_campus", "平安校园", "organisation", "school", 90, (
        ("校园封闭管理，门卫、视频监控、一键报警到位", 20),
        ("护校队伍和上下学时段护学岗落实", 15),
        ("食品安全、校车安全管理规范", 20),
        ("防欺凌、防溺水、心理健康教育覆盖全体学生", 20),
        ("周边治安和交通秩序整治有成效", 15),
        ("全年无重大校园安全事故", 10),
    )),
    ("safe_hospital", "平安医院", "organisation", "hospital", 90, (
        ("安检、保安配备和警医联动机制落实", 25),
        ("医疗纠纷人民调解组织运行规范", 25),
        ("危化品、放射源、消防安全管理到位", 25),
        ("全年无严重涉医违法犯罪和重大医疗安全事故", 25),
    )),
    ("safe_market", "平安市场", "organisation", "market", 85, (
        ("市场管理方安全主体责任落实，制度上墙", 20),
        ("消防通道畅通，电气线路规范，燃气使用安全", 30),
        ("经营秩序良好，消费纠纷及时调处", 25),
        ("食品安全和计量监管检查合格", 25),
    )),
)  # fmt: skip
# A town's register: (kind, name pattern), the town's name in front.
ORGANISATIONS = (
    ("school", "{town}中心小学"), ("school", "{town}初级中学"), ("hospital", "{town}卫生院"),
    ("market", "{town}农贸市场"), ("unit", "{town}便民服务中心"),
    ("enterprise", "{town}{village}建材有限公司"),
)  # fmt: skip
LAST_YEAR_AWARDED, LAST_YEAR_FAILED = 0.72, 0.08


def create_programmes() -> list[Programme]:
    """The five demo programmes; an existing code is left as it is. 平安村 is vetoed by a listing and by
    a 命案 (indicator `homicide`)."""
    homicide = Indicator.objects.filter(code="homicide").first()
    out = []
    for order, (code, name, kind, org_kind, mark, items) in enumerate(PROGRAMMES):
        programme, created = Programme.objects.get_or_create(
            code=code,
            defaults={"name": name, "subject_kind": kind, "organisation_kind": org_kind, "pass_mark": mark,
                      "order": order, "veto_listing": kind == SubjectKind.VILLAGE},
        )  # fmt: skip
        if created:
            ChecklistItem.objects.bulk_create(
                ChecklistItem(programme=programme, order=i, text=t, points=p)
                for i, (t, p) in enumerate(items)
            )
            if kind == SubjectKind.VILLAGE and homicide is not None:
                programme.veto_indicators.add(homicide)
        out.append(programme)
    return out


def seed_creation(county: County, *, today: date | None = None, seed: int = 0) -> int:
    """Everything above; nothing when any application exists. Returns how many applications."""
    if Application.objects.exists():
        return 0
    today = today or timezone.localdate()
    rng = random.Random(seed)
    programmes = {p.code: p for p in create_programmes()}
    orgs = _register(county)
    with transaction.atomic():
        count = _cycles(county, programmes, orgs, today, rng)
    _village_figures(county, today, rng)
    _homicide_after_award(county, today)
    return count


def _register(county: County) -> list[Organisation]:
    if Organisation.objects.exists():
        return list(Organisation.objects.filter(active=True))
    rows = []
    for town in county.towns:
        villages = county.villages[town.code]
        for i, (kind, pattern) in enumerate(ORGANISATIONS):
            village = villages[i % len(villages)]
            name = pattern.format(town=town.name, village=village.name)
            rows.append(
                Organisation(name=name, kind=kind, region=village, address=f"{village.name}{i + 1}号")
            )
    Organisation.objects.bulk_create(rows)
    return list(Organisation.objects.filter(active=True))


def _subjects(county: County, programmes: dict, orgs: list[Organisation]):
    for town in county.towns:
        for village in county.villages[town.code]:
            yield programmes["safe_village"], village, None
    for org in orgs:
        for p in programmes.values():
            if not p.for_villages and p.organisation_kind in ("", org.kind):
                yield p, None, org


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(
        day, time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=timezone.get_current_timezone()
    )


def _cycles(county, programmes, orgs, today: date, rng: random.Random) -> int:
    supervisor, filer = county.users["supervisor"], county.users.get("handler")
    reviewer = county.users.get("unit_head")
    items = {p.pk: list(p.items.all()) for p in programmes.values()}
    apps: list[Application] = []
    for programme, village, org in _subjects(county, programmes, orgs):
        place = village or org.region
        for year, states in ((today.year - 1, _last_year(rng)), (today.year, _this_year(rng, today))):
            if states is None:
                continue
            status, passed = states
            app = Application(
                programme=programme, year=year, village=village, organisation=org, region=place,
                status=status, created_by=filer, created_at=_at(date(year, 3, 1), rng),
            )  # fmt: skip
            _dates(app, programme, year, today, rng, supervisor, filer, reviewer, passed)
            apps.append(app)
    Application.objects.bulk_create(apps, batch_size=500)
    scores, entries = [], []
    for app in apps:
        if app.status == Status.DRAFT and rng.random() < 0.5:
            continue  # just started: nothing scored yet
        total = 0
        for item in items[app.programme_id]:  # at or above the pass mark: a submission needs it
            score = rng.randint(item.points - 1, item.points)
            scores.append(ItemScore(application=app, item=item, score=score))
            total += score
        app.score = total
        entries.append(
            AuditEntry(at=timezone.now(), actor=actor_name(supervisor), action="creation.start",
                       object_type="creation.application", object_id=str(app.pk),
                       data={"programme": app.programme.code, "year": app.year, "status": app.status})
        )  # fmt: skip
    ItemScore.objects.bulk_create(scores, batch_size=2000)
    Application.objects.bulk_update(apps, ["score"], batch_size=500)
    record_many(entries)
    return len(apps)


def _last_year(rng: random.Random):
    roll = rng.random()
    if roll < LAST_YEAR_AWARDED:
        return Status.AWARDED, True
    if roll < LAST_YEAR_AWARDED + LAST_YEAR_FAILED:
        return Status.REJECTED, False
    return None  # did not apply


def _this_year(rng: random.Random, today: date):
    if rng.random() < 0.3:
        return None
    roll = rng.random()
    for share, status in ((0.3, Status.DRAFT), (0.55, Status.SUBMITTED), (0.75, Status.REVIEWED),
                          (0.85, Status.NOTICE), (0.97, Status.AWARDED)):  # fmt: skip
        if roll < share:
            return status, True
    return Status.REJECTED, False


def _dates(app, programme, year, today, rng, supervisor, filer, reviewer, passed) -> None:
    """The step times of a demo application: last year's spread over the year, this year's before today."""
    last = min(today - timedelta(days=1), date(year, 12, 20))
    order = [Status.DRAFT, Status.SUBMITTED, Status.REVIEWED, Status.NOTICE, Status.AWARDED]
    reached = order.index(app.status) if app.status in order else 2
    day = date(year, 3, 1) if year < today.year else max(date(year, 1, 2), today - timedelta(days=60))
    span = max((last - day).days, 8)
    steps = sorted(min(day + timedelta(days=rng.randint(1, span)), last) for _ in range(4))
    if reached >= 1:
        app.submitted_by, app.submitted_at = filer, _at(steps[0], rng)
    if reached >= 2:
        app.reviewed_by, app.reviewed_at, app.review_note = (
            reviewer,
            _at(steps[1], rng),
            "经实地核查，材料属实。",
        )
    if app.status == Status.REJECTED:
        app.decided_by, app.decided_at = supervisor, _at(steps[2], rng)
        app.decision_note = "县级实地复核发现群众安全感测评未达标，不予认定。"
    if reached >= 3:
        start = today - timedelta(days=rng.randint(0, 5))  # on notice now
        if app.status == Status.AWARDED:  # the notice is over
            start = min(steps[2], today - timedelta(days=programme.notice_days + 1))
        app.decided_by, app.decided_at, app.decision_note = (
            supervisor,
            _at(start, rng),
            "同意认定，予以公示。",
        )
        app.notice_starts, app.notice_ends = start, start + timedelta(days=programme.notice_days - 1)
    if reached >= 4:
        app.awarded_at = _at(app.notice_ends + timedelta(days=1), rng)


def _village_figures(county: County, today: date, rng: random.Random) -> None:
    """Three months of 刑事案件 and 生产安全事故 per village of the first four towns; about one village
    in twelve reports nothing (未报)."""
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=("criminal_cases", "work_accidents"))}
    if len(indicators) < 2 or StatisticValue.objects.filter(region__level="village").exists():
        return
    month = period_of("month", today.replace(day=1)).previous()
    figures = []
    for _ in range(3):
        for town in county.towns[:4]:
            for village in county.villages[town.code]:
                if rng.random() < 0.08:
                    continue
                for code, chance in (("criminal_cases", 0.35), ("work_accidents", 0.06)):
                    f = NewFigure(indicators[code], month, village, None)
                    f.value = Decimal(rng.randint(1, 2) if rng.random() < chance else 0)
                    figures.append(f)
        month = month.previous()
    set_values(figures, by=county.users["supervisor"], via=StatisticValue.Via.IMPORT)


def _homicide_after_award(county: County, today: date) -> None:
    """A 命案 imported for an awarded village of last year: the import's hook revokes the award."""
    homicide = Indicator.objects.filter(code="homicide").first()
    awarded = (
        Application.objects.filter(year=today.year - 1, status=Status.AWARDED, village__isnull=False)
        .order_by("region_id")  # in the first town, whose demo handler is told
        .first()
    )
    if homicide is None or awarded is None:
        return
    f = NewFigure(homicide, make("month", today.year - 1, 11), awarded.village, None)
    f.value = Decimal(1)
    set_values([f], by=county.users["supervisor"], via=StatisticValue.Via.IMPORT)
    revoke_vetoed([awarded.region_id])  # in case the import ran inside a transaction (no hook yet)
