"""What a campaign's writes take: the same checked shapes for the API and the forms (GOVERNANCE §6)."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pingan.core.validation import RecordId

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Long = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Figure = Annotated[Decimal, Field(ge=-(10**12), le=10**12, decimal_places=4)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PhaseIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    starts_on: date
    ends_on: date


class IndicatorIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    unit: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] = ""
    baseline: Figure | None = None
    target: Figure | None = None
    direction: Literal["up", "down"] = "up"
    source: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = Field(
        None,
        description="考核指标代码（如 `closed_rate`）、`statistic:统计指标代码`，或 `cases:台账筛选条件`"
        "（如 `cases:stream=hazard&status=closed`）；不填则无实时值",
    )


class CampaignIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    scope_regions: Annotated[list[Code], Field(min_length=1, max_length=50, description="整治范围的区划代码")]
    lead_unit: Code = Field(description="牵头单位代码")
    units: Annotated[list[Code], Field(max_length=100, description="参与单位代码")] = []
    phases: Annotated[
        list[PhaseIn],
        Field(
            max_length=12,
            description="阶段及起止日期；不填则按 动员部署/集中整治/巩固提升/检查验收 自今天起各 30 天",
        ),
    ] = []
    indicators: Annotated[list[IndicatorIn], Field(max_length=30)] = []
    review_share: Annotated[Decimal, Field(gt=0, le=1, decimal_places=3)] = Field(
        Decimal("0.1"), description="回头看按乡镇抽查已整改问题的比例，默认 0.1（10%）"
    )


class TaskIn(Strict):
    title: Text
    unit: Code = Field(description="责任单位代码")
    official: Annotated[str, StringConstraints(strip_whitespace=True, max_length=150)] | None = Field(
        None, description="责任领导的用户名（可选）"
    )
    due: date = Field(description="完成时限")
    report_every_days: Annotated[int, Field(ge=1, le=90)] | None = Field(
        None, description="每隔几日报告一次进展"
    )
    evidence_required: bool = Field(False, description="完成时须附佐证材料")


class NoteIn(Strict):
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class ProgressIn(Strict):
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class RejectIn(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class SuperviseIn(Strict):
    level: Literal["routine", "listed"]
    requirement: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class CampaignFindingIn(Strict):
    title: Text
    description: Long = ""
    region: Annotated[str, StringConstraints(strip_whitespace=True, max_length=15)] | None = Field(
        None, description="问题所在区划（乡镇、村或网格）；填了 place 时可省略，取场所所在村（社区）"
    )
    place: RecordId | None = Field(None, description="隐患排查场所 id（GOVERNANCE §9）：问题挂到该场所")
    severity: Literal["normal", "major"] = Field("normal", description="major：重大问题，回头看必查")


class ReviewIn(Strict):
    share: Annotated[Decimal, Field(gt=0, le=1, decimal_places=3)] | None = Field(
        None, description="本轮抽查比例，默认取整治设定的比例"
    )


class ReinspectIn(Strict):
    result: Literal["passed", "failed"]
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
