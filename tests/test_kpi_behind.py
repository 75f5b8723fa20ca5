"""Every KPI figure opens the list of cases behind it, and the list's total equals the figure: the
parts of each figure counted case by case against the same parts read from the rollups."""

import pytest
from django.utils import timezone

from pingan.accounts.models import User
from pingan.analytics import selectors as rollups
from pingan.assessment.behind import behind
from pingan.assessment.kpis import KEYS, PARTS, is_rate
from pingan.assessment.selectors import target_for
from pingan.cases.models import Case
from pingan.core.errors import DomainError
from pingan.core.periods import parse_period
from pingan.regions.models import Unit

from .conftest import seeded_once

seeded = seeded_once("--cases", "500", "--towns", "3", "--seed", "3")


@pytest.fixture
def demo(seeded, db):
    return User.objects.get(username="leader")


def test_each_part_of_each_figure_lists_cases_that_add_up_to_it(demo):
    year = timezone.localdate().year
    town = Case.objects.order_by("pk").first().region_id[:9]
    unit = Unit.objects.get(code=f"{town}-ZZZX")
    checked = 0
    for period in (f"{year}", f"{year - 1}-11", f"{year}-W10"):
        p = parse_period(period)
        for scope in ({}, {"region": town}, {"region": town, "stream": "dispute"}, {"unit": unit.code}):
            target = target_for(demo, **scope)
            found = rollups.sums(target.where, p.first, p.last).get(None) or rollups.Sums()
            for key in KEYS:
                for i, part in enumerate(("numerator", "denominator") if is_rate(key) else ("numerator",)):
                    count = PARTS[key][i]
                    assert count is not None
                    listed = behind(demo, key=key, part=part, period=period, **scope)
                    assert listed.total == count(found), (period, scope, key, part)
                    checked += listed.total
    assert checked > 1000  # real figures, not empty ones


def test_a_case_counted_twice_is_listed_once_with_its_count(demo):
    year = timezone.localdate().year
    listed = behind(demo, key="accepted", part="numerator", period=f"{year}")
    assert listed.counts and all(n >= 1 for n in listed.counts.values())
    assert len(listed.counts) <= listed.total


def test_a_count_has_no_denominator_and_an_unknown_key_is_refused(demo):
    with pytest.raises(DomainError) as e:
        behind(demo, key="reported", part="denominator", period="2026")
    assert e.value.code == "invalid_part"
    with pytest.raises(DomainError) as e:
        behind(demo, key="nothing", part="numerator", period="2026")
    assert e.value.code == "unknown_indicator"
