"""The leader cockpit (GOVERNANCE §10, issue 12 part 8): the figures on a hand-built county; who may
open it and for which region; the ledger filters it links with. That every figure is the total of the
list it opens is checked on the seeded demo in tests/test_cockpit_demo.py."""

import json
import re
from datetime import datetime, time, timedelta
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from pingan.accounts.actions import create_user, grant_role
from pingan.cases.models import Case
from pingan.cockpit import figures as figures_of
from pingan.core.periods import Period, period_of
from pingan.regions.models import Region

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


def test_counts_of_ended_periods_are_kept_a_while_and_those_under_way_counted_afresh(county):
    leader, today = county.users["leader"], timezone.localdate()
    this = period_of("month", today)
    last = this.previous()

    def counts() -> list[int]:
        return [f.value for f in figures_of.per_period(leader, "reported", county.code, [last, this], today)]

    before = counts()
    moved = _case(county, 0)
    back_then = timezone.make_aware(datetime.combine(last.start + timedelta(days=1), time(12)))
    Case.objects.filter(pk=moved.pk).update(reported_at=back_then)  # registered last month after all
    _case(county, 1)
    assert counts() == [before[0], before[1] + 1]  # last month's count is kept; this month's is afresh
    cache.clear()  # ten minutes later
    assert counts() == [before[0] + 1, before[1] + 1]
    assert "今天以前登记、办结的件数和已结束周期（上周、上月、上季度和往月）的比率每 10 分钟更新一次" in (
        signed_in(leader).get(URL).content.decode()
    )


def test_a_period_under_way_keeps_its_days_before_today_and_counts_today_afresh(county):
    leader, today = county.users["leader"], timezone.localdate()
    under_way = Period("month", today.year, today.month, today - timedelta(days=3), today + timedelta(days=2))

    def count() -> figures_of.Figure:
        return figures_of.per_period(leader, "reported", county.code, [under_way], today)[0]

    before = count().value
    moved = _case(county, 0)
    two_days_ago = timezone.make_aware(datetime.combine(today - timedelta(days=2), time(12)))
    Case.objects.filter(pk=moved.pk).update(reported_at=two_days_ago)
    _case(county, 1)
    assert count().value == before + 1  # today's case at once; the one of two days ago when the days are read
    cache.clear()  # ten minutes later
    figure = count()
    assert figure.value == before + 2
    ledger = signed_in(leader).get(figure.link).content.decode()
    assert f'<strong id="ledger-total" data-total>{figure.value}</strong>' in ledger  # the list behind it


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
