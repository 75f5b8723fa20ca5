"""Hazard inspections (GOVERNANCE §9): the place register, recording an inspection (each finding opens
a `hazard` case linked to the place) and 排查覆盖率 / 整改率 by town."""

from datetime import date
from decimal import Decimal

from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from pingan.core.errors import not_found
from pingan.core.periods import parse_period, period_of
from pingan.inspections import actions, selectors
from pingan.inspections.models import Inspection, Place
from pingan.inspections.schemas import InspectionIn, PlaceIn

from .schemas import SIGNED_IN, Out, Ref, answers

router = Router(tags=["隐患排查"])
MAX_LIMIT = 200


class PlaceOut(Out):
    id: int
    kind: str
    kind_label: str
    name: str
    region: Ref
    town: Ref | None
    address: str
    lat: Decimal | None
    lng: Decimal | None
    responsible_unit: str
    grade: str
    grade_label: str
    interval_days: int
    registered_on: date
    last_inspected_on: date | None
    next_due_on: date
    overdue: bool = Field(description="已过下次检查截止日仍未检查")


class PlacePage(Out):
    items: list[PlaceOut]
    total: int
    offset: int
    limit: int


class PlaceQuery(selectors.PlaceFilter):
    offset: int = Field(0, ge=0, le=1_000_000, description="跳过的条数")
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="每页条数，1–200")


class FindingOut(Out):
    id: int
    item: int | None
    description: str
    severity: str
    case: str = Field(description="开出的安全隐患案件编号")


class InspectionOut(Out):
    id: int
    place: int
    inspected_on: date
    due_on: date = Field(description="本次检查应在此日前完成")
    on_schedule: bool
    inspectors: list[str]
    note: str
    findings: list[FindingOut]
    cases: list[str] = Field(description="发现问题开出的安全隐患案件编号，顺序同 findings")


class CoverageRow(Out):
    region: Ref
    due: int = Field(description="应检查场所数：期间内到了检查截止日、或期间开始时已逾期未检查的场所")
    on_schedule: int = Field(description="其中按期检查的场所数")
    coverage: float | None = Field(description="排查覆盖率 = on_schedule ÷ due；无应检查场所时为 null")
    findings: int = Field(description="期间内检查发现的问题数")
    rectified: int = Field(description="其中隐患案件已办结、结案或归档的")
    rectification_rate: float | None = Field(description="整改率 = rectified ÷ findings；无问题时为 null")


class CoverageOut(Out):
    region: Ref
    period: str
    items: list[CoverageRow] = Field(description="县的各乡镇（街道）、乡镇的各村（社区）")
    total: CoverageRow


class CoverageQuery(Schema):
    region: str = Field("", max_length=15, description="区划代码；默认本人范围")
    period: str = Field("", max_length=8, description="期间：月 2026-10、季度 2026-Q3 或年 2026；默认本月")


def place_out(p: Place, today: date) -> dict:
    town = p.region.parent
    return {
        "id": p.pk,
        "kind": p.kind,
        "kind_label": p.get_kind_display(),
        "name": p.name,
        "region": {"code": p.region.code, "name": p.region.name},
        "town": {"code": town.code, "name": town.name} if town else None,
        "address": p.address,
        "lat": p.lat,
        "lng": p.lng,
        "responsible_unit": p.responsible_unit,
        "grade": p.grade.code,
        "grade_label": p.grade.name,
        "interval_days": p.grade.interval_days,
        "registered_on": p.registered_on,
        "last_inspected_on": p.last_inspected_on,
        "next_due_on": p.next_due_on,
        "overdue": p.next_due_on < today,
    }


def inspection_out(i: Inspection) -> dict:
    findings = list(i.findings.select_related("case").order_by("pk"))
    return {
        "id": i.pk,
        "place": i.place_id,
        "inspected_on": i.inspected_on,
        "due_on": i.due_on,
        "on_schedule": i.on_schedule,
        "inspectors": sorted(i.inspectors.values_list("username", flat=True)),
        "note": i.note,
        "findings": [
            {
                "id": f.pk,
                "item": f.item_id,
                "description": f.description,
                "severity": f.severity,
                "case": f.case.number,
            }
            for f in findings
        ],
        "cases": [f.case.number for f in findings],
    }


def _coverage_row(c: selectors.Coverage) -> dict:
    return {
        "region": {"code": c.region.code, "name": c.region.name},
        "due": c.due,
        "on_schedule": c.on_schedule,
        "coverage": c.coverage,
        "findings": c.findings,
        "rectified": c.rectified,
        "rectification_rate": c.rectification_rate,
    }


@router.get(
    "/inspections/places",
    response=answers({200: PlacePage}, *SIGNED_IN),
    summary="排查场所台账",
    description="本人范围内在册的场所，按下次检查截止日先后排列；`overdue=true` 只看逾期未检查的。",
)
def list_places(request, q: Query[PlaceQuery]):
    today = timezone.localdate()
    f = selectors.PlaceFilter(**q.model_dump(include=set(selectors.PlaceFilter.model_fields)))
    qs = selectors.places(request.user, f, today)
    rows = list(qs[q.offset : q.offset + q.limit])
    return {
        "items": [place_out(p, today) for p in rows],
        "total": qs.count(),
        "offset": q.offset,
        "limit": q.limit,
    }


@router.post(
    "/inspections/places",
    response=answers({201: PlaceOut}, *SIGNED_IN),
    summary="登记排查场所",
    description=(
        "乡镇综治中心（本乡镇）、排查检查单位（如县应急管理局）和受理分派员登记；"
        "首次检查截止日为登记日加风险等级的检查周期。"
    ),
)
def create_place(request, payload: PlaceIn):
    place = actions.register_place(request.user, payload)
    place = Place.objects.select_related("region__parent", "grade").get(pk=place.pk)
    return Status(201, place_out(place, timezone.localdate()))


@router.post(
    "/inspections",
    response=answers({201: InspectionOut}, *SIGNED_IN, 404),
    summary="记录检查",
    description=(
        "检查表须逐项填写结果；每个不合格项至少写明一个问题。每个问题登记为一件安全隐患案件（来源“排查发现”，"
        "场所所在村和地址），与场所关联；返回开出的案件编号。"
    ),
)
def create_inspection(request, payload: InspectionIn):
    inspection = actions.record_inspection(request.user, payload)
    return Status(201, inspection_out(inspection))


@router.get(
    "/inspections/coverage",
    response=answers({200: CoverageOut}, *SIGNED_IN, 404),
    summary="排查覆盖率与整改率",
    description=(
        "排查覆盖率 = 按期检查的场所 ÷ 应检查的场所；"
        "整改率 = 隐患案件已办结（含结案、归档）的问题 ÷ 期间内发现的问题。"
        "按下级区划（县的乡镇、乡镇的村）和合计。"
    ),
)
def coverage(request, q: Query[CoverageQuery]):
    code = q.region or selectors.top_region(request.user)
    if not code or not selectors.may_read(request.user, code):
        raise not_found()
    period = parse_period(q.period) if q.period else period_of("month", timezone.localdate())
    rows, total = selectors.coverage_rows(code, period)
    return {
        "region": {"code": total.region.code, "name": total.region.name},
        "period": period.key,
        "items": [_coverage_row(r) for r in rows],
        "total": _coverage_row(total),
    }
