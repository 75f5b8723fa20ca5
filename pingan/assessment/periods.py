"""Assessment periods (GOVERNANCE §2): `YYYY-MM`, `YYYY-Www` (ISO week), `YYYY-Qn`, `YYYY`; each a run
of local (Asia/Shanghai) days, whose figures are taken as of the end of its last day."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from pingan.core.errors import DomainError

PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})|-W(\d{2})|-Q([1-4]))?$")


@dataclass(frozen=True)
class Period:
    key: str
    first: date
    last: date


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def parse_period(text: str) -> Period:
    m = PATTERN.match(text.strip())
    try:
        if m is None:
            raise ValueError(text)
        year = int(m[1])
        if m[2]:
            month = int(m[2])
            return Period(text, date(year, month, 1), _month_end(year, month))
        if m[3]:
            first = date.fromisocalendar(year, int(m[3]), 1)
            return Period(text, first, first + timedelta(days=6))
        if m[4]:
            q = int(m[4])
            return Period(text, date(year, 3 * q - 2, 1), _month_end(year, 3 * q))
        return Period(text, date(year, 1, 1), date(year, 12, 31))
    except ValueError:
        raise DomainError(
            "invalid_period",
            "统计周期格式不正确，应为 2025-03（月）、2025-W09（周）、2025-Q1（季度）或 2025（年）。",
            fields={"period": "格式应为 YYYY-MM、YYYY-Www、YYYY-Qn 或 YYYY"},
        ) from None
