"""矛盾纠纷排查 returns (GOVERNANCE §9, issue 13 part 4): filing by the due day, 零报告, late and missing
returns, the reporting rate, scope, refusals."""

from contextlib import contextmanager
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from pingan.accounts.actions import create_user, grant_role
from pingan.audit.models import AuditEntry
from pingan.cases.models import Case, Category
from pingan.core.periods import parse_period
from pingan.regions.models import Region
from pingan.screening.models import Return
from pingan.screening.selectors import reporting_rate, rows

from .conftest import PASSWORD, Api, case_body

ZONE = ZoneInfo("Asia/Shanghai")
OCTOBER = parse_period("2026-10")  # due 2026-11-05 with the default day 5


@contextmanager
def on(day: str):
    """Run as if the local date and time were `day` (2026-11-03 10:00)."""
    moment = datetime.fromisoformat(day).replace(tzinfo=ZONE)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def village(county, t=0, v=0) -> Region:
    return county.villages[county.towns[t].code][v]


def file(api, region, user="dispatcher", **body):
    return api(user).post("/screening", {"region": region.code, "period": "2026-10", **body})


def inspection_case(api, county, region, reported: str, stream="dispute", category="D07") -> str:
    status, body = api("dispatcher").post(
        "/cases",
        case_body(county, stream=stream, category=category, channel="inspection", region=region.code),
    )
    assert status == 201, body
    Case.objects.filter(number=body["number"]).update(
        reported_at=datetime.fromisoformat(reported).replace(tzinfo=ZONE)
    )
    return body["number"]


def test_a_return_links_the_months_inspection_cases_and_is_audited(county, api):
    v = village(county)
    found = inspection_case(api, county, v, "2026-10-12 09:00")
    inspection_case(api, county, v, "2026-11-01 09:00")  # next month: not this return's
    with on("2026-11-03 10:00"):
        status, body = file(api, v, user="grid_worker", note="入户排查 40 户")
    assert status == 201, body
    assert body["disputes"] == 1 and body["cases"] == [found] and body["zero_report"] is False
    assert body["on_time"] is True
    entry = AuditEntry.objects.get(action="screening.file")
    assert entry.data["disputes"] == [found] and entry.data["region"] == v.code


def test_a_hazard_found_on_inspection_is_no_dispute_and_leaves_a_zero_report_open(county, api):
    v = village(county)
    hazard = Category.objects.filter(stream="hazard").values_list("code", flat=True).first()
    inspection_case(api, county, v, "2026-10-12 09:00", stream="hazard", category=hazard)
    with on("2026-11-03 10:00"):
        status, body = file(api, v, zero_report=True)
    assert status == 201, body
    assert body["disputes"] == 0 and body["zero_report"] is True


def test_a_village_that_misses_the_day_is_on_the_late_list_and_a_zero_report_counts_as_filed(county, api):
    first, second, third = village(county, 0, 0), village(county, 0, 1), village(county, 1, 0)
    with on("2026-11-05 23:00"):  # the due day itself is on time
        assert file(api, first, zero_report=True)[0] == 201
    with on("2026-11-08 09:00"):
        assert file(api, second, zero_report=True)[0] == 201  # late
        status, body = api("supervisor").get("/screening", period="2026-10")
    assert status == 200
    states = {i["region"]["code"]: (i["state"], i["late"]) for i in body["items"]}
    assert states[first.code] == ("zero", False)
    assert states[second.code] == ("zero", True)
    assert states[third.code] == ("missing", True)
    assert states[county.towns[0].code] == ("missing", True)
    # Nine subjects are due (3 towns + 6 villages); one filed on time.
    assert (body["due"], body["on_time"], body["rate"]) == (9, 1, round(1 / 9, 4))
    with on("2026-11-04 09:00"):  # before the due day nothing is late and no rate is due
        status, body = api("supervisor").get("/screening", period="2026-10")
    assert body["rate"] is None and {i["state"] for i in body["items"]} == {"zero", "pending"}


