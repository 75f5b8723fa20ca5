"""Reading 平安创建: the programmes, the register, the applications a user may see, the veto events of
an award year, and the 达标率 of a region.

达标率 (GOVERNANCE §9) of a region for a year = awarded ÷ subjects, where for each programme in force
(or the one asked for) the subjects are the villages and communities under the region for a programme
on villages, and the registered organisations (in the register, of the programme's kind) under it for a
programme on organisations; awarded are those of its subjects whose application of that year stands
awarded (a revoked award no longer counts). A rate is null when there are no subjects."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from pingan.accountability.selectors import listings_of
from pingan.accounts.scope import scope_of
from pingan.core.errors import DomainError, not_found
from pingan.core.periods import make
from pingan.core.validation import MAX_RECORD_ID
from pingan.regions.models import Region, subtree_q
from pingan.statistics.selectors import values_by_subject

from . import access
from .models import Application, ChecklistItem, Evidence, ItemScore, Organisation, Programme, Status

FIRST_YEAR, LAST_YEAR = 2000, 2099
VETO_STATES = (Status.NOTICE, Status.AWARDED)


def programmes(active_only: bool = True) -> QuerySet[Programme]:
    rows = Programme.objects.prefetch_related(
        Prefetch("items", queryset=ChecklistItem.objects.order_by("order", "id")), "veto_indicators"
    )
    return rows.filter(active=True) if active_only else rows


def total_points(programme: Programme) -> int:
    return sum(i.points for i in programme.items.all())


def check_year(raw) -> int:
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit() and FIRST_YEAR <= int(text) <= LAST_YEAR):
        raise DomainError(
            "invalid_year",
            f"年度“{text}”无效：请写四位年份，如 2026。",
            fields={"year": "应为 2000–2099 的年份"},
        )
    return int(text)


# ---------------------------------------------------------------- the register


def organisations(user, *, region: str = "", kind: str = "", q: str = "") -> QuerySet[Organisation]:
    where = access.readable_q(scope_of(user))
    rows = Organisation.objects.select_related("region", "region__parent")
    if where is None:
        return rows.none()
    rows = rows.filter(where)
    if region:
        rows = rows.filter(subtree_q("region", region))
    if kind:
        rows = rows.filter(kind=kind)
    if q:
        rows = rows.filter(name__contains=q)
    return rows.order_by("region_id", "name", "id")


def find_organisation(user, organisation_id) -> Organisation:
    if not 0 < int(organisation_id) <= MAX_RECORD_ID:
        raise not_found()
    found = organisations(user).filter(pk=organisation_id).first()
    if found is None:
        raise not_found()
    return found


# ---------------------------------------------------------------- applications


def applications(
    user, *, year: int | None = None, programme: str = "", region: str = "", status: str = ""
) -> QuerySet[Application]:
    where = access.readable_q(scope_of(user))
    rows = Application.objects.select_related(
        "programme", "village", "organisation", "region", "region__parent"
    )
    if where is None:
        return rows.none()
    rows = rows.filter(where)
    if year:
        rows = rows.filter(year=year)
    if programme:
        rows = rows.filter(programme__code=programme)
    if region:
        rows = rows.filter(subtree_q("region", region))
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("region_id", "programme__order", "programme__code", "id")


def find_application(user, application_id) -> Application:
    if not 0 < int(application_id) <= MAX_RECORD_ID:
        raise not_found()
    found = applications(user).filter(pk=application_id).first()
    if found is None:
        raise not_found()
    return found


def scores_of(application: Application) -> dict[int, int]:
    return dict(ItemScore.objects.filter(application=application).values_list("item_id", "score"))


def evidence_of(application: Application) -> list[Evidence]:
    return list(application.evidence.select_related("item", "uploaded_by").order_by("id"))


def on_notice(user) -> QuerySet[Application]:
    """The 公示 list: the applications in their notice period, the soonest to end first."""
    return applications(user).filter(status=Status.NOTICE).order_by("notice_ends", "region_id", "id")


# ---------------------------------------------------------------- veto events


def vetoes(apps: list[Application]) -> dict[int, str]:
    """{application id: the reason it is vetoed} for the village applications among `apps` whose award
    year holds a veto event of their programme: a 挂牌 of the village (confirmed, dated in the year), or a
    figure above 0 of a veto indicator (命案起数…) for the village in the year. Organisations are not
    vetoed by a village's events."""
    found: dict[int, str] = {}
    by_year: dict[int, list[Application]] = {}
    for app in apps:
        if app.village_id:
            by_year.setdefault(app.year, []).append(app)
    for year, group in by_year.items():
        period = make("year", year)
        codes = sorted({a.region_id for a in group})
        listed = (
            listings_of(codes, period.start, period.end)
            if any(a.programme.veto_listing for a in group)
            else {}
        )
        figures: dict[str, dict[str, tuple]] = {}
        indicators = {i.pk: i for a in group for i in a.programme.veto_indicators.all()}
        for indicator in indicators.values():
            for code, value in values_by_subject(indicator, period, "village", codes).items():
                if value and value > 0:
                    figures.setdefault(code, {})[indicator.code] = (indicator, value)
        for app in group:
            reasons = []
            entry = listed.get(app.region_id) if app.programme.veto_listing else None
            if entry is not None:
                reasons.append(f"{entry.date:%Y年%m月%d日}被挂牌整治")
            for indicator in app.programme.veto_indicators.all():
                hit = figures.get(app.region_id, {}).get(indicator.code)
                if hit:
                    reasons.append(f"{year}年{indicator.name} {hit[1].normalize():f}{indicator.unit}")
            if reasons:
                found[app.pk] = f"{app.region.name}{'；'.join(reasons)}，按一票否决撤销命名。"
    return found


