"""The leader cockpit (GOVERNANCE §10, issue 12 part 8): every figure that counts cases is the total of
the list it links to, for a leader and a supervisor, on a seeded demo county; the figures themselves on
a hand-built one; who may open it and for which region; the ledger filters it links with."""

import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from pingan.accounts.actions import create_user, grant_role
from pingan.accounts.models import User
from pingan.cases.models import Case
from pingan.core.periods import period_of
from pingan.regions.models import Region
from pingan.supervision import selectors as supervision
from pingan.supervision.models import Supervision
from pingan.supervision.schedule import OWED_IN

from .conftest import PASSWORD, Api, case_body

URL = "/cockpit/"


class Figures(HTMLParser):
    """The linked figures of a page: (href, number) of every <a data-figure>."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, int]] = []
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "data-figure" in attrs:
            self._href, self._text = attrs["href"], ""

    def handle_data(self, data):
        if self._href is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.found.append((self._href, int(re.search(r"\d+", self._text).group())))
            self._href = None


def figures(html: str) -> list[tuple[str, int]]:
    parser = Figures()
    parser.feed(html)
    return parser.found


def total(client: Client, href: str) -> int:
    response = client.get(href)
    assert response.status_code == 200, (href, response.status_code)
    found = re.search(r"<strong[^>]*data-total[^>]*>(\d+)</strong>", response.content.decode())
    assert found, f"{href} shows no total"
    return int(found.group(1))


def chart_data(html: str) -> dict:
    found = re.search(r'<script id="cockpit-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, "no cockpit data"
    return json.loads(found.group(1))


def signed_in(user) -> Client:
    c = Client()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


def _user(username, role, region):
    user = create_user(username=username, password=PASSWORD, by=None, full_name=username)
    grant_role(user, role, region=region, by=None)
    return user


# ---------------------------------------------------------------- every figure is its list's total


@pytest.fixture
def demo(db):
    call_command("seed", "--cases", "600", "--towns", "3", "--seed", "0", stdout=StringIO())
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


# ---------------------------------------------------------------- figures on a hand-built county


def _case(county, town=0, *, overdue_days=None, stream="request") -> Case:
    body = case_body(county, region=county.villages[county.towns[town].code][0].code, stream=stream)
    if stream == "tip":
        body["category"] = "T01"
    status, data = Api(county.users["dispatcher"]).post("/cases", body)
    assert status == 201, data
    if overdue_days is not None:
        Case.objects.filter(number=data["number"]).update(
            accept_due=timezone.now() - timedelta(days=overdue_days, hours=1)
        )
    return Case.objects.get(number=data["number"])


def test_overdue_ageing_buckets_and_town_figures(county):
    for days in (0, 3, 10, 40, 120):
        _case(county, 0, overdue_days=days)
    _case(county, 1, overdue_days=8)
    _case(county, 1)  # not overdue
    _case(county, 1, overdue_days=50, stream="tip")  # a leader never sees it
    answered = _case(county, 2)
    Api(county.users["dispatcher"]).act(answered.number, "accept")
    Api(county.users["dispatcher"]).act(answered.number, "answer", {"summary": "当场答复"})
    leader = signed_in(county.users["leader"])
    html = leader.get(URL).content.decode()
    data = chart_data(html)
    assert data["ageing"]["series"][0]["values"] == [2, 2, 1, 1]  # <7, 7–30, 30–90, >90 days
    bars = {s["key"]: s["values"] for s in data["bars"]["series"]}
    assert data["bars"]["categories"] == [t.name for t in county.towns]
    assert bars["reported"] == [5, 2, 1]
    assert bars["closed"] == [0, 0, 1]
    assert bars["overdue"] == [5, 1, 0]
    assert data["map"]["features"][0]["properties"]["name"] == county.towns[0].name
    for href, value in figures(html):
        assert total(leader, href) == value, href
    month = next(p for p in _periods(html) if p["kind"] == "month")
    assert month == {"kind": "month", "reported": 8, "closed": 1}


def _periods(html: str) -> list[dict]:
    out = []
    for kind, body in re.findall(r'data-period="(\w+)">(.*?)</table>', html, re.S):
        row = {"kind": kind}
        for key, value in re.findall(
            r'data-kpi="(reported|closed)">.*?data-figure href="[^"]*">(\d+)<', body, re.S
        ):
            row[key] = int(value)
        out.append(row)
    return out


def test_rates_come_from_the_assessment_engine(county):
    number = _case(county, 0).number
    d = Api(county.users["dispatcher"])
    d.act(number, "accept")
    d.act(number, "answer", {"summary": "当场答复"})
    html = signed_in(county.users["leader"]).get(URL).content.decode()
    assert re.search(
        r'data-kpi="closed_on_time_rate" class="rate">\s*<th[^>]*>按期办结率</th><td><a[^>]*>100.0%</a></td>',
        html,
    )


# ---------------------------------------------------------------- who sees what


def test_a_town_leader_sees_his_town_only(county):
    town, other = county.towns[0], county.towns[1]
    user = _user("town_leader", "leader", town)
    _case(county, 0)
    _case(county, 1)
    client = signed_in(user)
    html = client.get(URL).content.decode()
    assert f"领导驾驶舱 · {town.name}" in html
    data = chart_data(html)
    villages = list(Region.objects.filter(parent=town).order_by("code").values_list("name", flat=True))
    assert data["bars"]["categories"] == villages  # his town's villages, not the county's towns
    assert sum({s["key"]: s for s in data["bars"]["series"]}["reported"]["values"]) == 1
    assert data["map"]["features"][0]["properties"]["code"] == town.code  # his town's own outline
    assert client.get(URL, {"region": other.code}).status_code == 404
    assert client.get(URL, {"region": county.code}).status_code == 404
    county_leader = signed_in(county.users["leader"])
    assert county_leader.get(URL, {"region": other.code}).status_code == 200


@pytest.mark.parametrize("username", ["handler", "grid_worker", "dispatcher", "unit_head", "auditor"])
def test_case_workers_may_not_open_the_cockpit(county, web, username):
    response = web(username).get(URL)
    assert response.status_code == 403
    assert "领导驾驶舱" not in web(username).get("/").content.decode()


def test_leaders_and_supervisors_find_it_in_the_menu(county, web):
    for username in ("leader", "supervisor"):
        assert '<a href="/cockpit/"' in web(username).get("/").content.decode()


def test_bad_parameters_answer_400_or_404(county, web):
    leader = web("leader")
    assert leader.get(URL, {"month": "2026-13"}).status_code == 400
    assert leader.get(URL, {"month": "2026-Q1"}).status_code == 400
    future = period_of("month", timezone.localdate() + timedelta(days=40)).key
    assert leader.get(URL, {"month": future}).status_code == 400
    assert leader.get(URL, {"region": "999999"}).status_code == 404
    village = county.villages[county.towns[0].code][0]
    assert leader.get(URL, {"region": village.code}).status_code == 404  # county and towns only


def test_the_page_costs_a_fixed_number_of_queries(county, django_assert_max_num_queries):
    for town in range(3):
        _case(county, town, overdue_days=town * 20)
    leader = signed_in(county.users["leader"])
    leader.get(URL)
    with django_assert_max_num_queries(60):
        assert leader.get(URL).status_code == 200


# ---------------------------------------------------------------- the ledger filters it links with


def test_ledger_filters_by_closing_day_and_overdue_age(county, api):
    old, fresh = _case(county, 0, overdue_days=40), _case(county, 0, overdue_days=2)
    closed = _case(county, 1)
    d = api("dispatcher")
    d.act(closed.number, "accept")
    d.act(closed.number, "answer", {"summary": "当场答复"})
    today = timezone.localdate().isoformat()

    def numbers(**params):
        status, data = d.get("/cases", with_total=True, **params)
        assert status == 200, data
        return {c["number"] for c in data["items"]}

    assert numbers(overdue_days_min=30) == {old.number}
    assert numbers(overdue_days_max=7) == {fresh.number}
    assert numbers(overdue_days_min=1, overdue_days_max=30) == {fresh.number}
    after = timezone.now() - timedelta(hours=1)
    assert numbers(closed_after=after.isoformat()) == {closed.number}
    assert numbers(closed_before=after.isoformat()) == set()
    page = signed_in(county.users["dispatcher"]).get(
        "/cases/", {"closed_after": today, "closed_before": today}
    )
    assert total_of(page) == 1
    for bad in ({"overdue_days_min": "-1"}, {"overdue_days_max": "0"}, {"closed_after": "昨天"}):
        status, data = d.get("/cases", **bad)
        assert status == 400 and data["error"]["code"] == "invalid", (bad, data)


def total_of(response) -> int:
    return int(re.search(r"data-total>(\d+)<", response.content.decode()).group(1))


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
