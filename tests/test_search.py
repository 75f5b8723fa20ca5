"""The ledger's 关键词 `q` (pingan.cases.search): what it reads, on both databases, within scope."""

import pytest
from django.db import connection, transaction

from pingan.cases import search
from pingan.cases.models import Case, WorkRecord
from pingan.cases.search import text_q

from .conftest import Api, case_body


def _new(county, **overrides) -> str:
    status, data = Api(county.users["dispatcher"]).post("/cases", case_body(county, **overrides))
    assert status == 201, data
    return data["number"]


def _in_progress(county, number: str) -> Api:
    d, h = Api(county.users["dispatcher"]), Api(county.users["handler"])
    d.act(number, "accept")
    d.act(number, "dispatch", {})
    h.act(number, "sign")
    return h


def _found(county, q, user="dispatcher") -> list[str]:
    status, page = Api(county.users[user]).get("/cases", q=q, with_total="true", limit=200)
    assert status == 200, page
    numbers = [c["number"] for c in page["items"]]
    assert page["total"] == len(numbers) and page["total_capped"] is False
    return sorted(numbers)


@pytest.fixture
def three(county):
    """A title, a description and a work record that each hold a phrase the others lack."""
    in_title = _new(county, title="燃气管道泄漏隐患", description="请尽快派人查看。")
    in_description = _new(county, title="楼道问题", description="三单元楼道长期堆放杂物，影响通行。")
    in_record = _new(county, title="邻里纠纷", description="两户因琐事争吵。")
    _in_progress(county, in_record).act(
        in_record, "record_work", {"kind": "mediation", "content": "组织双方调解，达成口头协议。"}
    )
    return in_title, in_description, in_record


def test_title_description_and_work_record_each_match(county, three):
    in_title, in_description, in_record = three
    assert _found(county, "管道泄漏") == [in_title]
    assert _found(county, "堆放杂物") == [in_description]
    assert _found(county, "达成口头协议") == [in_record]
    assert _found(county, "无此内容的文字") == []


def test_number_matches_in_part(county, three):
    in_title = three[0]
    assert _found(county, in_title.lower()) == [in_title]
    assert _found(county, in_title[-8:]) == [in_title]


def test_search_ignores_case(county):
    number = _new(county, title="小区WiFi信号差")
    assert _found(county, "wifi信号") == [number]
    assert _found(county, "wI") == [number]  # short: the title, by scanning


def test_work_record_edits_and_deletes_follow(county, three):
    """On SQLite the search reads a copy (the FTS5 table) kept by triggers: edits must reach it."""
    in_title, _, in_record = three
    record = WorkRecord.objects.get(case__number=in_record)
    WorkRecord.objects.filter(pk=record.pk).update(content="电话回访，当事人表示满意。")
    assert _found(county, "口头协议") == []
    assert _found(county, "当事人表示满意") == [in_record]
    record.delete()
    assert _found(county, "当事人表示满意") == []
    Case.objects.filter(number=in_title).update(title="燃气表箱锈蚀")
    assert _found(county, "管道泄漏") == []
    assert _found(county, "表箱锈蚀") == [in_title]
    Case.objects.filter(number=in_title).delete()
    assert _found(county, "表箱锈蚀") == []


def test_short_queries_read_titles_and_serials_only(county, three):
    in_title, in_description, in_record = three
    assert _found(county, "燃气") == [in_title]
    assert _found(county, "纠") == [in_record]
    assert _found(county, "杂物") == []  # only in a description: no trigram, not scanned
    assert _found(county, "调解") == []  # only in a work record
    serial = int(in_description.rsplit("-", 1)[1])
    assert serial < 10 and _found(county, str(serial)) == [in_description]
    assert _found(county, f"0{serial}") == [in_description]


def test_blank_query_filters_nothing(county, three):
    assert _found(county, "   ") == sorted(three)
    assert _found(county, "") == sorted(three)
    assert Case.objects.filter(text_q(None)).count() == 3


