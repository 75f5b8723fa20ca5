"""What a request for suggestions carries: the case as typed so far (API and web forms alike)."""

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from pingan.cases.models import Stream

_REGION = re.compile(r"[0-9]{6}(?:[0-9]{3}){0,3}")


def _region(value: str) -> str:
    if value and not _REGION.fullmatch(value):
        raise ValueError("区划代码应为 6、9、12 或 15 位数字")
    return value


Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Field(description="标题")
]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=5000), Field(description="事项描述")
]
Region = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    AfterValidator(_region),
    Field(description="所在区划代码（可选）：牵头单位的建议参考案件所在的乡镇、村"),
]
CategoryCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=16),
    Field(description="已选分类代码（可选）；不填则按建议的分类推测牵头单位"),
]


class SuggestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description = ""
    stream: Annotated[Stream | None, Field(description="业务类型：只建议该类型的分类")] = None
    region: Region = ""
    category: CategoryCode = ""
