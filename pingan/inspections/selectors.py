"""Reading the place register, its inspections and findings, who may do what with them, and the two
rates (GOVERNANCE §9): 排查覆盖率 and 整改率.

Who reads: leaders, supervisors, dispatchers and grid workers in their region's subtree, and whoever
manages places. Who manages (registers and edits places, records inspections and re-inspections): the
dispatchers of a region, the handlers and heads of a town's own unit (乡镇综治中心, kind `town`) in that
town, and those of an 排查检查单位 (admin: the 县应急管理局) in their unit's region."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from pydantic import BaseModel, Field

from pingan.accounts.scope import scope_of
from pingan.cases.models import Case, Status
from pingan.core.errors import not_found
from pingan.core.periods import Period
from pingan.core.validation import MAX_RECORD_ID
from pingan.regions.models import Region, Unit, subtree_q

from .models import Finding, Inspection, Place, Recheck

READERS = ("leader", "supervisor", "dispatcher", "grid_worker")
UNIT_MANAGERS = ("handler", "unit_head")
RECTIFIED = (Status.RESOLVED, Status.CLOSED, Status.ARCHIVED)
AWAITING_RECHECK = (Status.RESOLVED, Status.CLOSED)
DROPPED = (Status.REJECTED, Status.WITHDRAWN, Status.MERGED)


# ---------------------------------------------------------------- who


def managed_regions(user) -> tuple[str, ...]:
    """The region codes under which the user registers places and records inspections."""
    cached = getattr(user, "_pingan_inspection_regions", None)
    if cached is not None:
        return cached
    scope = scope_of(user)
    codes = set(scope.regions_for("dispatcher"))
    units = scope.units_for(*UNIT_MANAGERS)
    if units:
        codes |= set(
            Unit.objects.filter(pk__in=units, active=True)
            .filter(Q(kind=Unit.Kind.TOWN) | Q(inspecting__isnull=False))
            .values_list("region_id", flat=True)
        )
    kept: list[str] = []
    for code in sorted(codes, key=len):
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    user._pingan_inspection_regions = result = tuple(sorted(kept))
    return result


def read_regions(user) -> tuple[str, ...]:
    codes = set(scope_of(user).regions_for(*READERS)) | set(managed_regions(user))
    return tuple(sorted(c for c in codes if not any(c != k and c.startswith(k) for k in codes)))


def may_manage(user, region_code: str) -> bool:
    return any(region_code.startswith(c) for c in managed_regions(user))


def may_read(user, region_code: str) -> bool:
    return any(region_code.startswith(c) for c in read_regions(user))


def top_region(user) -> str | None:
    codes = read_regions(user)
    return min(codes, key=len) if codes else None


def _subtrees(field: str, codes: tuple[str, ...]) -> Q | None:
    if not codes:
        return None
    q = subtree_q(field, codes[0])
    for code in codes[1:]:
        q |= subtree_q(field, code)
    return q


def visible_places(user) -> QuerySet[Place]:
    q = _subtrees("region", read_regions(user))
    return Place.objects.none() if q is None else Place.objects.filter(q)


def _valid_id(pk: object) -> int | None:
    """A record id from a path or a body; anything else finds nothing (and never overflows a query)."""
    return pk if isinstance(pk, int) and 0 < pk <= MAX_RECORD_ID else None


def find_place(user, pk: int | None) -> Place:
    """The place if the user may read it; missing and out of reach are the same 404."""
    pk = _valid_id(pk)
    place = (
        visible_places(user).select_related("region__parent", "grade").filter(pk=pk).first() if pk else None
    )
    if place is None:
        raise not_found("未找到该场所，或您无权查看。")
    return place


def find_finding(user, pk: int | None) -> Finding:
    pk = _valid_id(pk)
    found = (
        Finding.objects.filter(inspection__place__in=visible_places(user))
        .select_related("inspection__place__region", "case")
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if found is None:
        raise not_found("未找到该问题，或您无权查看。")
    return found


def find_inspection(user, pk: int | None) -> Inspection:
    pk = _valid_id(pk)
    found = (
        Inspection.objects.filter(place__in=visible_places(user))
        .select_related("place__region__parent", "place__grade", "recorded_by")
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if found is None:
        raise not_found("未找到该检查记录，或您无权查看。")
    return found


def inspectors_for(region_code: str) -> list:
    """Active users who manage places in the region: whom an inspection may name as inspectors."""
    from pingan.accounts.models import RoleGrant, User

    prefixes = [region_code[:n] for n in (6, 9, 12) if n <= len(region_code)]
    grants = RoleGrant.objects.filter(
        Q(role="dispatcher", region_id__in=prefixes)
        | Q(role__in=UNIT_MANAGERS, unit__region_id__in=prefixes, unit__active=True)
        & (Q(unit__kind=Unit.Kind.TOWN) | Q(unit__inspecting__isnull=False))
    )
    return list(User.objects.filter(is_active=True, grants__in=grants).distinct().order_by("username"))


# ---------------------------------------------------------------- the register


class PlaceFilter(BaseModel):
    region: str | None = Field(None, max_length=15, description="区划代码（含下级），如乡镇")
    kind: str | None = Field(None, max_length=16, description="场所类型代码，如 restaurant")
    grade: str | None = Field(None, max_length=16, description="风险等级代码，如 high")
    overdue: bool | None = Field(None, description="true：已过下次检查截止日仍未检查的")
    q: str | None = Field(None, max_length=50, description="场所名称、地址或责任单位中的文字")


def filter_places(qs: QuerySet[Place], f: PlaceFilter, today: date) -> QuerySet[Place]:
    if f.region:
        qs = qs.filter(subtree_q("region", f.region))
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.grade:
        qs = qs.filter(grade_id=f.grade)
    if f.overdue is not None:
        qs = qs.filter(next_due_on__lt=today) if f.overdue else qs.filter(next_due_on__gte=today)
    if f.q:
        qs = qs.filter(Q(name__contains=f.q) | Q(address__contains=f.q) | Q(responsible_unit__contains=f.q))
    return qs


def places(user, f: PlaceFilter, today: date) -> QuerySet[Place]:
    return (
        filter_places(visible_places(user).filter(active=True), f, today)
        .select_related("region__parent", "grade")
        .order_by("next_due_on", "pk")
    )


# ---------------------------------------------------------------- findings and re-inspections

FINDING_STATES = {
    "rectifying": "整改中",
    "awaiting_recheck": "待复查",
    "verified": "复查合格",
    "recheck_failed": "复查不合格",
    "archived": "已归档",
    "dropped": "未立案整改",
}


def pending_recheck_q() -> Q:
    """Findings whose case was resolved (or closed) and not re-inspected since."""
    since = Recheck.objects.filter(finding=OuterRef("pk"), recorded_at__gte=OuterRef("case__resolved_at"))
    return Q(case__status__in=AWAITING_RECHECK, case__resolved_at__isnull=False) & ~Q(Exists(since))


def finding_state(finding: Finding, rechecks: list[Recheck]) -> str:
    """`rechecks`: the finding's, newest first."""
    case = finding.case
    if case.status in DROPPED:
        return "dropped"
    if case.status not in RECTIFIED or case.resolved_at is None:
        return "rectifying"
    latest = next((r for r in rechecks if r.recorded_at >= case.resolved_at), None)
    if latest is not None:
        return "verified" if latest.passed else "recheck_failed"
    return "archived" if case.status == Status.ARCHIVED else "awaiting_recheck"


