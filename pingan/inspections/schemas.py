"""Input shapes of the place register, inspections and re-inspections: one definition for the pages
and the API."""

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pingan.core.validation import RecordId

from .models import Finding, ItemResult, PlaceKind


def _stripped(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Name = Annotated[str, _stripped(100, 1)]
Address = Annotated[str, _stripped(200, 1)]
Code = Annotated[str, _stripped(16, 1)]
Organisation = Annotated[str, _stripped(100)]
Description = Annotated[str, _stripped(500, 1)]
Note = Annotated[str, _stripped(2000)]
RequiredNote = Annotated[str, _stripped(2000, 1)]


Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlaceIn(Strict):
    kind: PlaceKind = Field(
        description="场所类型：九小场所（restaurant 小餐饮 … workshop 小生产加工），"
        "或 enterprise 企业、construction 工地、chemicals 危化品、other 其他"
    )
    name: Name = Field(description="场所名称")
    region: Code = Field(description="所在村（社区）的区划代码")
    address: Address = Field(description="详细地址")
    lat: Annotated[Decimal, Field(ge=-90, le=90, decimal_places=6)] | None = None
    lng: Annotated[Decimal, Field(ge=-180, le=180, decimal_places=6)] | None = None
    responsible_unit: Organisation = Field("", description="责任单位（经营或管理单位名称）")
    grade: Code = Field(description="风险等级代码：high 高、elevated 较高、general 一般、low 低")


class ResultIn(Strict):
    item: RecordId = Field(description="检查项目编号")
    result: ItemResult.Result = Field(description="passed 合格、failed 不合格、na 不适用")


class InspectionFindingIn(Strict):
    item: RecordId | None = Field(
        None, description="对应的检查项目编号（该项须为不合格）；检查表外的问题不填"
    )
    description: Description = Field(description="发现的问题")
    severity: Finding.Severity = Field(Finding.Severity.NORMAL, description="normal 一般隐患、major 重大隐患")


class InspectionIn(Strict):
    place: RecordId = Field(description="场所编号")
    inspected_on: date = Field(description="检查日期")
    inspectors: Annotated[list[Username], Field(max_length=10)] = Field(
        [], description="其他检查人员的用户名；记录人本人总是检查人员之一"
    )
    results: Annotated[list[ResultIn], Field(max_length=100)] = Field(
        description="该类场所检查表每一项的结果"
    )
    findings: Annotated[list[InspectionFindingIn], Field(max_length=30)] = Field(
        [], description="发现的问题：每项开一件安全隐患案件；每个不合格项至少一条"
    )
    note: Note = Field("", description="检查情况说明")


class RecheckIn(Strict):
    rechecked_on: date = Field(description="复查日期")
    passed: bool = Field(description="true：隐患已整改到位")
    note: RequiredNote = Field(description="复查情况")
    inspectors: Annotated[list[Username], Field(max_length=10)] = Field(
        [], description="其他复查人员的用户名"
    )