def test_the_rate_by_hand_for_a_town(county, api):
    town = county.towns[0]
    a, b = village(county, 0, 0), village(county, 0, 1)
    with on("2026-11-02 09:00"):
        file(api, a, zero_report=True)
        file(api, town, zero_report=True)
    with on("2026-11-20 09:00"):
        file(api, b, zero_report=True)
        rate = reporting_rate(town.code, OCTOBER)
    # The town and its two villages are due; the town and one village filed by the 5th: 2 ÷ 3.
    assert (rate.due, rate.on_time, rate.rate) == (3, 2, 0.6667)
    with on("2026-11-20 09:00"), override_settings(SCREENING_DAY=25):
        assert reporting_rate(town.code, OCTOBER).rate is None  # not yet due under a later day
    assert [r.state for r in rows(town.code, OCTOBER)] == ["zero", "zero", "zero"]


def test_a_towns_staff_see_their_town_only_and_file_for_it_only(county, api):
    town, other = county.towns[0], county.towns[1]
    user = create_user(username="town_dispatcher", password=PASSWORD, by=None, full_name="乡镇受理员")
    grant_role(user, "dispatcher", region=town, by=None)
    client = Api(user)
    with on("2026-11-03 09:00"):
        status, body = client.get("/screening", period="2026-10")
        assert status == 200 and body["region"]["code"] == town.code
        assert {i["region"]["code"] for i in body["items"]} == {
            town.code,
            *(v.code for v in county.villages[town.code]),
        }
        assert client.get("/screening", period="2026-10", region=other.code)[0] == 404
        status, body = client.post(
            "/screening", {"region": other.code, "period": "2026-10", "zero_report": True}
        )
        assert status == 403 and body["error"]["code"] == "forbidden"
        # A grid worker files for his village but not for the town.
        status, body = file(api, town, user="grid_worker", zero_report=True)
        assert status == 403
        assert (
            client.post("/screening", {"region": town.code, "period": "2026-10", "zero_report": True})[0]
            == 201
        )
    assert Return.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"period": "2026-13"}, "invalid_period"),
        ({"period": "2026-Q3"}, "invalid_period"),
        ({"period": "2026-11"}, "month_not_ended"),
        ({"zero_report": False}, "no_disputes"),
        ({"note": "很长" * 300}, "invalid"),
        ({"region": "999"}, "invalid"),
    ],
)
def test_bad_returns_are_400s_with_chinese_messages(county, api, body, code):
    v = village(county)
    with on("2026-11-03 09:00"):
        status, answer = api("dispatcher").post(
            "/screening", {"region": v.code, "period": "2026-10", "zero_report": True, **body}
        )
    assert status == 400 and answer["error"]["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answer["error"]["message"])
    assert not Return.objects.exists()


def test_a_zero_report_is_refused_when_disputes_were_registered_and_a_second_filing_is_refused(county, api):
    v = village(county)
    inspection_case(api, county, v, "2026-10-20 15:00")
    with on("2026-11-03 09:00"):
        status, body = file(api, v, zero_report=True)
        assert status == 400 and body["error"]["code"] == "disputes_found"
        assert file(api, v)[0] == 201
        status, body = file(api, v, note="再报一次")
    assert (
        status == 409
        and body["error"]["code"] == "already_filed"
        and "不能重复报送" in body["error"]["message"]
    )
    assert Return.objects.get().note == ""


def test_the_page_lists_states_and_files_a_return(county, web):
    client = web("grid_worker")
    v = village(county)
    with on("2026-11-03 09:00"):
        page = client.get("/screening/?period=2026-10")
        assert (
            page.status_code == 200 and v.name in page.content.decode() and "未到期" in page.content.decode()
        )
        r = client.post("/screening/file/", {"region": v.code, "period": "2026-10", "zero_report": "on"})
        assert r.status_code == 302
        r = client.post("/screening/file/", {"region": v.code, "period": "2026-10", "zero_report": "on"})
        assert r.status_code == 400 and "不能重复报送" in r.content.decode()
        page = client.get("/screening/?period=2026-10").content.decode()
    assert "零报告" in page and Return.objects.get().filed_by.username == "grid_worker"


def test_the_menu_shows_the_page_to_the_county_supervisor_not_to_a_handler(county, web):
    assert "/screening/" in web("supervisor").get("/").content.decode()
    assert "/screening/" not in web("handler").get("/").content.decode()
    assert web("handler").get("/screening/").status_code == 403


def test_the_demo_files_three_months_with_some_late_or_missing(county, api):
    from pingan.demo.screening import seed_screening

    number = inspection_case(api, county, village(county), "2026-10-12 09:00")
    made = seed_screening(county, today=datetime(2026, 12, 20).date(), seed=3)
    assert made == Return.objects.count() > 0
    assert set(Return.objects.values_list("period", flat=True)) == {"2026-09", "2026-10", "2026-11"}
    with_case = Return.objects.filter(cases__number=number)
    assert {r.region_id for r in with_case} <= {village(county).code, county.towns[0].code}
    assert all(not r.zero_report and r.disputes == 1 for r in with_case)
    assert seed_screening(county, seed=3) == 0  # once only
    assert AuditEntry.objects.filter(action="screening.file").count() == made


def test_a_scoring_item_reads_the_reporting_rate_of_each_town(county, api):
    """`screening:reporting_rate` in a town scheme (GOVERNANCE §9): 100 points at 100 %, none at 50 %."""
    from datetime import date

    from django.core.exceptions import ValidationError

    from pingan.assessment.models import Deduction, Item, Scheme
    from pingan.assessment.ranking import ranking

    scheme = Scheme.objects.create(code="pc", name="排查", level="town", effective_from=date(2026, 1, 1))
    item = Item(
        scheme=scheme, name="排查按时报送率", screening="reporting_rate", weight=100, floor=0.5, target=1
    )
    item.full_clean()
    item.save()
    assert item.key == "screening:reporting_rate"
    with pytest.raises(ValidationError):  # one source only
        Item(
            scheme=scheme,
            name="x",
            kpi="closed_rate",
            screening="reporting_rate",
            weight=1,
            floor=0,
            target=1,
        ).full_clean()
    with pytest.raises(ValidationError):  # a rate is no count to deduct per
        Deduction(scheme=scheme, name="x", screening="reporting_rate", per=1, cap=5).full_clean()
    a, b, c = county.towns
    with on("2026-11-02 09:00"):
        for region in (a, *county.villages[a.code]):  # town A and both its villages on time: 3 ÷ 3
            file(api, region, zero_report=True)
        file(api, b, zero_report=True)  # town B alone: 1 ÷ 3
    with on("2026-11-20 09:00"):
        file(api, village(county, 1, 0), zero_report=True)  # late: not counted as on time
        rows = {r["code"]: r for r in ranking("town", OCTOBER)["rows"]}
        quarter = {r["code"]: r for r in ranking("town", parse_period("2026-Q4"))["rows"]}
    # A: 100 % → 100 points. B: 33.3 % is below the floor → 0. C: nothing filed → 0 % → 0.
    assert rows[a.code]["items"][0]["value"] == 1.0 and rows[a.code]["score"] == 100.0
    assert rows[b.code]["items"][0]["value"] == 0.3333 and rows[b.code]["score"] == 0.0
    assert rows[c.code]["items"][0]["value"] == 0.0
    # The quarter Q4 holds October (due) and November, December (not yet due): October's figures.
    assert quarter[a.code]["items"][0]["value"] == 1.0
    assert ranking("town", parse_period("2026-W44"))["rows"][0]["items"][0]["value"] is None  # no week