@dataclass(frozen=True)
class FindingRow:
    finding: Finding
    state: str
    rechecks: list[Recheck]
    case_visible: bool

    @property
    def state_label(self) -> str:
        return FINDING_STATES[self.state]


def finding_rows(user, findings: QuerySet[Finding]) -> list[FindingRow]:
    """Findings with their state, re-inspections and whether the user may open the case page."""
    found = list(
        findings.select_related("case", "item", "inspection").order_by("-inspection__inspected_on", "pk")
    )
    rechecks: dict[int, list[Recheck]] = defaultdict(list)
    for r in Recheck.objects.filter(finding__in=[f.pk for f in found]).select_related("recorded_by"):
        rechecks[r.finding_id].append(r)
    visible = set(
        Case.objects.visible_to(user).filter(pk__in=[f.case_id for f in found]).values_list("pk", flat=True)
    )
    return [
        FindingRow(f, finding_state(f, rechecks[f.pk]), rechecks[f.pk], f.case_id in visible) for f in found
    ]


def pending_rechecks(user) -> QuerySet[Finding]:
    """The 待复查 list: findings in reach whose case is resolved and not re-inspected, oldest first."""
    return (
        Finding.objects.filter(inspection__place__in=visible_places(user).values("pk"))
        .filter(pending_recheck_q())
        .select_related("case", "inspection__place__region__parent")
        .order_by("case__resolved_at", "pk")
    )


