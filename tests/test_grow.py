"""`pingan seed --grow K` (pingan.demo.grow): a seeded PostgreSQL data set copied K times in the database.

The demo is seeded and grown ×3 once for the module, in a transaction rolled back after its last test.
"""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client

from pingan.accounts.models import User
from pingan.accounts.twofactor import must_use_otp
from pingan.analytics import rollups
from pingan.audit.log import verify_chain
from pingan.audit.models import AuditEntry
from pingan.cases.models import Case, CaseEvent, CaseSerial
from pingan.demo import grow

from .conftest import Api, pass_second_step
from .test_copyseed import ms
from .test_rollups import counters

FACTOR = 3
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="数据扩增只支持 PostgreSQL")


def table_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in grow.copied_models()}


@pytest.fixture(scope="module")
def grown(django_db_setup, django_db_blocker):
    """What the seeded demo held before the grow, and what `seed --grow` said; the database grown."""
    if connection.vendor != "postgresql":
        yield None
        return
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed", "--cases", "200", "--towns", "2", stdout=io.StringIO())
        before = {
            "counts": table_counts(),
            "counters": counters(),
            "serials": dict(CaseSerial.objects.values_list("year", "last")),
            "max_case": Case.objects.order_by("-id").values_list("id", flat=True).first(),
            "audit": AuditEntry.objects.count(),
        }
        out = io.StringIO()
        call_command("seed", "--grow", str(FACTOR), stdout=out)
        before["said"] = out.getvalue()
        yield before
        transaction.set_rollback(True)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite 的拒绝")
def test_growing_sqlite_is_refused_with_a_reason(db):
    with pytest.raises(CommandError, match="只支持 PostgreSQL"):
        call_command("seed", "--grow", "2", stdout=io.StringIO())


@on_postgresql
def test_every_copied_table_holds_k_times_its_rows(grown, db):
    after = table_counts()
    assert grown["counts"]["cases.Case"] > 200
    for label in ("cases.CaseEvent", "cases.Party", "cases.Case_related", "supervision.Supervision"):
        assert grown["counts"][label], label  # the comparison covers them
    assert after == {label: n * FACTOR for label, n in grown["counts"].items()}
    assert f"已复制第 {FACTOR - 1}/{FACTOR - 1} 份" in grown["said"]
    assert "扩增完成" in grown["said"]


@on_postgresql
def test_copies_get_new_numbers_in_their_county_year_serial(grown, db):
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)
    top = grown["max_case"]
    original = Case.objects.filter(id__lte=top).order_by("id").first()
    year = int(original.number.split("-")[2])
    last = grown["serials"][year]
    serial = int(original.number.split("-")[3])
    for copy in range(1, FACTOR):
        twin = Case.objects.get(id=original.id + copy * top)
        assert twin.number == f"PA-{original.number.split('-')[1]}-{year}-{serial + copy * last:06d}"
        assert (twin.region_id, twin.stream, twin.status, twin.reported_at, twin.title) == (
            original.region_id,
            original.stream,
            original.status,
            original.reported_at,
            original.title,
        )
    assert dict(CaseSerial.objects.values_list("year", "last")) == {
        y: n * FACTOR for y, n in grown["serials"].items()
    }


@on_postgresql
def test_a_case_registered_after_the_grow_gets_the_next_number(grown, db):
    village = Case.objects.filter(stream="request").values_list("region_id", flat=True).first()
    body = {
        "stream": "request",
        "category": "R02",
        "title": "小区路灯损坏无人维修",
        "description": "幸福小区 3 栋门口路灯已坏半月，夜间出行不便。",
        "region": village,
        "reporter": {"name": "张三丰", "phone": "13812341234"},
    }
    status, data = Api(User.objects.get(username="dispatcher")).post("/cases", body)
    assert status == 201, data
    year = int(data["number"].split("-")[2])
    assert int(data["number"].split("-")[3]) == grown["serials"].get(year, 0) * FACTOR + 1