SPECIAL = '关于"平安小区"创建 50%_进度'
OTHER = "平安小区 进度 平安 AND 小区"


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ('"平安小区"', "special"),
        ('"平安', "special"),
        ('"', "special"),
        ('""', None),
        ('"""', None),
        ("50%_", "special"),
        ("%_", "special"),
        ("%", "special"),
        ("_", "special"),
        ("%%%", None),
        ("___", None),
        ("5_%", None),
        ("平安 AND 小区", "other"),  # the words themselves, not an operator
        ("平安 OR 燃气", None),
        ("NEAR(平安 小区)", None),
        ("平安*", None),
        ("^平安", None),
        ("title:平安", None),
        ("{title}:平安", None),
        ("'); DROP TABLE cases_case; --", None),
        ("\\", None),
        ("平" * 300, None),
    ],
)
def test_special_characters_are_plain_text(county, q, found):
    cases = {
        "special": _new(county, title=SPECIAL),
        "other": _new(county, title="燃气管道检修", description=OTHER),
    }
    assert _found(county, q) == ([cases[found]] if found else [])


def test_out_of_scope_reader_does_not_find_a_matching_case(county, three):
    """handler2 works in the second town only: the cases of the first stay hidden whatever `q` says."""
    in_title, in_description, in_record = three
    _in_progress(county, in_title)
    _in_progress(county, in_description)
    for q, number in (("管道泄漏", in_title), ("堆放杂物", in_description), ("口头协议", in_record)):
        assert _found(county, q, "handler") == [number]
        assert _found(county, q, "handler2") == []
    page = _web(county, "handler2", "口头协议")
    assert in_record not in page and "data-total>0<" in page


