"""三零 (「'三零'平安创建」) monthly check per village: 零上访, 零案件, 零事故.

- 零上访: no petition from the village reached the county unresolved in the month. Precisely: no
  `petition` case located in the village (or one of its grids), registered in the month, whose lead
  unit sits at county level and which was not closed with outcome `resolved` before the month ended;
  merged, withdrawn and rejected petitions are not counted (pingan.cases.selectors
  .petitions_reaching_county). Pingan holds every petition, so this figure is always known.
- 零案件: the imported 刑事案件立案数 (`criminal_cases`) of the village for the month is 0.
- 零事故: the imported 生产安全事故起数 (`work_accidents`) of the village for the month is 0.
A figure not imported for the village and month is 未报 (unknown), never taken for 0; a village is
三零 only when all three are known and zero."""

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from django.utils import timezone

from pingan.cases.selectors import petitions_reaching_county
from pingan.core.periods import Period
from pingan.regions.models import Region
from pingan.statistics.models import Indicator
from pingan.statistics.selectors import values_by_subject

CASES_INDICATOR = "criminal_cases"
ACCIDENTS_INDICATOR = "work_accidents"


@dataclass(frozen=True)
class Row:
    village: Region
    petitions: int
    cases: Decimal | None  # None: 未报
    accidents: Decimal | None

    @property
    def zero_petitions(self) -> bool:
        return self.petitions == 0

    @property
    def zero_cases(self) -> bool | None:
        return None if self.cases is None else self.cases == 0

    @property
    def zero_accidents(self) -> bool | None:
        return None if self.accidents is None else self.accidents == 0

    @property
    def all_zero(self) -> bool | None:
        """三零: True, False, or None while a figure is 未报 and none is above zero."""
        parts = (self.zero_petitions, self.zero_cases, self.zero_accidents)
        if False in parts:
            return False
        return None if None in parts else True


@dataclass(frozen=True)
class Table:
    rows: list[Row]
    missing_indicators: list[str]  # codes not defined: those columns are 未报 throughout

    @property
    def zero_count(self) -> int:
        return sum(1 for r in self.rows if r.all_zero)

    @property
    def unreported_count(self) -> int:
        return sum(1 for r in self.rows if r.all_zero is None)


def monthly(town: Region, month: Period) -> Table:
    """The 三零 table of a town's villages for a month: four queries whatever the number of villages."""
    villages = list(Region.objects.filter(parent=town, level=Region.Level.VILLAGE).order_by("code"))
    codes = [v.code for v in villages]
    zone = timezone.get_current_timezone()
    petitions = petitions_reaching_county(
        town.code,
        datetime.combine(month.start, time.min, tzinfo=zone),
        datetime.combine(month.end, time.min, tzinfo=zone),
    )
    indicators = {
        i.code: i for i in Indicator.objects.filter(code__in=(CASES_INDICATOR, ACCIDENTS_INDICATOR))
    }
    figures = {
        code: values_by_subject(indicators[code], month, "village", codes)
        if code in indicators and codes
        else {}
        for code in (CASES_INDICATOR, ACCIDENTS_INDICATOR)
    }
    rows = [
        Row(
            village=v,
            petitions=petitions.get(v.code, 0),
            cases=figures[CASES_INDICATOR].get(v.code),
            accidents=figures[ACCIDENTS_INDICATOR].get(v.code),
        )
        for v in villages
    ]
    missing = [c for c in (CASES_INDICATOR, ACCIDENTS_INDICATOR) if c not in indicators]
    return Table(rows, missing)