@on_postgresql
def test_copied_links_point_inside_their_own_copy(grown, db):
    top = grown["max_case"]
    with connection.cursor() as cur:
        # A copy's merge target, related cases and event data name rows of the same copy.
        cur.execute(
            "SELECT count(*) FROM cases_case WHERE merged_into_id IS NOT NULL"
            " AND (id - 1) / %s <> (merged_into_id - 1) / %s",
            [top, top],
        )
        assert cur.fetchone()[0] == 0
        cur.execute(
            "SELECT count(*) FROM cases_case_related WHERE (from_case_id - 1) / %s <> (to_case_id - 1) / %s",
            [top, top],
        )
        assert cur.fetchone()[0] == 0
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE r.case_id = e.case_id) FROM cases_caseevent e"
            " JOIN cases_caserequest r ON r.id = (e.data->>'request')::bigint"
            " WHERE jsonb_typeof(e.data->'request') = 'number'"
        )
        total, same_case = cur.fetchone()
        assert total and total == same_case
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE c.number = e.data->>'into') FROM cases_caseevent e"
            " JOIN cases_case m ON m.id = e.case_id JOIN cases_case c ON c.id = m.merged_into_id"
            " WHERE e.action = 'merge'"
        )
        total, named = cur.fetchone()
        assert total and total == named


@on_postgresql
def test_counters_multiplied_equal_a_rebuild(grown, db):
    multiplied = counters()
    flows, stocks, net, months, _ = grown["counters"]
    assert multiplied[0] == [(*row[:-1], row[-1] * FACTOR) for row in flows]
    assert multiplied[2] == [(*row[:-1], row[-1] * FACTOR) for row in net]
    rollups.rebuild()
    rebuilt = counters()
    assert rebuilt[:4] == multiplied[:4]
    assert ms(rebuilt[4]) == ms(multiplied[4])
    assert stocks and months


@on_postgresql
def test_the_audit_chain_still_verifies_with_one_entry_for_the_grow(grown, db):
    assert AuditEntry.objects.count() == grown["audit"] + 1
    assert AuditEntry.objects.order_by("-id").first().action == "demo.grow"
    assert verify_chain()[0]
    copies = CaseEvent.objects.filter(case_id__gt=grown["max_case"])
    assert copies.exists() and not copies.filter(audit__isnull=False).exists()


@on_postgresql
def test_a_copied_case_shows_its_page_ledger_and_events(grown, db):
    twin = Case.objects.filter(id__gt=grown["max_case"]).order_by("id").first()
    original = Case.objects.get(id=twin.id - grown["max_case"])
    client = Client()
    user = User.objects.get(username="dispatcher")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if must_use_otp(user):
        pass_second_step(client, user)
    page = client.get(f"/cases/{twin.number}/")
    assert page.status_code == 200 and twin.number in page.content.decode()
    ledger = client.get("/cases/", {"q": twin.number})
    assert ledger.status_code == 200 and twin.number in ledger.content.decode()
    api = Api(user)
    status, events = api.get(f"/cases/{twin.number}/events")
    assert status == 200
    _, theirs = api.get(f"/cases/{original.number}/events")
    assert [e["action"] for e in events["items"]] == [e["action"] for e in theirs["items"]]


def test_a_table_pointing_at_cases_that_nobody_classified_stops_the_grow(monkeypatch):
    assert grow.copied_models()[0] is Case
    unclassified = {k: v for k, v in grow.NOT_CLONED.items() if k != "accountability.Entry"}
    monkeypatch.setattr(grow, "NOT_CLONED", unclassified)
    with pytest.raises(grow.GrowError, match=r"accountability\.Entry\.cases"):
        grow.copied_models()


@on_postgresql
def test_a_grow_that_would_not_fit_on_disk_is_refused_before_writing(grown, db, monkeypatch):
    monkeypatch.setattr(grow, "free_bytes", lambda: 10**9)
    cases = Case.objects.count()
    with pytest.raises(CommandError, match="磁盘空间不足"):
        call_command("seed", "--grow", "2", stdout=io.StringIO())
    assert Case.objects.count() == cases
    call_command("seed", "--grow", "2", "--no-space-check", stdout=io.StringIO())
    assert Case.objects.count() == 2 * cases


@on_postgresql
def test_a_number_in_event_data_that_may_be_an_id_stops_the_grow(grown, db, monkeypatch):
    monkeypatch.setattr(grow, "free_bytes", lambda: None)
    case = Case.objects.order_by("id").first()
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO cases_caseevent (case_id, action, actor, at, from_status, to_status, data, step)"
            " VALUES (%s, 'note', 'system', now(), '', '', '{\"widget\": 7}', '')",
            [case.id],
        )
    with pytest.raises(CommandError, match="widget"):
        call_command("seed", "--grow", "2", stdout=io.StringIO())
