"""智能建议: the likeliest category and lead unit for a case being registered (pingan.suggest)."""

from datetime import datetime

from ninja import Router
from pydantic import Field

from pingan.suggest.schemas import SuggestIn
from pingan.suggest.selectors import suggest

from .schemas import SIGNED_IN, Out, answers

router = Router(tags=["智能建议"])


class SuggestionOut(Out):
    code: str
    name: str
    confidence: float = Field(description="置信度，0–1：模型估计的可能性")


class SuggestionsOut(Out):
    trained: bool = Field(description="是否已有训练好的模型；没有时两个列表都为空（运行 pingan train 训练）")
    trained_at: datetime | None = Field(description="模型的训练时间")
    category: list[SuggestionOut] = Field(
        description="建议的分类，最多 3 个，可能性从高到低；只含本人可登记的业务类型的在用分类"
    )
    lead_unit: list[SuggestionOut] = Field(
        description="建议的牵头单位，最多 3 个；只给分派员，只含其分派区划及上级区划的在用单位"
    )


@router.post(
    "/suggestions",
    response=answers({200: SuggestionsOut}, *SIGNED_IN),
    summary="分类和牵头单位建议",
    description=(
        "按本县已结案案件训练的模型（`pingan train`），根据标题、内容（及可选的地点、分类）给出最可能的分类和"
        "牵头单位及置信度，供登记和分派时参考；不保存、不记录所提交的内容。置信度低于 5% 的不列出。"
    ),
)
def suggestions(request, payload: SuggestIn):
    found = suggest(request.user, payload)
    return {
        "trained": found.trained,
        "trained_at": found.trained_at,
        "category": [vars(s) for s in found.category],
        "lead_unit": [vars(s) for s in found.lead_unit],
    }