# ---------------------------------------------------------------- 达标率


@dataclass(frozen=True)
class Rate:
    code: str
    name: str
    subjects: int
    awarded: int

    @property
    def rate(self) -> float | None:
        return round(self.awarded / self.subjects, 4) if self.subjects else None


def rate_region(user, code: str) -> Region:
    """The county or town whose rates are asked for: 404 when missing or out of scope, 400 below a town."""
    region = Region.objects.filter(code=str(code or "")).first()
    if region is None or not access.may_read(scope_of(user), region.code):
        raise not_found("没有该区划，或您无权查看该区划的创建达标率。")
    if region.level not in (Region.Level.COUNTY, Region.Level.TOWN):
        raise DomainError(
            "invalid_region",
            "达标率按县或乡镇（街道）查看，请给出县或乡镇的区划代码。",
            fields={"region": "应为县或乡镇代码"},
        )
    return region


def rates(region: Region, year: int, programme: Programme | None = None) -> tuple[list[Rate], Rate]:
    """达标率 per child (towns of a county, villages of a town) and in total; four queries whatever
    the size of the region."""
    chosen = [programme] if programme else list(Programme.objects.filter(active=True))
    child_len = len(region.code) + 3
    children = list(Region.objects.filter(parent=region).order_by("code").values_list("code", "name"))
    subjects: Counter[str] = Counter()
    village_programmes = sum(1 for p in chosen if p.for_villages)
    if village_programmes:
        villages = Region.objects.filter(code__startswith=region.code, level=Region.Level.VILLAGE)
        for code in villages.values_list("code", flat=True):
            subjects[code[:child_len]] += village_programmes
    kinds = [p.organisation_kind for p in chosen if not p.for_villages]
    if kinds:
        orgs = Organisation.objects.filter(subtree_q("region", region.code), active=True)
        for code, kind in orgs.values_list("region_id", "kind"):
            subjects[code[:child_len]] += sum(1 for k in kinds if k in ("", kind))
    awarded: Counter[str] = Counter()
    won = Application.objects.filter(
        subtree_q("region", region.code),
        year=year,
        status=Status.AWARDED,
        programme__in=[p.pk for p in chosen],
    ).filter(Q(village__isnull=False) | Q(organisation__active=True))
    for code in won.values_list("region_id", flat=True):
        awarded[code[:child_len]] += 1
    rows = [Rate(c, n, subjects[c], awarded[c]) for c, n in children]
    total = Rate(region.code, region.name, sum(subjects.values()), sum(awarded.values()))
    return rows, total
