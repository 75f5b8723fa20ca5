"""The leader cockpit on a seeded demo county (GOVERNANCE §10, issue 12 part 8): every figure that
counts cases is the total of the list it links to, for a leader and a supervisor, and every rate opens
its numerator and denominator. The demo is seeded once for this module (tests.conftest.seeded_once)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from pingan.accounts.models import User
from pingan.cases.models import Case
from pingan.core.periods import period_of
from pingan.supervision import selectors as supervision
from pingan.supervision.models import Supervision
from pingan.supervision.schedule import OWED_IN

from .conftest import seeded_once
from .test_cockpit import URL, chart_data, figures, signed_in, total

# ---------------------------------------------------------------- every figure is its list's total


seeded = seeded_once("--cases", "600", "--towns", "3", "--seed", "0")


@pytest.fixture
def demo(seeded, db):
    # Two 挂牌 whose progress report fell due yesterday, unfiled (the sweep has not run yet).
    owing = Supervision.objects.filter(
        supervision.in_force_q(), level="listed", case__status__in=OWED_IN
    ).order_by("pk")[:2]
    Supervision.objects.filter(pk__in=[s.pk for s in owing]).update(
        next_report_due=timezone.now() - timedelta(days=1)
    )


@pytest.mark.parametrize("username", ["leader", "supervisor"])
def test_every_linked_figure_equals_the_total_of_the_list_it_opens(demo, username):
    client = signed_in(User.objects.get(username=username))
    last_month = period_of("month", timezone.localdate()).previous()
    html = client.get(URL, {"month": last_month.key}).content.decode()
    found = figures(html)
    # 12 period counts, overdue now and its 4 buckets, 3 towns × 3 counts, 12 months × 2, 2 listed.
    assert len(found) == 12 + 1 + 4 + 9 + 24 + 2
    for href, value in found:
        assert total(client, href) == value, (username, href)
    data = chart_data(html)
    bars = {s["key"]: s for s in data["bars"]["series"]}
    # The demo's figures are not all zero: the test would prove nothing on an empty county.
    assert sum(bars["reported"]["values"]) > 0 and sum(bars["closed"]["values"]) > 0
    assert sum(bars["overdue"]["values"]) > 0
    assert sum(sum(s["values"]) for s in data["trend"]["series"]) > 100
    assert any(v for _, v in found if "late=true" in _)  # 挂牌督办 late with their reports
    # The chart draws the same figures the table links.
    links = dict(found)
    for series in (*data["bars"]["series"], *data["trend"]["series"], *data["ageing"]["series"]):
        for link, value in zip(series["links"], series["values"], strict=True):
            assert links[link.replace("&amp;", "&")] == value


def test_the_town_bars_add_up_to_the_county_and_leave_tips_out(demo):
    leader = signed_in(User.objects.get(username="leader"))
    month = period_of("month", timezone.localdate()).previous()
    data = chart_data(leader.get(URL, {"month": month.key}).content.decode())
    reported = {s["key"]: s for s in data["bars"]["series"]}["reported"]
    start, end = month.start, month.end
    cases = Case.objects.filter(reported_at__date__gte=start, reported_at__date__lt=end)
    in_towns = cases.filter(region__code__regex=r"^\d{9}")
    assert in_towns.filter(stream="tip").exists()  # the demo has tips that month
    assert sum(reported["values"]) == in_towns.exclude(stream="tip").count()


def test_every_rate_opens_its_numerator_and_denominator_whose_quotient_it_is(demo):
    """A rate links to the cases behind it: its numerator's list, with a tab to its denominator's; the
    rate shown is the one total divided by the other (— where nothing is due)."""
    client = signed_in(User.objects.get(username="leader"))
    html = client.get(URL).content.decode()
    rates = re.findall(r'<a class="figure" data-rate href="([^"]+)">([^<]+)</a>', html)
    assert len(rates) == 3 * 2 * 5  # week, month, quarter × this and last × five rates
    shown = 0
    for href, text in rates:
        href = href.replace("&amp;", "&")
        numerator = total(client, href)
        denominator = total(client, href.replace("part=numerator", "part=denominator"))
        if denominator == 0:
            assert text == "—", href
        else:
            shown_rate = round(numerator / denominator, 4)  # as the KPI engine rounds it
            assert text == f"{shown_rate * 100:.1f}%", (href, numerator, denominator)
            shown += 1
    assert shown >= 10  # the demo has real rates, not empty ones


def test_the_cases_behind_a_rate_link_to_the_cases_the_reader_may_open(demo):
    client = signed_in(User.objects.get(username="leader"))
    year = str(timezone.localdate().year)
    response = client.get("/cockpit/figures/", {"key": "closed_rate", "part": "denominator", "period": year})
    html = response.content.decode()
    assert response.status_code == 200 and "分母" in html and "办结率明细" in html
    numbers = re.findall(r'<tr data-case="([^"]+)">\s*<td><a href="/cases/\1/">', html)
    assert numbers  # openable cases link to their page
    bad = client.get("/cockpit/figures/", {"key": "reported", "part": "denominator", "period": year})
    assert bad.status_code == 400 and "分子" in bad.content.decode()
    outside = client.get("/cockpit/figures/", {"key": "reported", "period": year, "region": "110101"})
    assert outside.status_code in (400, 404)