# ---------------------------------------------------------------- 排查覆盖率 and 整改率


def _window(period: Period, today: date) -> tuple[date, date]:
    """[start, end) of the days whose due dates have come: a due day still ahead (or today, when the
    place may yet be inspected) is not counted."""
    return period.start, min(period.end, today)


@dataclass
class Coverage:
    region: Region
    due: int = 0  # places due in the period (a due day in it, or overdue when it began)
    on_schedule: int = 0  # of those, inspected by every due day the period holds
    findings: int = 0  # findings of inspections in the period
    rectified: int = 0  # of those, whose case is resolved, closed or archived

    @property
    def coverage(self) -> float | None:
        return round(self.on_schedule / self.due, 4) if self.due else None

    @property
    def rectification_rate(self) -> float | None:
        return round(self.rectified / self.findings, 4) if self.findings else None


def coverage_rows(code: str, period: Period, today: date | None = None) -> tuple[list[Coverage], Coverage]:
    """排查覆盖率 and 整改率 of the subtree of `code` for a period, per child region (a county's towns, a
    town's villages) and in total.

    A place is due in the period when one of its inspection cycles falls due in it, or was already overdue
    when the period began. A cycle runs from an inspection (or the registration) to the next one and falls
    due on the day recorded then (the grade's interval at the time): an inspection closes it on schedule
    when it came on or before that day. The place is inspected on schedule when every such cycle was."""
    today = today or timezone.localdate()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise not_found()
    start, end = _window(period, today)
    children = list(Region.objects.filter(parent=region).order_by("code")) or [region]
    rows = {r.code: Coverage(r) for r in children}
    width = len(children[0].code)
    total = Coverage(region)
    met: dict[int, bool] = {}  # place → every relevant cycle met
    where: dict[int, str] = {}
    for pk, region_id, next_due in Place.objects.filter(subtree_q("region", code), active=True).values_list(
        "pk", "region_id", "next_due_on"
    ):
        where[pk] = region_id[:width]
        if next_due < end:  # the open cycle: due in the window or overdue at its start, and not inspected
            met[pk] = False
    closed = Inspection.objects.filter(
        subtree_q("place__region", code), place__active=True, due_on__lt=end
    ).filter(Q(due_on__gte=start) | Q(inspected_on__gte=start))
    for place_id, on_schedule in closed.values_list("place_id", "on_schedule"):
        met[place_id] = met.get(place_id, True) and on_schedule
    for place_id, ok in met.items():
        row = rows.get(where.get(place_id, ""))
        for target in (row, total) if row else (total,):
            target.due += 1
            target.on_schedule += ok
    found = Finding.objects.filter(
        subtree_q("inspection__place__region", code),
        inspection__inspected_on__gte=period.start,
        inspection__inspected_on__lt=period.end,
    ).values_list("inspection__place__region_id", "case__status")
    for region_id, status in found:
        row = rows.get(region_id[:width])
        for target in (row, total) if row else (total,):
            target.findings += 1
            target.rectified += status in RECTIFIED
    return list(rows.values()), total
