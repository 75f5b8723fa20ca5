"""平安创建 (GOVERNANCE §9): the 达标率 of a county or town for a year, per child region and in total."""

from ninja import Query, Router, Schema
from pydantic import Field

from pingan.core.errors import DomainError
from pingan.creation import selectors
from pingan.creation.models import Programme

from .schemas import SIGNED_IN, Out, Ref, answers

router = Router(tags=["平安创建"])


class RateOut(Out):
    code: str
    name: str
    subjects: int = Field(
        description="创建对象数：村（社区）类项目计辖区内的村（社区），单位类项目计名册中在册的该类单位"
    )
    awarded: int = Field(description="当年已命名（未被撤销）的创建对象数")
    rate: float | None = Field(description="达标率 = awarded ÷ subjects；无创建对象时为 null")


class RatesOut(Out):
    region: Ref
    year: int
    programme: str | None = Field(description="只统计该创建项目时为其代码；否则为 null（全部在用项目）")
    items: list[RateOut] = Field(description="县：每个乡镇（街道）一行；乡镇：每个村（社区）一行")
    total: RateOut


class RatesQuery(Schema):
    region: str = Field(description="县或乡镇（街道）的区划代码")
    year: str = Field(description="年度，如 2026")
    programme: str = Field("", description="创建项目代码，如 safe_village；不填为全部在用项目")


def _rate(r: selectors.Rate) -> dict:
    return {"code": r.code, "name": r.name, "subjects": r.subjects, "awarded": r.awarded, "rate": r.rate}


@router.get(
    "/creation/rates",
    response=answers({200: RatesOut}, *SIGNED_IN, 404),
    summary="平安创建达标率",
    description=(
        "达标率 = 已命名 ÷ 创建对象。region 不存在或不在本人范围：404 not_found；"
        "region 低于乡镇：400 invalid_region；year 无效：400 invalid_year；"
        "programme 无效：400 unknown_programme。"
    ),
)
def creation_rates(request, q: Query[RatesQuery]):
    year = selectors.check_year(q.year)
    region = selectors.rate_region(request.user, q.region)
    programme = None
    if q.programme:
        programme = Programme.objects.filter(code=q.programme).first()
        if programme is None:
            raise DomainError(
                "unknown_programme",
                f"没有代码为“{q.programme}”的创建项目。",
                fields={"programme": "创建项目代码不存在"},
            )
    rows, total = selectors.rates(region, year, programme)
    return {
        "region": {"code": region.code, "name": region.name},
        "year": year,
        "programme": programme.code if programme else None,
        "items": [_rate(r) for r in rows],
        "total": _rate(total),
    }
