"""Reporting periods (GOVERNANCE §2): `YYYY-Www` (ISO week), `YYYY-MM`, `YYYY-Qn` and `YYYY`, as local
calendar days [start, end). Figures, statistics and reports all name their period this way."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from .errors import DomainError

KINDS = ("week", "month", "quarter", "year")
_PATTERNS = (
    ("week", re.compile(r"^(\d{4})-W(\d{2})$")),
    ("month", re.compile(r"^(\d{4})-(\d{2})$")),
    ("quarter", re.compile(r"^(\d{4})-Q(\d)$")),
    ("year", re.compile(r"^(\d{4})$")),
)
FIRST_YEAR, LAST_YEAR = 2000, 2099


def bad_period(value: object) -> DomainError:
    return DomainError(
        "invalid_period",
        f"期间“{value}”无法识别：请写成 2026-10（月）、2026-Q3（季度）、2026-W45（周）或 2026（年）。",
        fields={"period": "格式应为 YYYY-MM、YYYY-Www、YYYY-Qn 或 YYYY"},
    )


@dataclass(frozen=True)
class Period:
    kind: str
    year: int
    number: int  # week, month or quarter in the year; 1 for a year
    start: date
    end: date  # the day after the last day

    @property
    def key(self) -> str:
        return {
            "week": f"{self.year}-W{self.number:02d}",
            "month": f"{self.year}-{self.number:02d}",
            "quarter": f"{self.year}-Q{self.number}",
            "year": f"{self.year}",
        }[self.kind]

    @property
    def label(self) -> str:
        return {
            "week": f"{self.year}年第{self.number}周",
            "month": f"{self.year}年{self.number}月",
            "quarter": f"{self.year}年第{self.number}季度",
            "year": f"{self.year}年",
        }[self.kind]

    @property
    def first(self) -> date:
        """The first day (the same as `start`)."""
        return self.start

    @property
    def last(self) -> date:
        """The last day, inclusive: figures are taken as of its end."""
        return self.end - timedelta(days=1)

    def __str__(self) -> str:
        return self.key

    def contains(self, other: "Period") -> bool:
        return self.start <= other.start and other.end <= self.end

    def previous(self) -> "Period":
        """The period of the same kind just before this one."""
        return period_of(self.kind, self.start - timedelta(days=1))

    def year_ago(self) -> "Period":
        """The same period a year earlier (week 53 of a year without one is that year's week 52)."""
        if self.kind == "week":
            weeks = date(self.year - 1, 12, 28).isocalendar()[1]
            return make(self.kind, self.year - 1, min(self.number, weeks))
        return make(self.kind, self.year - 1, self.number)


def make(kind: str, year: int, number: int = 1) -> Period:
    if kind == "week":
        start = date.fromisocalendar(year, number, 1)
        return Period(kind, year, number, start, start + timedelta(days=7))
    if kind == "month":
        start = date(year, number, 1)
        end = date(year + number // 12, number % 12 + 1, 1)
        return Period(kind, year, number, start, end)
    if kind == "quarter":
        start = date(year, 3 * number - 2, 1)
        end = date(year + number // 4, (3 * number) % 12 + 1, 1)
        return Period(kind, year, number, start, end)
    return Period("year", year, 1, date(year, 1, 1), date(year + 1, 1, 1))


def period_of(kind: str, day: date) -> Period:
    """The period of `kind` that holds `day`."""
    if kind == "week":
        iso = day.isocalendar()
        return make(kind, iso[0], iso[1])
    if kind == "month":
        return make(kind, day.year, day.month)
    if kind == "quarter":
        return make(kind, day.year, (day.month - 1) // 3 + 1)
    return make("year", day.year)


def parse_period(value: object) -> Period:
    """A period from its key; anything else is a 400 `invalid_period` with a Chinese message."""
    text = str(value or "").strip()
    for kind, pattern in _PATTERNS:
        m = pattern.match(text)
        if m is None:
            continue
        year = int(m.group(1))
        number = int(m.group(2)) if kind != "year" else 1
        if not FIRST_YEAR <= year <= LAST_YEAR:
            break
        try:
            return make(kind, year, number)
        except ValueError:  # month 13, quarter 5, week 54, week 53 of a year without one
            break
    raise bad_period(text)