def _web(county, username, q) -> str:
    from django.test import Client

    client = Client()
    client.force_login(county.users[username], backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/cases/", {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def test_web_ledger_searches_the_same_text_and_says_what(county, three):
    in_title, in_description, in_record = three
    page = _web(county, "dispatcher", "口头协议")
    assert in_record in page and in_title not in page and "data-total>1<" in page
    assert 'placeholder="标题、描述、办理记录、编号"' in page
    assert "办理记录" in page.split('id="f-q-hint"')[1].split("</p>")[0]
    page = _web(county, "dispatcher", "堆放杂物")
    assert in_description in page and in_record not in page


def test_a_common_phrase_is_counted_up_to_the_cap_newest_first(county, monkeypatch):
    """Counting every match of a common phrase read every matching row: the total stops at the cap,
    says so, and the list itself is whole and newest first."""
    monkeypatch.setattr(search, "COUNT_CAP", 2)
    numbers = [_new(county, title=f"第{i}号楼电梯困人") for i in range(3)]
    other = _new(county, title="噪音扰民")
    api = Api(county.users["dispatcher"])
    status, page = api.get("/cases", q="电梯困人", with_total="true", limit=200)
    assert status == 200, page
    assert (page["total"], page["total_capped"]) == (2, True)
    assert [c["number"] for c in page["items"]] == numbers[::-1]
    _, page = api.get("/cases", q="电梯困人", with_total="true", limit=1)
    assert [c["number"] for c in page["items"]] == [numbers[2]] and page["next_cursor"]
    _, page = api.get("/cases", q="电梯困人", with_total="true", limit=1, cursor=page["next_cursor"])
    assert [c["number"] for c in page["items"]] == [numbers[1]] and page["total_capped"] is True
    _, page = api.get("/cases", q="困人", with_total="true")  # short: titles scanned, capped as well
    assert (page["total"], page["total_capped"]) == (2, True)
    _, page = api.get("/cases", with_total="true")  # no keyword: the exact total, as the desk tiles show
    assert (page["total"], page["total_capped"]) == (4, False)
    _, page = api.get("/cases", q="噪音扰民", with_total="true")
    assert (page["total"], page["total_capped"], page["items"][0]["number"]) == (1, False, other)
    html = _web(county, "dispatcher", "电梯困人")
    assert "超过 <strong" in html and "data-capped>2<" in html and all(n in html for n in numbers)
    html = _web(county, "dispatcher", "噪音扰民")
    assert "共 <strong" in html and "data-total>1<" in html and "data-capped" not in html


def test_a_common_phrase_stays_within_scope(county, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 1)
    numbers = [_new(county, title="电梯困人") for _ in range(2)]
    for number in numbers:
        _in_progress(county, number)
    assert _found(county, "电梯困人", "handler2") == []
    status, page = Api(county.users["handler"]).get("/cases", q="电梯困人", with_total="true")
    assert status == 200, page
    assert (page["total"], page["total_capped"]) == (1, True)
    assert sorted(c["number"] for c in page["items"]) == sorted(numbers)
    page_html = _web(county, "handler2", "电梯困人")
    assert "data-total>0<" in page_html and not any(n in page_html for n in numbers)


@pytest.mark.parametrize("many_records", [1000, 0])
def test_work_records_match_whether_few_or_many(county, three, monkeypatch, many_records):
    """Few matching work records: their cases' ids; many: each case probes its own records."""
    monkeypatch.setattr(search, "MANY_RECORDS", many_records)
    in_title, _, in_record = three
    assert _found(county, "达成口头协议") == [in_record]
    assert _found(county, "管道泄漏") == [in_title]
    assert _found(county, "无此内容的文字") == []
    assert _found(county, "达成口头协议", "handler2") == []


# The plan: each kind of text is read through its index (PostgreSQL: pg_trgm GIN; SQLite: FTS5).
CASE_INDEXES = ("case_number_trgm", "case_title_trgm", "case_description_trgm")


def test_the_indexes_serve_the_search(county, three):
    qs = Case.objects.filter(text_q("达成口头协议")).order_by()
    if connection.vendor == "postgresql":
        records = WorkRecord.objects.filter(content__icontains="达成口头协议")
        with transaction.atomic(), connection.cursor() as cursor:
            # A test table is tiny: make the planner show that it *can* use the indexes.
            cursor.execute("SET LOCAL enable_seqscan = off")
            plans = qs.explain(), records.explain()
        assert all(name in plans[0] for name in CASE_INDEXES), plans[0]
        assert "workrecord_content_trgm" in plans[1], plans[1]
        assert "Seq Scan" not in "".join(plans), plans
    else:
        plan = qs.explain()
        assert "case_text VIRTUAL TABLE" in plan, plan
    assert [c.number for c in qs] == [three[2]]


def test_one_or_two_characters_are_read_through_the_title_index(county, three):
    """PostgreSQL: the titles' characters and pairs (migration 0015), and the serial through the
    number's trigrams, rather than a scan of every title."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite scans titles")
    short = Case.objects.filter(text_q("燃气")).order_by()
    serial = Case.objects.filter(text_q("2")).order_by()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plans = short.explain(), serial.explain()
    assert "case_title_grams" in plans[0] and "Seq Scan" not in plans[0], plans[0]
    assert "case_title_grams" in plans[1] and "case_number_trgm" in plans[1], plans[1]
    assert [c.number for c in short] == [three[0]] and [c.number for c in serial] == [three[1]]


def test_a_common_phrase_reads_the_newest_cases_rather_than_every_match(county):
    """PostgreSQL: when the planner expects many matches, the first page walks the newest cases (the
    primary key backwards) and stops when it is full, instead of reading and sorting every match."""
    if connection.vendor != "postgresql":
        pytest.skip("the plan of PostgreSQL")
    from pingan.cases import selectors

    qs = selectors.filter_cases(Case.objects.all(), selectors.CaseFilter(q="路灯损坏"))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_bitmapscan = off")  # the tiny test table has no statistics
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.order_by("-id")[:51].explain()
    assert "Index Scan Backward using cases_case_pkey" in plan and "Sort" not in plan, plan
